package desktop

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/simili/simili/search/engine"
)

// offlineFirstRun is the fake library on a machine where the configured
// ResNet50 is not downloaded and SqueezeNet is used meanwhile.
type offlineFirstRun struct{ *fakeBackend }

func (b offlineFirstRun) ModelStatus(name string) (engine.ModelStatus, error) {
	if name == "" || name == "resnet50" {
		return engine.ModelStatus{Name: "resnet50", CanFetch: true, UsingInstead: "squeezenet"}, nil
	}
	return b.fakeBackend.ModelStatus(name)
}

func (b offlineFirstRun) Config() engine.Config {
	return engine.Config{Model: "resnet50", Store: "embedded"}
}

// TestOfflinePhotosWearABadge: photos whose library folder is offline show
// the "offline" badge in the grid, in results and in visual groups; the
// others do not.
func TestOfflinePhotosWearABadge(t *testing.T) {
	be := newFakeBackend(60)
	offline := map[string]bool{}
	for i := range be.photos {
		if i%3 == 0 {
			be.photos[i].Offline = true
			offline[be.photos[i].Hash] = true
		}
	}
	u := newTestUI(t, be)
	u.act(func() {})
	check := func(where string, cells []*thumbCell) {
		t.Helper()
		if len(cells) < 6 {
			t.Fatalf("%s: only %d cells on screen", where, len(cells))
		}
		seen := 0
		for _, c := range cells {
			if c.badge.Visible() != offline[c.hash] || c.badgeBg.Visible() != offline[c.hash] {
				t.Errorf("%s: cell %s badge shown %v, want %v", where, c.hash[56:], c.badge.Visible(), offline[c.hash])
			}
			if c.badge.Visible() {
				seen++
				if c.badge.Text != "offline" || c.badge.Size().Width == 0 {
					t.Errorf("%s: badge %q laid out at %v", where, c.badge.Text, c.badge.Size())
				}
			}
		}
		if seen == 0 {
			t.Errorf("%s: no offline badge on screen", where)
		}
	}
	u.withUI(func() { check("library", shownCells(u.library.grid)) })

	photo := filepath.Join(t.TempDir(), "query.jpg")
	if err := os.WriteFile(photo, tinyJPEG(t), 0o644); err != nil {
		t.Fatal(err)
	}
	u.act(func() { u.handleDrop([]fyne.URI{storage.NewFileURI(photo)}) })
	u.withUI(func() { check("results", shownCells(u.results.grid)) })

	u.act(func() { u.tabs.SelectIndex(2) })
	u.withUI(func() {
		var cells []*thumbCell
		for _, o := range test.LaidOutObjects(u.groups.list) {
			if th, ok := o.(*tappableThumb); ok && th.Visible() && th.hash != "" {
				cells = append(cells, th.thumbCell)
			}
		}
		check("visual groups", cells)
	})

	// The detail pane of an offline photo says so and does not try (and
	// fail, in red) to read the file.
	u.act(func() { u.openPhoto(be.photos[0], false) })
	u.withUI(func() {
		if !strings.Contains(u.detail.path.Text, "offline") {
			t.Errorf("detail path %q does not say the photo is offline", u.detail.path.Text)
		}
		if u.status.problem.Text != "" {
			t.Errorf("status shows %q for an offline photo", u.status.problem.Text)
		}
	})

	// A recycled cell that now shows an online photo loses the badge.
	u.withUI(func() {
		c := newThumbCell(fyne.NewSize(100, 100))
		c.setOffline(true)
		c.setOffline(false)
		if c.badge.Visible() || c.badgeBg.Visible() {
			t.Error("badge still shown after setOffline(false)")
		}
	})
}

// TestOfflineFirstRunNotice: without ResNet50 the status bar says plainly
// that SqueezeNet is used, not as an error, and Settings offers the
// download.
func TestOfflineFirstRunNotice(t *testing.T) {
	u := newTestUI(t, offlineFirstRun{newFakeBackend(10)})
	u.act(func() {})
	u.withUI(func() {
		want := "Using SqueezeNet: ResNet50 is not downloaded yet — Settings → Download"
		if got := u.status.problem.Text; got != want {
			t.Fatalf("status %q, want %q", got, want)
		}
		if u.status.problem.Importance == widget.DangerImportance {
			t.Error("the fallback notice is shown as an error")
		}
	})
	u.act(u.showSettings)
	u.withUI(func() {
		top := u.win.Canvas().Overlays().Top()
		if top == nil {
			t.Fatal("no settings dialog")
		}
		labels, download := "", false
		for _, o := range test.LaidOutObjects(top) {
			switch w := o.(type) {
			case *widget.Button:
				if strings.HasPrefix(w.Text, "Download") && w.Visible() {
					download = true
				}
			case *widget.Label:
				labels += w.Text + "\n"
			}
		}
		if !strings.Contains(labels, "Simili uses SqueezeNet meanwhile") {
			t.Errorf("settings do not say which model is used: %q", labels)
		}
		if !download {
			t.Error("settings offer no download")
		}
	})
	// A later real error is still shown as one.
	u.withUI(func() { u.status.setError("Vector store: unreachable") })
	u.withUI(func() {
		if u.status.problem.Importance != widget.DangerImportance {
			t.Error("an error after the notice is not shown as an error")
		}
	})
}
