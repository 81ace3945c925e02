package watch

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"
)

const (
	testQuiet = 150 * time.Millisecond
	testPoll  = 40 * time.Millisecond
)

// recorder runs a watcher and keeps the batches it reports.
type recorder struct {
	mu      sync.Mutex
	batches []Batch
	at      []time.Time
}

func (r *recorder) snapshot() ([]Batch, []time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.batches), slices.Clone(r.at)
}

// run starts w until the test ends.
func run(t *testing.T, w *Watcher) *recorder {
	t.Helper()
	r := &recorder{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- w.Run(ctx, func(_ context.Context, b Batch) {
			r.mu.Lock()
			r.batches = append(r.batches, b)
			r.at = append(r.at, time.Now())
			r.mu.Unlock()
		})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return r
}

func watchDir(t *testing.T, dir string) (*Watcher, *recorder) {
	t.Helper()
	w, err := New([]string{dir}, Options{Quiet: testQuiet, Poll: testPoll})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Limited(); err != nil {
		t.Fatalf("watching a small folder hit a limit: %v", err)
	}
	return w, run(t, w)
}

// waitReported waits until every path in want was reported, and returns
// all paths reported so far.
func (r *recorder) waitReported(t *testing.T, want ...string) []string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		bs, _ := r.snapshot()
		var got []string
		for _, b := range bs {
			got = append(got, b.Paths...)
		}
		missing := false
		for _, p := range want {
			if !slices.Contains(got, p) {
				missing = true
			}
		}
		if !missing {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("reported %q; want %q among them", got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func write(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestGrowingFileIsReportedOnceAfterItsLastWrite(t *testing.T) {
	dir := t.TempDir()
	_, r := watchDir(t, dir)
	path := filepath.Join(dir, "slow.jpg")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	// Ten writes 100 ms apart: each gap is shorter than the quiet time,
	// so nothing may be reported before the copy ends.
	chunk := bytes.Repeat([]byte{0xab}, 4096)
	for range 10 {
		if _, err := f.Write(chunk); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	closed := time.Now()
	r.waitReported(t, path)
	time.Sleep(3 * testQuiet) // room for a wrong second report
	bs, at := r.snapshot()
	n := 0
	for i, b := range bs {
		if slices.Contains(b.Paths, path) {
			n++
			if at[i].Before(closed) {
				t.Errorf("reported at %v, before the copy finished at %v", at[i], closed)
			}
		}
	}
	if n != 1 {
		t.Errorf("reported %d times; want once: %+v", n, bs)
	}
}

func TestSeveralFilesComeInOneBatch(t *testing.T) {
	dir := t.TempDir()
	_, r := watchDir(t, dir)
	var want []string
	for _, name := range []string{"a.jpg", "b.jpg", "c.jpg", "d.jpg"} {
		p := filepath.Join(dir, name)
		write(t, p, []byte(name))
		want = append(want, p)
		time.Sleep(20 * time.Millisecond)
	}
	r.waitReported(t, want...)
	bs, _ := r.snapshot()
	if len(bs) != 1 {
		t.Errorf("%d batches for four files written 20 ms apart; want 1 (debounced): %+v", len(bs), bs)
	}
}

func TestNewFoldersAreWatched(t *testing.T) {
	dir := t.TempDir()
	w, r := watchDir(t, dir)

	// A folder tree made elsewhere with files inside, then moved in: its
	// files were written before any watch could see them.
	outside := t.TempDir()
	write(t, filepath.Join(outside, "trip", "day1", "a.jpg"), []byte("a"))
	write(t, filepath.Join(outside, "trip", "day2", "deep", "b.jpg"), []byte("b"))
	write(t, filepath.Join(outside, "trip", ".cache", "c.jpg"), []byte("hidden"))
	if err := os.Rename(filepath.Join(outside, "trip"), filepath.Join(dir, "trip")); err != nil {
		t.Fatal(err)
	}
	a := filepath.Join(dir, "trip", "day1", "a.jpg")
	b := filepath.Join(dir, "trip", "day2", "deep", "b.jpg")
	got := r.waitReported(t, a, b)
	for _, p := range got {
		if filepath.Base(filepath.Dir(p)) == ".cache" {
			t.Errorf("hidden folder's file reported: %s", p)
		}
	}

	// mkdir -p: the deepest folder exists before the watcher can watch its
	// parent. A file written there later is still seen.
	deep := filepath.Join(dir, "x", "y", "z")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, func() bool { return w.watching(deep) })
	c := filepath.Join(deep, "c.jpg")
	write(t, c, []byte("c"))
	r.waitReported(t, c)
}

// watching reports whether dir has a watch; safe while Run runs because it
// asks fsnotify, not the watcher's own map.
func (w *Watcher) watching(dir string) bool {
	return slices.Contains(w.fsw.WatchList(), dir)
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestAtomicSaveIsAChangeOfTheTarget(t *testing.T) {
	dir := t.TempDir()
	photo := filepath.Join(dir, "photo.jpg")
	write(t, photo, []byte("old"))
	_, r := watchDir(t, dir)
	// An editor writes a temporary file, then renames it over the original.
	tmp := filepath.Join(dir, ".photo.jpg.tmp")
	write(t, tmp, []byte("new content"))
	if err := os.Rename(tmp, photo); err != nil {
		t.Fatal(err)
	}
	got := r.waitReported(t, photo)
	if slices.Contains(got, tmp) {
		t.Errorf("the hidden temporary file was reported: %q", got)
	}
}

func TestRenamedAndDeletedFolders(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "2019", "a.jpg"), []byte("a"))
	write(t, filepath.Join(dir, "2019", "sub", "b.jpg"), []byte("b"))
	write(t, filepath.Join(dir, "trash", "c.jpg"), []byte("c"))
	w, r := watchDir(t, dir)

	// A renamed folder: the old name is reported (its photos left it) and
	// every file under the new name; the watches follow the new name.
	if err := os.Rename(filepath.Join(dir, "2019"), filepath.Join(dir, "2019 Rome")); err != nil {
		t.Fatal(err)
	}
	r.waitReported(t, filepath.Join(dir, "2019"),
		filepath.Join(dir, "2019 Rome", "a.jpg"), filepath.Join(dir, "2019 Rome", "sub", "b.jpg"))
	for _, d := range w.fsw.WatchList() {
		if d == filepath.Join(dir, "2019") || d == filepath.Join(dir, "2019", "sub") {
			t.Errorf("a watch still carries the old name %s", d)
		}
	}
	later := filepath.Join(dir, "2019 Rome", "sub", "later.jpg")
	write(t, later, []byte("later"))
	r.waitReported(t, later)

	// A deleted folder is reported, so the scanner drops its photos.
	if err := os.RemoveAll(filepath.Join(dir, "trash")); err != nil {
		t.Fatal(err)
	}
	r.waitReported(t, filepath.Join(dir, "trash"))
	if slices.Contains(w.fsw.WatchList(), filepath.Join(dir, "trash")) {
		t.Error("the deleted folder is still watched")
	}
}

func TestWatchLimitFallsBackToPeriodicRescans(t *testing.T) {
	dir := t.TempDir()
	for _, sub := range []string{"a", "b", "c"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// The kernel's limit after two watches, like inotify_add_watch's ENOSPC.
	added := 0
	var told []error
	w, err := newWatcher([]string{dir}, Options{Quiet: testQuiet, Poll: testPoll, Rescan: 300 * time.Millisecond,
		OnLimited: func(err error) { told = append(told, err) }},
		func(fw *fsnotify.Watcher, d string) error {
			if added == 2 {
				return syscall.ENOSPC
			}
			added++
			return fw.Add(d)
		})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Limited(); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Limited() = %v; want the ENOSPC it hit", err)
	}
	if len(told) != 1 || w.Watched() != 2 {
		t.Fatalf("OnLimited told %d times, %d folders watched; want 1 and 2", len(told), w.Watched())
	}
	r := run(t, w)
	waitUntil(t, func() bool {
		bs, _ := r.snapshot()
		n := 0
		for _, b := range bs {
			if b.Rescan && slices.Equal(b.Paths, []string{dir}) {
				n++
			}
		}
		return n >= 2
	})
}

func TestOverflowAsksForARescan(t *testing.T) {
	dir := t.TempDir()
	w, err := New([]string{dir}, Options{Quiet: testQuiet, Poll: testPoll})
	if err != nil {
		t.Fatal(err)
	}
	w.watchError(fsnotify.ErrEventOverflow) // what fsnotify sends when the kernel queue overflowed
	r := run(t, w)
	waitUntil(t, func() bool {
		bs, _ := r.snapshot()
		return len(bs) > 0
	})
	bs, _ := r.snapshot()
	if !bs[0].Rescan || !slices.Equal(bs[0].Paths, []string{dir}) {
		t.Fatalf("first batch after an overflow %+v; want a rescan of %s", bs[0], dir)
	}
}

func TestEventsOutsideRootsAndMissingRoot(t *testing.T) {
	if _, err := New(nil, Options{}); err == nil {
		t.Error("New without roots: no error")
	}
	// A root that is not there (an unplugged disk) is not watched, and
	// the watcher still starts.
	w, err := New([]string{filepath.Join(t.TempDir(), "unplugged")}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if w.Watched() != 0 {
		t.Errorf("watching %d folders of a missing root", w.Watched())
	}
}

func TestMissingRootIsWatchedWhenItComesBack(t *testing.T) {
	root := filepath.Join(t.TempDir(), "usb")
	w, err := New([]string{root}, Options{Quiet: testQuiet, Poll: testPoll, Rescan: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, w)
	time.Sleep(500 * time.Millisecond) // looked for twice: still away, nothing reported
	if bs, _ := r.snapshot(); len(bs) != 0 {
		t.Fatalf("batches while the folder is away: %+v", bs)
	}
	// The disk is back with photos added elsewhere meanwhile: a rescan of
	// it, then its changes are followed.
	write(t, filepath.Join(root, "old.jpg"), []byte("old"))
	waitUntil(t, func() bool {
		bs, _ := r.snapshot()
		return len(bs) > 0 && bs[0].Rescan && slices.Equal(bs[0].Paths, []string{root})
	})
	waitUntil(t, func() bool { return w.watching(root) })
	p := filepath.Join(root, "new.jpg")
	write(t, p, []byte("new"))
	r.waitReported(t, p)
}
