package desktop

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

func TestLibraryGridShowsNewestFirst(t *testing.T) {
	be := newFakeBackend(500)
	u := newTestUI(t, be)
	u.act(func() {})
	u.withUI(func() {
		if got := u.library.src.Len(); got != 500 {
			t.Fatalf("grid length %d, want 500", got)
		}
		cells := shownCells(u.library.grid)
		if len(cells) == 0 {
			t.Fatal("no thumbnail cell on screen")
		}
		if cells[0].hash != be.photos[0].Hash {
			t.Errorf("first cell shows %s, want the newest photo %s", cells[0].hash, be.photos[0].Hash)
		}
		loaded := 0
		for _, c := range cells {
			if c.img.Image != nil {
				loaded++
			}
		}
		if loaded != len(cells) {
			t.Errorf("%d of %d visible cells have their thumbnail", loaded, len(cells))
		}
		if !strings.Contains(u.library.header.Text, "500 photos") {
			t.Errorf("header %q", u.library.header.Text)
		}
	})
}

func TestCameraFilterNarrowsTheGrid(t *testing.T) {
	be := newFakeBackend(300)
	u := newTestUI(t, be)
	u.act(func() { u.filters.setCamera("DMC-FX33") })
	u.withUI(func() {
		be.mu.Lock()
		got := be.lastFilter
		be.mu.Unlock()
		if got.Camera != "DMC-FX33" || got.Lens != "" || got.Folder != "" || !got.From.IsZero() {
			t.Fatalf("query filter %+v, want only Camera DMC-FX33", got)
		}
		if n := u.library.src.Len(); n != 100 {
			t.Fatalf("grid has %d photos, want the 100 DMC-FX33 ones", n)
		}
		for i := 0; i < u.library.src.Len(); i++ {
			if it, ok := u.library.src.At(i); ok && it.Photo.Model != "DMC-FX33" {
				t.Fatalf("item %d is from %s", i, it.Photo.Model)
			}
		}
		if len(u.filters.chips.Objects) != 1 || !strings.Contains(u.filters.chips.Objects[0].(*widget.Button).Text, "DMC-FX33") {
			t.Fatalf("chips: %d", len(u.filters.chips.Objects))
		}
	})
	// Removing the chip clears the filter.
	u.act(func() { test.Tap(u.filters.chips.Objects[0].(*widget.Button)) })
	u.withUI(func() {
		if n := u.library.src.Len(); n != 300 || !u.filter.IsZero() {
			t.Fatalf("after removing the chip: %d photos, filter %+v", n, u.filter)
		}
	})
}

func TestDateFilterAndFacets(t *testing.T) {
	be := newFakeBackend(100)
	u := newTestUI(t, be)
	u.withUI(func() {
		if len(u.filters.camera.sel.Options) != 4 || !strings.HasPrefix(u.filters.camera.sel.Options[1], "C-50Z (33)") &&
			!strings.HasPrefix(u.filters.camera.sel.Options[1], "DMC-FX33 (34)") {
			t.Fatalf("camera options %v", u.filters.camera.sel.Options)
		}
	})
	u.act(func() { u.filters.from.SetText("2008-12-31"); u.filters.to.SetText("2008-12-31") })
	u.withUI(func() {
		if n := u.library.src.Len(); n != 13 { // 12:00 back to 00:00 in hours
			t.Fatalf("one day: %d photos, want 13", n)
		}
	})
	u.act(func() { u.filters.from.SetText("2008-1") }) // half typed: no query
	u.withUI(func() {
		if n := u.library.src.Len(); n != 13 {
			t.Fatalf("half-typed date changed the grid to %d", n)
		}
	})
}

func TestDropShowsResultsWithScores(t *testing.T) {
	be := newFakeBackend(90)
	u := newTestUI(t, be)
	dir := t.TempDir()
	photo := filepath.Join(dir, "query.JPG")
	if err := os.WriteFile(photo, tinyJPEG(t), 0o644); err != nil {
		t.Fatal(err)
	}
	u.act(func() { u.handleDrop([]fyne.URI{storage.NewFileURI(photo)}) })
	u.withUI(func() {
		if len(be.searches) != 1 || be.searches[0] != "file:query.JPG" {
			t.Fatalf("searches %v", be.searches)
		}
		if u.tabs.SelectedIndex() != 1 {
			t.Fatalf("tab %d selected, want Similar", u.tabs.SelectedIndex())
		}
		cells := shownCells(u.results.grid)
		if len(cells) != 30 {
			t.Fatalf("%d result cells, want 30", len(cells))
		}
		if cells[0].hash != be.photos[0].Hash || cells[0].caption.Text != "0.990" || cells[1].caption.Text != "0.980" {
			t.Fatalf("first results %s %q, %q", cells[0].hash, cells[0].caption.Text, cells[1].caption.Text)
		}
		if !strings.Contains(u.results.title.Text, "query.JPG") {
			t.Fatalf("title %q", u.results.title.Text)
		}
	})
}

