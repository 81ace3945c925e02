// Package watch follows library folders while the app (or `simili watch`)
// runs, and reports what changed in batches, so only those paths are
// scanned again.
//
// fsnotify watches one folder at a time, so the watcher adds a watch for
// every folder under the roots and for each new folder as it appears (a
// folder moved or copied in is walked: its files are reported even when
// they were written before the watch was in place). A path is reported once
// nothing touched it for Options.Quiet and its size and modification time
// did not change between two looks: a file still being copied is waited
// for. An editor's atomic save (write a temporary file, rename it over the
// original) arrives as a create of the original and is reported as a
// change of it. A removed or renamed folder is reported as one path; the
// scanner removes what was under it.
//
// When the kernel's watch limit is reached (inotify: fs.inotify.max_user_watches,
// "no space left on device") or its event queue overflows, events are lost:
// the watcher logs a warning and asks for a rescan of the roots, at once
// after an overflow and every Options.Rescan while watches are missing.
package watch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Options tunes a Watcher. Zero values take the defaults.
type Options struct {
	// Quiet is how long a path must go without events before it is
	// looked at (debounce). Default 400 ms.
	Quiet time.Duration
	// Poll is how often pending paths are checked. Default 200 ms.
	Poll time.Duration
	// MaxWait bounds how long settled paths wait for the folder to go
	// quiet before they are reported anyway (a long copy of many files
	// gives batches every MaxWait). Default 2 s.
	MaxWait time.Duration
	// Rescan is how often the roots are rescanned while some folders
	// cannot be watched (watch limit), and how often a library folder
	// that is not there (an unplugged disk) is looked for; when it is
	// back it is watched and rescanned. Default DefaultRescan.
	Rescan time.Duration
	// OnLimited, when set, is told once that some folders cannot be
	// watched, and why (the warning is also logged).
	OnLimited func(error)
	Log       *slog.Logger
}

// DefaultRescan is the periodic rescan interval when the watch limit is hit.
const DefaultRescan = 10 * time.Minute

// Batch is a set of changes ready to be scanned.
type Batch struct {
	// Paths are the files and folders that were created, changed, renamed
	// or removed (absolute and clean). When Rescan is set they include
	// the roots to scan entirely.
	Paths []string
	// Rescan says the watcher lost track (queue overflow, watch limit,
	// start without watches) and asks for whole roots to be scanned.
	Rescan bool
}

// Watcher watches library roots. Create it with New, then call Run once.
type Watcher struct {
	roots []string
	opt   Options
	log   *slog.Logger
	fsw   *fsnotify.Watcher // nil when inotify could not be started at all

	addWatch func(string) error // adds one folder's watch

	// Owned by Run's goroutine after New returns.
	dirs    map[string]bool // folders with a watch
	missing map[string]bool // roots that were not there, looked for every Rescan
	pending map[string]*pendingPath
	rescan  bool  // roots to be rescanned in the next batch
	limited error // why some folders have no watch; nil when all do
}

// pendingPath is a changed path waiting to settle.
type pendingPath struct {
	lastEvent time.Time
	looked    bool // stat below is from an earlier look
	exists    bool
	size      int64
	modTime   time.Time
}

// New watches every folder under roots; the watches are in place when it
// returns, so a scan started afterwards misses nothing. It fails only for
// a bad root; a watch limit or an unavailable inotify makes a watcher that
// falls back on periodic rescans (see Limited). Call Run, or Close.
func New(roots []string, opt Options) (*Watcher, error) { return newWatcher(roots, opt, nil) }

// newWatcher is New with the function that adds one folder's watch
// replaceable (nil: fsnotify's), so tests can simulate the kernel's limit.
func newWatcher(roots []string, opt Options, addWatch func(*fsnotify.Watcher, string) error) (*Watcher, error) {
	if len(roots) == 0 {
		return nil, errors.New("watch: no library folder")
	}
	if opt.Quiet <= 0 {
		opt.Quiet = 400 * time.Millisecond
	}
	if opt.Poll <= 0 {
		opt.Poll = 200 * time.Millisecond
	}
	if opt.Rescan <= 0 {
		opt.Rescan = DefaultRescan
	}
	if opt.MaxWait <= 0 {
		opt.MaxWait = 2 * time.Second
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	w := &Watcher{opt: opt, log: opt.Log, dirs: map[string]bool{}, missing: map[string]bool{}, pending: map[string]*pendingPath{}}
	for _, r := range roots {
		a, err := filepath.Abs(r)
		if err != nil {
			return nil, fmt.Errorf("watch %s: %w", r, err)
		}
		w.roots = append(w.roots, filepath.Clean(a))
	}
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		// e.g. fs.inotify.max_user_instances reached: nothing can be watched.
		w.setLimited(fmt.Errorf("cannot watch folders: %w", err))
	} else {
		w.fsw = fsw
		w.addWatch = fsw.Add
		if addWatch != nil {
			w.addWatch = func(dir string) error { return addWatch(fsw, dir) }
		}
	}
	w.start()
	return w, nil
}

