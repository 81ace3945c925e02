package scan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/simili/simili/library/catalog"
	"github.com/simili/simili/library/facet"
)

// OfflineRoot is a library folder whose disk was away during a scan: its
// photos stayed in the catalog (shown offline), none was deleted or taken
// over by a copy elsewhere.
type OfflineRoot struct {
	Root string
	// Reason is "missing", "unreadable", "not a folder", "not mounted"
	// (it was the top of its own file system and now lies on its parent's),
	// "on another device", or "empty" (a folder that held photos and is
	// empty now, when its device was never recorded).
	Reason string
	Err    error // the underlying error, when there is one
	Photos int   // photos under it kept in the catalog
}

func (o OfflineRoot) String() string {
	why := o.Reason
	switch o.Reason {
	case "missing":
		why = "not found: disk unplugged or not mounted?"
	case "unreadable":
		why = "cannot be read: disk not connected, or no permission?"
	case "not mounted":
		why = "disk not mounted: only the empty mount point is there"
	case "on another device", "empty":
		why = o.Reason + ": disk not mounted?"
	}
	return fmt.Sprintf("library folder %s is offline (%s): %d photos kept", o.Root, why, o.Photos)
}

// rootCheck is what a scan found about one library folder's disk.
type rootCheck struct {
	offline *OfflineRoot // nil: online
	missing error        // set when the folder does not exist and holds no photos
}

// statDevice returns the device (st_dev) holding path.
func statDevice(path string) (uint64, error) {
	info, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, fmt.Errorf("%s: no device number on this system", path)
	}
	return uint64(st.Dev), nil
}

func (s *scanner) device(path string) (uint64, error) {
	if s.opt.Device != nil {
		return s.opt.Device(path)
	}
	return statDevice(path)
}

// sampleSize is how many catalogued photos are looked for when a folder's
// device changed, to tell the same disk under a new device number from a
// different (or empty) folder at the same path.
const sampleSize = 16

// checkRoot decides, before anything under root is walked or removed,
// whether root's disk is there. A folder that holds catalogued photos is
// offline when it is missing or unreadable, when it was the top of its own
// file system and is not any more (an unmounted disk leaves its empty mount
// point on the parent's device), or when it is on another device, unless
// some of its catalogued files are found there unchanged (the same disk
// under a new device number, or a library copied over as it was). The
// verdict is recorded in the catalog, which derives Photo.Offline from it.
func (s *scanner) checkRoot(ctx context.Context, root string) (rootCheck, error) {
	cat := s.opt.Catalog
	held, err := cat.Count(ctx, facet.Filter{Folder: root})
	if err != nil {
		return rootCheck{}, err
	}
	off := func(reason string, cause error) (rootCheck, error) {
		if held == 0 { // nothing to keep: a plain error, as for a mistyped folder
			if cause == nil {
				cause = errors.New(reason)
			}
			return rootCheck{missing: fmt.Errorf("library folder %s: %w", root, cause)}, nil
		}
		o := &OfflineRoot{Root: root, Reason: reason, Err: cause, Photos: held}
		if err := cat.SetRootOffline(ctx, root, reason); err != nil {
			return rootCheck{}, err
		}
		s.opt.Log.Warn("library folder offline: its photos are kept", "root", root, "reason", reason, "err", cause, "photos", held)
		return rootCheck{offline: o}, nil
	}
	info, err := os.Stat(root)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return off("missing", err)
	case err != nil:
		return off("unreadable", err)
	case !info.IsDir():
		return off("not a folder", nil)
	}
	empty, err := emptyDir(root)
	if err != nil {
		return off("unreadable", err)
	}
	dev, err := s.device(root)
	if err != nil {
		return off("unreadable", err)
	}
	parent := filepath.Dir(root)
	pdev, err := s.device(parent)
	if err != nil {
		return off("unreadable", err)
	}
	ownMount := parent == root || pdev != dev

	rec := s.rootStates[root]
	why := ""
	switch {
	case held == 0:
	case rec.Dev == 0 && empty:
		why = "empty"
	case rec.Dev == 0:
	case rec.OwnMount && !ownMount:
		why = "not mounted"
	case dev != rec.Dev:
		why = "on another device"
	}
	if why != "" {
		found, err := s.samplePresent(ctx, root)
		if err != nil {
			return rootCheck{}, err
		}
		if !found {
			return off(why, nil)
		}
		s.opt.Log.Info("library folder found on another device, with its files: taking it as the same library",
			"root", root, "was", why)
	}
	if err := cat.SetRootOnline(ctx, root, dev, ownMount); err != nil {
		return rootCheck{}, err
	}
	return rootCheck{}, nil
}

// emptyDir reports whether dir has no entries at all, reading one name.
func emptyDir(dir string) (bool, error) {
	f, err := os.Open(dir)
	if err != nil {
		return false, err
	}
	defer f.Close()
	_, err = f.Readdirnames(1)
	if errors.Is(err, io.EOF) {
		return true, nil
	}
	return false, err
}

// samplePresent reports whether any of a few catalogued photos under root
// is on disk with its recorded size and mtime.
func (s *scanner) samplePresent(ctx context.Context, root string) (bool, error) {
	ps, err := s.opt.Catalog.List(ctx, catalog.Query{Filter: facet.Filter{Folder: root}, Limit: sampleSize})
	if err != nil {
		return false, err
	}
	for _, p := range ps {
		if fi, err := os.Stat(p.Path); err == nil && fi.Size() == p.Size && fi.ModTime().Equal(p.ModTime) {
			return true, nil
		}
	}
	return false, nil
}

// checkRoots looks at every root of this scan before the walk.
func (s *scanner) checkRoots(ctx context.Context) error {
	states, err := s.opt.Catalog.RootStates(ctx)
	if err != nil {
		return err
	}
	s.rootStates = map[string]catalog.RootState{}
	for _, r := range states {
		s.rootStates[r.Path] = r
		s.allRoots = append(s.allRoots, r.Path)
	}
	s.checked = map[string]rootCheck{}
	for _, r := range s.roots {
		c, err := s.checkRoot(ctx, r)
		if err != nil {
			return err
		}
		s.checked[r] = c
		if c.offline != nil {
			s.offline = append(s.offline, *c.offline)
			s.problem(Problem{Path: r, Reason: "offline-folder", Err: errors.New(c.offline.String())})
		}
	}
	return nil
}

// rootOffline reports whether the library folder holding path is offline
// now, checking folders outside this scan on first use. A photo there must
// not be taken over by a copy elsewhere: to os.Stat, a file on an
// unplugged disk is as gone as a moved one. It runs on the writer
// goroutine only.
func (s *scanner) rootOffline(ctx context.Context, path string) (bool, error) {
	root := catalog.RootOf(s.allRoots, path)
	if root == "" {
		return false, nil // no longer a library folder: its photos are leaving anyway
	}
	c, ok := s.checked[root]
	if !ok {
		var err error
		if c, err = s.checkRoot(ctx, root); err != nil {
			return false, err
		}
		s.checked[root] = c
	}
	return c.offline != nil || c.missing != nil, nil
}
