package desktop

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"fyne.io/fyne/v2/widget"

	"github.com/simili/simili/search/engine"
)

// folderWatch keeps the library folders watched while the window is open:
// photos copied, moved or deleted there appear in (or leave) the grid and
// search without a rescan. It starts after the start-up scan, which finds
// what changed while the app was closed, and is restarted when the folder
// list changes.
type folderWatch struct {
	u *ui

	// Owned by the UI goroutine.
	roots []string
	stop  context.CancelFunc
}

func newFolderWatch(u *ui) *folderWatch { return &folderWatch{u: u} }

// ensure watches the library's current folders, restarting the watcher
// when they changed. The scan panel calls it when a scan ends; rescan
// says whether a new watcher starts with a quick rescan.
func (fw *folderWatch) ensure(rescan bool) {
	be := fw.u.be
	fw.u.goBackground(func(ctx context.Context) {
		roots, err := be.Roots(ctx)
		if err != nil {
			fw.u.log.Warn("library folders not watched", "err", err)
			return
		}
		fw.u.do(func() { fw.watch(roots, rescan) })
	})
}

// watch runs on the UI goroutine.
func (fw *folderWatch) watch(roots []string, rescan bool) {
	if fw.stop != nil && slices.Equal(roots, fw.roots) {
		return
	}
	if fw.stop != nil {
		fw.stop()
		fw.stop = nil
	}
	fw.roots = roots
	if len(roots) == 0 {
		return
	}
	ctx, cancel := context.WithCancel(fw.u.ctx)
	fw.stop = cancel
	be := fw.u.be
	// Not goBackground: the watcher lives as long as the window (or until
	// the folders change), and settle in tests waits for background work.
	go func() {
		err := be.Watch(ctx, roots, engine.WatchOptions{
			// Once the watches are in place, a quick rescan (unchanged
			// files are not read) catches what changed between the scan
			// that just ended, or the previous watcher, and this one.
			Rescan:  rescan,
			OnBatch: func(b engine.WatchBatch) { fw.u.do(func() { fw.applied(b) }) },
			OnLimited: func(err error) {
				fw.u.do(func() {
					fw.u.status.setError(fmt.Sprintf("Not every folder can be watched (%v): changes are found by a rescan every %s instead.",
						err, be.Config().RescanInterval()))
				})
			},
		})
		if err != nil && ctx.Err() == nil {
			fw.u.log.Warn("watching the library folders stopped", "err", err)
			fw.u.do(func() { fw.u.status.setError("Library folders not watched: " + err.Error()) })
		}
	}()
}

// applied refreshes what a batch of changes touched.
func (fw *folderWatch) applied(b engine.WatchBatch) {
	u := fw.u
	if b.Err != nil {
		u.log.Warn("folder changes", "err", b.Err)
	}
	if b.Added+b.Moved+b.Removed == 0 {
		return
	}
	u.log.Info("folder changes applied", "added", b.Added, "moved", b.Moved, "removed", b.Removed, "failed", b.Failed)
	u.library.reload(true)
	u.filters.loadFacets()
	u.status.refresh()
	u.groups.invalidate()
	u.dups.invalidate()
}

// rescanChoices are the intervals offered in Settings for folders that
// cannot be watched.
var rescanChoices = []string{"5 minutes", "10 minutes", "30 minutes", "60 minutes"}

// newRescanSelect shows cfg's rescan interval.
func newRescanSelect(cfg engine.Config) *widget.Select {
	s := widget.NewSelect(rescanChoices, nil)
	cur := fmt.Sprintf("%d minutes", int(cfg.RescanInterval().Minutes()))
	if slices.Contains(rescanChoices, cur) {
		s.SetSelected(cur)
	} else {
		s.PlaceHolder = cur
	}
	return s
}

// rescanMinutes reads the choice back; 0 when none was made.
func rescanMinutes(s *widget.Select) int {
	n, err := strconv.Atoi(strings.TrimSuffix(s.Selected, " minutes"))
	if err != nil {
		return 0
	}
	return n
}
