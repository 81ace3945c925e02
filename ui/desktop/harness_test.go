package desktop

import (
	"io"
	"log/slog"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// newTestUI opens the window on the test driver against be and waits for
// the first page of the library.
func newTestUI(t testing.TB, be Backend) *ui {
	t.Helper()
	a := test.NewTempApp(t)
	w := a.NewWindow("Simili")
	u := newUI(a, w, be, slog.New(slog.NewTextHandler(io.Discard, nil)))
	w.Resize(fyne.NewSize(1200, 800))
	u.withUI(func() { u.start(false) })
	u.settle()
	t.Cleanup(func() {
		u.close()
		u.settle()
		w.Close()
	})
	return u
}

// withUI runs fn as if on the UI goroutine: background updates wait.
func (u *ui) withUI(fn func()) {
	u.uiMu.Lock()
	defer u.uiMu.Unlock()
	fn()
}

// act runs fn on the UI, then waits for the work it started.
func (u *ui) act(fn func()) {
	u.withUI(fn)
	u.settle()
	// Rendering the new state may request thumbnails: let them arrive too.
	u.withUI(func() { u.win.Canvas().Content().Refresh() })
	u.settle()
}

// shownCells returns the thumbnail cells of the grid that have a photo.
func shownCells(g *photoGrid) []*thumbCell {
	var out []*thumbCell
	for _, o := range test.LaidOutObjects(g.grid) {
		if c, ok := o.(*thumbCell); ok && c.Visible() && c.hash != "" {
			out = append(out, c)
		}
	}
	return out
}