// Close releases the watches of a watcher that was not Run.
func (w *Watcher) Close() error {
	if w.fsw == nil {
		return nil
	}
	return w.fsw.Close()
}

// start adds the watches over the roots.
func (w *Watcher) start() {
	for _, r := range w.roots {
		if _, err := os.Stat(r); err != nil {
			// An unplugged disk: nothing to watch until it is back.
			w.log.Warn("library folder not there (disk not connected?): looked for every "+w.opt.Rescan.String(), "root", r, "err", err)
			w.missing[r] = true
			continue
		}
		w.addTree(r, false)
	}
}

// retryMissing watches the roots that came back and reports whether any
// did (what changed while they were away needs a rescan).
func (w *Watcher) retryMissing() bool {
	back := false
	for r := range w.missing {
		if info, err := os.Stat(r); err == nil && info.IsDir() {
			delete(w.missing, r)
			w.log.Info("library folder is back: watching it", "root", r)
			w.addTree(r, false)
			back = true
		}
	}
	return back
}

// Limited says why some folders are not watched (nil when all are): the
// watcher then rescans the roots every Options.Rescan.
func (w *Watcher) Limited() error { return w.limited }

// Watched returns how many folders have a watch.
func (w *Watcher) Watched() int { return len(w.dirs) }

func (w *Watcher) setLimited(err error) {
	if w.limited != nil {
		return
	}
	w.limited = err
	w.log.Warn("not every library folder can be watched: changes are found by a rescan every "+w.opt.Rescan.String()+
		" instead (on Linux raise fs.inotify.max_user_watches, e.g. sysctl fs.inotify.max_user_watches=524288)",
		"err", err)
	if w.opt.OnLimited != nil {
		w.opt.OnLimited(err)
	}
}

// Run watches until ctx is cancelled and calls apply with each batch, one
// at a time, on its own goroutine: events keep being collected while a
// batch is applied, and become the next batch. It closes the watcher.
func (w *Watcher) Run(ctx context.Context, apply func(context.Context, Batch)) error {
	defer w.Close()
	batches := make(chan Batch)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for b := range batches {
			apply(ctx, b)
		}
	}()
	defer func() { close(batches); <-done }()

	var events <-chan fsnotify.Event
	var errs <-chan error
	if w.fsw != nil {
		events, errs = w.fsw.Events, w.fsw.Errors
	}
	tick := time.NewTicker(w.opt.Poll)
	defer tick.Stop()
	var rescanC <-chan time.Time
	var rescanT *time.Ticker
	for {
		if (w.limited != nil || len(w.missing) > 0) && rescanT == nil {
			rescanT = time.NewTicker(w.opt.Rescan)
			defer rescanT.Stop()
			rescanC = rescanT.C
			if w.fsw == nil {
				w.rescan = true // nothing is watched: the first look is a rescan
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			w.event(ev, time.Now())
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			w.watchError(err)
		case <-rescanC:
			if w.retryMissing() || w.limited != nil {
				w.rescan = true
			}
		case now := <-tick.C:
			b, ok := w.ready(now)
			if !ok {
				continue
			}
			select {
			case batches <- b:
				w.taken(b)
			default: // the previous batch is still being applied: keep collecting
			}
		}
	}
}

// watchError handles an error from fsnotify: a lost event queue means any
// change may have been missed.
func (w *Watcher) watchError(err error) {
	if errors.Is(err, fsnotify.ErrEventOverflow) {
		w.log.Warn("too many changes at once: some were not reported by the system; rescanning the library folders", "err", err)
		w.rescan = true
		return
	}
	w.log.Warn("folder watch error", "err", err)
}

// event records one fsnotify event.
func (w *Watcher) event(ev fsnotify.Event, now time.Time) {
	path := filepath.Clean(ev.Name)
	if hidden(path) || !w.inRoots(path) {
		return
	}
	if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
		// The path is gone (or replaced right after): drop the watches of
		// a folder that was there; its photos go with the scan.
		w.unwatch(path)
		w.touch(path, now)
		if slices.Contains(w.roots, path) {
			w.missing[path] = true // the library folder itself went away
		}
		return
	}
	info, err := os.Stat(path)
	if err == nil && info.IsDir() {
		if ev.Has(fsnotify.Create) {
			// A new folder, possibly moved in or copied with files inside:
			// watch it all and report every file it holds now.
			w.addTree(path, true)
		}
		return
	}
	w.touch(path, now)
}

