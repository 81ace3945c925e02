package desktop

import (
	"context"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// statusBar shows the store (and whether it answers), the model and the
// photo count, plus the latest problem, at the bottom of the window.
type statusBar struct {
	u       *ui
	info    *widget.Label
	problem *widget.Label
	content fyne.CanvasObject
}

func newStatusBar(u *ui) *statusBar {
	s := &statusBar{u: u, info: widget.NewLabel("Loading…"), problem: widget.NewLabel("")}
	s.info.Truncation = fyne.TextTruncateEllipsis
	s.problem.Truncation = fyne.TextTruncateEllipsis
	s.problem.Importance = widget.DangerImportance
	s.content = container.NewBorder(widget.NewSeparator(), nil, nil, nil, container.NewGridWithColumns(2, s.info, s.problem))
	return s
}

// refresh gathers the figures in the background.
func (s *statusBar) refresh() {
	be := s.u.be
	s.u.goBackground(func(ctx context.Context) {
		st, err := be.Stats(ctx)
		s.u.do(func() {
			if err != nil {
				s.setError("Could not read the library: " + err.Error())
				return
			}
			store := st.Store + " ✓ connected"
			if st.StoreCount < 0 {
				store = st.Store + " ✗ unreachable"
				s.setError("Vector store: " + st.StoreError)
			}
			text := fmt.Sprintf("Store: %s  ·  Model: %s  ·  %d photos (%d embedded)", store, st.Model, st.Photos, st.Embedded)
			if st.Pending > 0 {
				text += fmt.Sprintf("  ·  %d waiting for the store", st.Pending)
			}
			offline := 0
			for _, o := range st.Offline {
				offline += o.Photos
			}
			if offline > 0 {
				text += fmt.Sprintf("  ·  %d offline", offline)
			}
			s.info.SetText(text)
		})
	})
}

func (s *statusBar) setError(text string) {
	s.problem.Importance = widget.DangerImportance
	s.problem.SetText(text)
}

// setNotice says something the user should know that is not a problem
// (e.g. which model is used meanwhile), in the plain text colour.
func (s *statusBar) setNotice(text string) {
	s.problem.Importance = widget.MediumImportance
	s.problem.SetText(text)
}