func TestDropRejectsNonImages(t *testing.T) {
	be := newFakeBackend(10)
	u := newTestUI(t, be)
	dir := t.TempDir()
	txt := filepath.Join(dir, "notes.txt")
	os.WriteFile(txt, []byte("hello"), 0o644)
	for _, uri := range []fyne.URI{storage.NewFileURI(txt), storage.NewFileURI(dir)} {
		u.act(func() { u.handleDrop([]fyne.URI{uri}) })
		u.withUI(func() {
			if len(be.searches) != 0 {
				t.Fatalf("%s started a search", uri)
			}
			overlay := u.win.Canvas().Overlays().Top()
			if overlay == nil {
				t.Fatalf("%s: no message shown", uri)
			}
			text := ""
			for _, o := range test.LaidOutObjects(overlay) {
				if l, ok := o.(*widget.Label); ok {
					text += l.Text
				}
			}
			if !strings.Contains(text, "Drop") {
				t.Fatalf("%s: message %q does not say what to drop", uri, text)
			}
			u.win.Canvas().Overlays().Remove(overlay)
		})
	}
}

func TestDetailPaneWalkAndHistory(t *testing.T) {
	be := newFakeBackend(90)
	u := newTestUI(t, be)
	// Click the third library photo: detail only.
	u.act(func() { u.library.grid.grid.Select(2) })
	u.withUI(func() {
		if !u.detail.visible() || u.detail.entry.Photo.ID != 3 {
			t.Fatalf("detail shows %d (visible %v), want photo 3", u.detail.entry.Photo.ID, u.detail.visible())
		}
		if !strings.Contains(fieldsText(u.detail), "Maker C-50Z") || !strings.Contains(fieldsText(u.detail), "1024 × 768") {
			t.Fatalf("detail fields %q", fieldsText(u.detail))
		}
		if u.detail.preview.Image == nil {
			t.Fatal("no preview")
		}
		if !u.detail.backB.Disabled() {
			t.Fatal("Back enabled on the first photo")
		}
	})
	// Find similar, then walk to a neighbour.
	u.act(func() { test.Tap(u.detail.similar) })
	u.act(func() { u.results.grid.grid.Select(1) })
	var walked int64
	u.withUI(func() {
		walked = u.detail.entry.Photo.ID
		if walked == 3 || len(be.searches) != 2 || be.searches[0] != "photo:3" || be.searches[1] != fmt.Sprintf("photo:%d", walked) {
			t.Fatalf("walk: detail %d, searches %v", walked, be.searches)
		}
		if u.detail.backB.Disabled() || !u.detail.fwdB.Disabled() {
			t.Fatal("Back should be enabled and Forward disabled")
		}
	})
	u.act(func() { test.Tap(u.detail.backB) })
	u.withUI(func() {
		if u.detail.entry.Photo.ID != 3 || !u.results.hasQuery || u.results.query.Photo.ID != 3 {
			t.Fatalf("back: detail %d, results for %d", u.detail.entry.Photo.ID, u.results.query.Photo.ID)
		}
		if u.detail.fwdB.Disabled() {
			t.Fatal("Forward disabled after Back")
		}
	})
	u.act(func() { test.Tap(u.detail.fwdB) })
	u.withUI(func() {
		if u.detail.entry.Photo.ID != walked {
			t.Fatalf("forward: detail %d, want %d", u.detail.entry.Photo.ID, walked)
		}
	})
}

func TestFilterAppliesToResults(t *testing.T) {
	be := newFakeBackend(90)
	u := newTestUI(t, be)
	u.act(func() { u.openPhoto(be.photos[0], true) })
	u.act(func() { u.filters.setCamera("C-50Z") })
	u.withUI(func() {
		if len(u.results.matches) == 0 {
			t.Fatal("no results")
		}
		for _, m := range u.results.matches {
			if m.Photo.Model != "C-50Z" {
				t.Fatalf("result from %s passes the C-50Z filter", m.Photo.Model)
			}
		}
	})
}

func TestGroupsView(t *testing.T) {
	be := newFakeBackend(60)
	u := newTestUI(t, be)
	u.act(func() { u.tabs.SelectIndex(2) })
	u.withUI(func() {
		if len(u.groups.groups) != 10 || !strings.Contains(u.groups.info.Text, "10 groups") {
			t.Fatalf("%d groups, info %q", len(u.groups.groups), u.groups.info.Text)
		}
		var thumbs []*tappableThumb
		for _, o := range test.LaidOutObjects(u.groups.list) {
			if th, ok := o.(*tappableThumb); ok && th.Visible() && th.hash != "" {
				thumbs = append(thumbs, th)
			}
		}
		if len(thumbs) < 6 {
			t.Fatalf("%d group thumbnails on screen", len(thumbs))
		}
		test.Tap(thumbs[1])
		if u.detail.entry.Photo.Hash != thumbs[1].hash {
			t.Fatal("tapping a group thumbnail did not open it")
		}
	})
	u.act(func() { u.groups.mode.SetSelected(modeOrder) })
	u.withUI(func() {
		if u.groups.order.src.Len() != 60 {
			t.Fatalf("order has %d photos", u.groups.order.src.Len())
		}
	})
}