// touch marks path as changed now.
func (w *Watcher) touch(path string, now time.Time) {
	p := w.pending[path]
	if p == nil {
		p = &pendingPath{}
		w.pending[path] = p
	}
	p.lastEvent = now
	p.looked = false
}

// addTree watches dir and every folder below it; with report, every file
// found is marked changed (a folder that arrived with its contents).
func (w *Watcher) addTree(dir string, report bool) {
	visited := map[[2]uint64]bool{}
	now := time.Now()
	var walk func(string)
	walk = func(d string) {
		info, err := os.Stat(d)
		if err != nil {
			return
		}
		if st, ok := info.Sys().(*syscall.Stat_t); ok {
			k := [2]uint64{uint64(st.Dev), uint64(st.Ino)}
			if visited[k] {
				return
			}
			visited[k] = true
		}
		w.watchDir(d)
		entries, err := os.ReadDir(d)
		if err != nil {
			w.log.Warn("folder not watched", "folder", d, "err", err)
			return
		}
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") {
				continue
			}
			p := filepath.Join(d, e.Name())
			isDir := e.IsDir()
			if e.Type()&fs.ModeSymlink != 0 {
				fi, err := os.Stat(p)
				if err != nil {
					continue
				}
				isDir = fi.IsDir()
			}
			switch {
			case isDir:
				walk(p)
			case report:
				w.touch(p, now)
			}
		}
	}
	walk(dir)
}

// watchDir adds one folder's watch. At the kernel's limit the watcher
// notes it (one warning) and relies on rescans.
func (w *Watcher) watchDir(dir string) {
	if w.dirs[dir] || w.addWatch == nil {
		return
	}
	if w.limited != nil && errors.Is(w.limited, syscall.ENOSPC) {
		return // every further add would fail the same way
	}
	if err := w.addWatch(dir); err != nil {
		if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EMFILE) {
			w.setLimited(fmt.Errorf("watch %s: system limit on watched folders reached: %w", dir, err))
			return
		}
		w.log.Warn("folder not watched", "folder", dir, "err", err)
		return
	}
	w.dirs[dir] = true
}

// unwatch drops the watches of path and of every folder below it. After a
// rename inotify's watches follow the folder, and events from it would
// carry the old name.
func (w *Watcher) unwatch(path string) {
	if !w.dirs[path] {
		return // a file, or a folder never watched: no watch below it either (folders are watched top-down)
	}
	for d := range w.dirs {
		if d == path || strings.HasPrefix(d, path+string(filepath.Separator)) {
			delete(w.dirs, d)
			if w.fsw != nil {
				_ = w.fsw.Remove(d) // already gone with its folder: nothing to undo
			}
		}
	}
}

// ready returns the paths that have settled, and the roots when a rescan
// is due. A path has settled when no event came for Quiet and a look at it
// found the same size and modification time (or absence) as the previous.
// Settled paths wait while others have not settled (up to MaxWait), so a
// burst of changes makes one batch.
func (w *Watcher) ready(now time.Time) (Batch, bool) {
	var b Batch
	var oldest time.Time
	unsettled := false
	for path, p := range w.pending {
		if now.Sub(p.lastEvent) < w.opt.Quiet {
			unsettled = true
			continue
		}
		exists, size, mod := false, int64(0), time.Time{}
		if info, err := os.Stat(path); err == nil {
			exists, size, mod = true, info.Size(), info.ModTime()
		}
		if p.looked && p.exists == exists && p.size == size && p.modTime.Equal(mod) {
			b.Paths = append(b.Paths, path)
			if oldest.IsZero() || p.lastEvent.Before(oldest) {
				oldest = p.lastEvent
			}
			continue
		}
		p.looked, p.exists, p.size, p.modTime = true, exists, size, mod
		unsettled = true
	}
	if len(b.Paths) > 0 && unsettled && now.Sub(oldest) < w.opt.MaxWait {
		b.Paths = nil // more is coming: wait for it
	}
	if w.rescan {
		b.Rescan = true
		b.Paths = append(b.Paths, w.roots...)
	}
	slices.Sort(b.Paths)
	b.Paths = slices.Compact(b.Paths)
	return b, len(b.Paths) > 0
}

// taken forgets what a batch handed over.
func (w *Watcher) taken(b Batch) {
	for _, p := range b.Paths {
		delete(w.pending, p)
	}
	if b.Rescan {
		w.rescan = false
	}
}

func (w *Watcher) inRoots(path string) bool {
	for _, r := range w.roots {
		if path == r || strings.HasPrefix(path, r+string(filepath.Separator)) {
			return true
		}
	}
	return false
}

// hidden reports a dot-file name, skipped like the scanner skips it
// (editors' temporary files, .DS_Store, ...).
func hidden(path string) bool { return strings.HasPrefix(filepath.Base(path), ".") }
