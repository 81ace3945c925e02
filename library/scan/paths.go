package scan

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/simili/simili/library/catalog"
)

// walkPaths feeds the walker only Options.Paths: the folder watcher's
// changes, so a change costs a look at the changed paths instead of a
// walk of the whole library. A path that is gone is left to
// removeGonePaths.
func (s *scanner) walkPaths(ctx context.Context, w *walker) {
	for _, p := range s.paths() {
		root := s.rootOf(p)
		if root == "" {
			s.opt.Log.Warn("changed path outside the library folders ignored", "path", p)
			continue
		}
		if s.rootMissing(root) || hiddenBelow(root, p) {
			continue
		}
		info, err := os.Stat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue // gone: its photos leave in removeGonePaths
		case err != nil:
			w.onSkip(p, "unreadable", err)
		case info.IsDir():
			err = w.walkDir(ctx, p, info)
		case info.Mode().IsRegular():
			err = w.onFile(candidate{path: p, size: info.Size(), modTime: info.ModTime()})
		}
		if err != nil && ctx.Err() != nil {
			return
		}
	}
}

// removeGonePaths removes the photos at, or in a folder at, one of
// Options.Paths whose file is no longer there. As in a full scan, nothing
// is removed under a missing root (an unplugged disk) or an unreadable
// folder, and a photo whose file still exists stays.
func (s *scanner) removeGonePaths(ctx context.Context) error {
	cat := s.opt.Catalog
	var gone []catalog.Photo
	seen := map[int64]bool{}
	for _, p := range s.paths() {
		root := s.rootOf(p)
		if root == "" || s.rootMissing(root) || hiddenBelow(root, p) {
			continue
		}
		var candidates []catalog.Photo
		if ph, err := cat.PhotoByPath(ctx, p); err == nil {
			candidates = append(candidates, ph)
		} else if !errors.Is(err, catalog.ErrNotFound) {
			return err
		}
		// Photos in the folder p (or below it) that this scan did not see.
		under, err := cat.Unseen(ctx, p, s.gen)
		if err != nil {
			return err
		}
		for _, ph := range append(candidates, under...) {
			if seen[ph.ID] || s.underUnreadable(ph.Path) {
				continue
			}
			if _, err := os.Stat(ph.Path); !errors.Is(err, fs.ErrNotExist) {
				continue // still there (or unreadable for now): keep it
			}
			seen[ph.ID] = true
			gone = append(gone, ph)
		}
	}
	if len(gone) == 0 {
		return nil
	}
	ids := make([]int64, len(gone))
	for i, ph := range gone {
		ids[i] = ph.ID
	}
	if err := cat.DeletePhotos(ctx, ids); err != nil {
		return err
	}
	if s.opt.Sync != nil && s.model != "" {
		if err := s.opt.Sync.Delete(ctx, ids); err != nil {
			return err
		}
	}
	for _, ph := range gone {
		if others, err := cat.PhotosByHash(ctx, ph.Hash); err == nil && len(others) == 0 {
			if err := s.opt.Thumbs.Remove(ph.Hash); err != nil {
				s.opt.Log.Warn("could not remove thumbnail", "hash", ph.Hash, "err", err)
			}
		}
	}
	s.setProgress(func(pr *Progress) { pr.Deleted += len(ids) })
	return nil
}

// paths returns Options.Paths absolute and clean.
func (s *scanner) paths() []string {
	out := make([]string, 0, len(s.opt.Paths))
	for _, p := range s.opt.Paths {
		if a, err := filepath.Abs(p); err == nil {
			out = append(out, filepath.Clean(a))
		}
	}
	return out
}

// rootOf returns the root that holds path, "" when none does.
func (s *scanner) rootOf(path string) string {
	best := ""
	for _, r := range s.roots {
		if (path == r || strings.HasPrefix(path, r+string(filepath.Separator))) && len(r) > len(best) {
			best = r
		}
	}
	return best
}

// rootMissing reports (once, then remembers) a root that cannot be read:
// nothing under it is walked or removed.
func (s *scanner) rootMissing(root string) bool {
	if s.checked[root].offline != nil {
		return true // its disk is away (roots.go): keep its photos
	}
	s.mu.Lock()
	bad, known := s.badRoots[root]
	s.mu.Unlock()
	if known {
		return bad
	}
	info, err := os.Stat(root)
	bad = err != nil || !info.IsDir()
	if bad {
		s.opt.Log.Warn("library folder skipped", "root", root, "err", err)
	}
	s.mu.Lock()
	s.badRoots[root] = bad
	s.mu.Unlock()
	return bad
}

// hiddenBelow reports whether path lies in, or is, a hidden entry under
// root: the walk never catalogues those.
func hiddenBelow(root, path string) bool {
	rel, err := filepath.Rel(root, path)
	if err != nil || rel == "." {
		return false
	}
	for _, part := range strings.Split(rel, string(filepath.Separator)) {
		if strings.HasPrefix(part, ".") {
			return true
		}
	}
	return false
}