func fieldsText(d *detailPane) string {
	var s []string
	for _, o := range d.fields.Objects {
		s = append(s, o.(*widget.Label).Text)
	}
	return strings.Join(s, " ")
}

func TestScanProgressAndCancel(t *testing.T) {
	be := newFakeBackend(20)
	u := newTestUI(t, be)
	u.withUI(func() { u.scanner.start([]string{"/photos/new"}) })
	// The scan runs until cancelled, so wait for its report, not for idleness.
	eventually(t, func() (ok bool) {
		u.withUI(func() { ok = len(u.scanner.problems) == 1 && strings.Contains(u.scanner.label.Text, "100 found") })
		return ok
	})
	u.withUI(func() {
		text := u.scanner.label.Text
		for _, want := range []string{"100 found", "40 done", "1 failed", "12.5 photos/s", "ETA 4s"} {
			if !strings.Contains(text, want) {
				t.Errorf("progress %q lacks %q", text, want)
			}
		}
		if !u.scanner.content.Visible() || u.scanner.stop.Disabled() || !u.scanner.details.Visible() {
			t.Fatal("scan panel, Cancel or Problems not shown")
		}
		if len(u.scanner.problems) != 1 || u.scanner.problems[0].Reason != "decode" {
			t.Fatalf("problems %+v", u.scanner.problems)
		}
		test.Tap(u.scanner.stop)
	})
	if _, err := u.scanner.wait(); err != nil {
		t.Fatal(err)
	}
	u.settle()
	u.withUI(func() {
		if !strings.Contains(u.scanner.label.Text, "cancelled") || u.scanner.running {
			t.Fatalf("after cancel: %q", u.scanner.label.Text)
		}
	})
}

func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestSettingsDialog(t *testing.T) {
	be := newFakeBackend(10)
	u := newTestUI(t, be)
	u.act(u.showSettings)
	u.withUI(func() {
		top := u.win.Canvas().Overlays().Top()
		if top == nil {
			t.Fatal("no settings dialog")
		}
		var test_ *widget.Button
		labels := ""
		for _, o := range test.LaidOutObjects(top) {
			switch w := o.(type) {
			case *widget.Button:
				if w.Text == "Test connection" {
					test_ = w
				}
			case *widget.Label:
				labels += w.Text + "\n"
			}
		}
		if !strings.Contains(labels, "Installed") {
			t.Errorf("model status missing: %q", labels)
		}
		if test_ == nil {
			t.Fatal("no Test connection button")
		}
	})
}

// TestSettingsMakesInt8Model picks an int8 model that is not made yet:
// Settings says how it is made, and its button makes it from the library
// and shows the fidelity it reached.
func TestSettingsMakesInt8Model(t *testing.T) {
	be := newFakeBackend(10)
	u := newTestUI(t, be)
	u.act(u.showSettings)
	find := func() (sel *widget.Select, make_ *widget.Button, labels string) {
		for _, o := range test.LaidOutObjects(u.win.Canvas().Overlays().Top()) {
			switch w := o.(type) {
			case *widget.Select:
				if slices.Contains(w.Options, "squeezenet-int8") {
					sel = w
				}
			case *widget.Button:
				if w.Text == "Make from my photos" {
					make_ = w
				}
			case *widget.Label:
				labels += w.Text + "\n"
			}
		}
		return sel, make_, labels
	}
	u.withUI(func() {
		sel, make_, _ := find()
		if sel == nil || make_ == nil {
			t.Fatalf("model select %v, make button %v", sel, make_)
		}
		if make_.Visible() {
			t.Error("Make button shown for an installed float model")
		}
		sel.SetSelected("squeezenet-int8")
	})
	u.withUI(func() {
		_, make_, labels := find()
		if !make_.Visible() || !strings.Contains(labels, "Not made yet") || !strings.Contains(labels, "squeezenet") {
			t.Fatalf("make button visible %v, labels %q", make_.Visible(), labels)
		}
		test.Tap(make_)
	})
	eventually(t, func() bool {
		var labels string
		u.withUI(func() { _, _, labels = find() })
		return strings.Contains(labels, "mean cosine 0.9950")
	})
	be.mu.Lock()
	defer be.mu.Unlock()
	if !slices.Equal(be.quantized, []string{"squeezenet"}) {
		t.Errorf("quantized %v, want [squeezenet]", be.quantized)
	}
}
