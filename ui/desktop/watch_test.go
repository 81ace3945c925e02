package desktop

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/simili/simili/library/catalog"
	"github.com/simili/simili/search/engine"
)

// Watch on the plain fake follows nothing until the window closes.
func (b *fakeBackend) Watch(ctx context.Context, _ []string, _ engine.WatchOptions) error {
	<-ctx.Done()
	return nil
}

// watchingBackend is a fake whose folder watcher the test drives: each
// function sent on apply runs as a batch and is reported as one.
type watchingBackend struct {
	*fakeBackend
	started chan []string
	apply   chan func() engine.WatchBatch
}

func (b *watchingBackend) Watch(ctx context.Context, roots []string, opt engine.WatchOptions) error {
	b.started <- roots
	for {
		select {
		case <-ctx.Done():
			return nil
		case fn := <-b.apply:
			opt.OnBatch(fn())
		}
	}
}

func TestWatchedChangesRefreshTheGrid(t *testing.T) {
	be := &watchingBackend{fakeBackend: newFakeBackend(30), started: make(chan []string, 4), apply: make(chan func() engine.WatchBatch)}
	u := newTestUI(t, be)
	if got := u.library.header.Text; got != "30 photos, newest first" {
		t.Fatalf("header %q before watching", got)
	}
	// A scan ending starts the watcher on the library folders.
	u.act(func() { u.watcher.ensure(true) })
	select {
	case roots := <-be.started:
		if len(roots) != 1 || roots[0] != "/photos" {
			t.Fatalf("watching %q; want the library folders", roots)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the watcher did not start")
	}
	// The same folders again: the running watcher is kept.
	u.act(func() { u.watcher.ensure(true) })
	select {
	case roots := <-be.started:
		t.Fatalf("watcher restarted for unchanged folders %q", roots)
	case <-time.After(100 * time.Millisecond):
	}

	// A photo copied into a watched folder: the batch adds it, the grid
	// shows it without a rescan.
	be.apply <- func() engine.WatchBatch {
		be.mu.Lock()
		defer be.mu.Unlock()
		p := be.photos[0]
		p.ID, p.Path, p.Hash = 31, "/photos/2008/new.jpg", fmt.Sprintf("%064x", 31)
		p.TakenAt = p.TakenAt.Add(time.Hour)
		be.photos = append([]catalog.Photo{p}, be.photos...)
		return engine.WatchBatch{Paths: 1, Added: 1, Embedded: 1, Finished: time.Now()}
	}
	waitHeader(t, u, "31 photos, newest first")

	// Two deleted: they leave the grid.
	be.apply <- func() engine.WatchBatch {
		be.mu.Lock()
		defer be.mu.Unlock()
		be.photos = be.photos[2:]
		return engine.WatchBatch{Paths: 2, Removed: 2, Finished: time.Now()}
	}
	waitHeader(t, u, "29 photos, newest first")
}

func waitHeader(t *testing.T, u *ui, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		u.settle()
		var got string
		u.withUI(func() { got = u.library.header.Text })
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("library header %q; want %q", got, want)
		}
	}
}

// savingBackend records the configurations Settings saves.
type savingBackend struct {
	*fakeBackend
	saved []engine.Config
}

func (b *savingBackend) SaveConfig(cfg engine.Config) error {
	b.saved = append(b.saved, cfg)
	return nil
}

func TestSettingsSavesTheRescanInterval(t *testing.T) {
	be := &savingBackend{fakeBackend: newFakeBackend(5)}
	u := newTestUI(t, be)
	u.act(u.showSettings)
	u.withUI(func() {
		var sel *widget.Select
		var save *widget.Button
		for _, o := range test.LaidOutObjects(u.win.Canvas().Overlays().Top()) {
			switch w := o.(type) {
			case *widget.Select:
				if slices.Equal(w.Options, rescanChoices) {
					sel = w
				}
			case *widget.Button:
				if w.Text == "Save" {
					save = w
				}
			}
		}
		if sel == nil || save == nil {
			t.Fatalf("rescan select %v, save button %v", sel, save)
		}
		if sel.Selected != "10 minutes" {
			t.Errorf("rescan interval shown %q; want the default, 10 minutes", sel.Selected)
		}
		sel.SetSelected("30 minutes")
		test.Tap(save)
	})
	if len(be.saved) != 1 || be.saved[0].RescanMinutes != 30 {
		t.Fatalf("saved %+v; want one config with rescan_minutes 30", be.saved)
	}
}
