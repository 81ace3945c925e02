package desktop

import (
	"context"
	"fmt"
	"path/filepath"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/simili/simili/library/catalog"
	"github.com/simili/simili/search/engine"
)

// groupsView browses the library (or the filtered folder) by similarity:
// visual groups as rows of thumbnails, or every photo in an order that
// keeps look-alikes together.
type groupsView struct {
	u       *ui
	mode    *widget.RadioGroup
	info    *widget.Label
	list    *widget.List
	order   *photoGrid
	body    *fyne.Container
	content fyne.CanvasObject

	groups []engine.PhotoGroup
	dirty  bool
	seq    int
}

const (
	modeGroups = "Visual groups"
	modeOrder  = "All photos, look-alikes together"
	rowThumbs  = 8
)

func newGroupsView(u *ui) *groupsView {
	v := &groupsView{u: u, info: widget.NewLabel(""), dirty: true}
	v.info.Truncation = fyne.TextTruncateEllipsis
	v.mode = widget.NewRadioGroup([]string{modeGroups, modeOrder}, func(string) { v.dirty = true; v.ensure() })
	v.mode.Horizontal = true
	v.mode.Selected = modeGroups
	v.list = widget.NewList(func() int { return len(v.groups) }, v.newRow, v.updateRow)
	v.list.OnSelected = func(widget.ListItemID) { v.list.UnselectAll() }
	v.order = newPhotoGrid(u, sliceSource(nil), func(it gridItem) { u.openPhoto(it.Photo, false) })
	v.body = container.NewStack(v.list, v.order.grid)
	v.order.grid.Hide()
	v.content = container.NewBorder(container.NewVBox(v.mode, v.info), nil, nil, nil, v.body)
	return v
}

func (v *groupsView) thumbSize() fyne.Size {
	s := float32(v.u.prefs.cellSize) * 0.8
	return fyne.NewSize(s, s*0.75)
}

func (v *groupsView) newRow() fyne.CanvasObject {
	title := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	all := widget.NewButton("Show all", nil)
	all.Importance = widget.LowImportance
	thumbs := container.NewHBox()
	for range rowThumbs {
		thumbs.Add(newTappableThumb(v.thumbSize()))
	}
	more := widget.NewLabel("")
	return container.NewVBox(container.NewHBox(title, all), container.NewHBox(thumbs, more))
}

func (v *groupsView) updateRow(id widget.ListItemID, o fyne.CanvasObject) {
	if id >= len(v.groups) {
		return
	}
	g := v.groups[id]
	rows := o.(*fyne.Container).Objects
	head := rows[0].(*fyne.Container).Objects
	title, all := head[0].(*widget.Label), head[1].(*widget.Button)
	body := rows[1].(*fyne.Container).Objects
	thumbs, more := body[0].(*fyne.Container).Objects, body[1].(*widget.Label)
	if len(g.Photos) == 1 {
		title.SetText("1 photo unlike any other")
	} else {
		title.SetText(fmt.Sprintf("%d photos · similarity %.2f", len(g.Photos), g.Cohesion))
	}
	all.OnTapped = func() { v.u.results.showList(fmt.Sprintf("Visual group of %d photos", len(g.Photos)), g.Photos) }
	for i, o := range thumbs {
		t := o.(*tappableThumb)
		t.size = v.thumbSize()
		if i >= len(g.Photos) {
			t.Hide()
			continue
		}
		p := g.Photos[i]
		t.Show()
		t.onTap = func() { v.u.openPhoto(p, false) }
		t.show(p.Hash, v.u.thumbs.Get(p.Hash, t.imageReady(p.Hash)), "")
		t.setOffline(p.Offline)
	}
	if n := len(g.Photos) - rowThumbs; n > 0 {
		more.SetText(fmt.Sprintf("+%d", n))
	} else {
		more.SetText("")
	}
}

// invalidate marks the groups out of date (filters changed, scan ended) and
// recomputes them if they are on screen.
func (v *groupsView) invalidate() {
	v.dirty = true
	if v.u.tabs != nil && v.u.tabs.Selected() != nil && v.u.tabs.Selected().Content == v.content {
		v.ensure()
	}
}

// ensure recomputes the groups if needed, in the background.
func (v *groupsView) ensure() {
	if !v.dirty {
		return
	}
	v.dirty = false
	v.seq++
	seq, f, mode := v.seq, v.u.filter, v.mode.Selected
	scope := "the whole library"
	if f.Folder != "" {
		scope = filepath.Base(f.Folder)
	}
	v.info.SetText("Grouping the photos of " + scope + " by how they look…")
	be := v.u.be
	v.u.goBackground(func(ctx context.Context) {
		if mode == modeOrder {
			photos, err := be.SimilarityOrder(ctx, f)
			v.u.do(func() {
				if seq == v.seq {
					v.showOrder(photos, scope, err)
				}
			})
			return
		}
		g, err := be.VisualGroups(ctx, f)
		v.u.do(func() {
			if seq == v.seq {
				v.showGroups(g, scope, err)
			}
		})
	})
}

func (v *groupsView) showGroups(g engine.Grouping, scope string, err error) {
	v.order.grid.Hide()
	v.list.Show()
	if err != nil {
		v.info.SetText("Cannot group the photos: " + err.Error())
		v.groups = nil
		v.list.Refresh()
		return
	}
	multi, photos := 0, 0
	for _, x := range g.Groups {
		if len(x.Photos) > 1 {
			multi++
			photos += len(x.Photos)
		}
	}
	text := fmt.Sprintf("%s: %d groups of look-alikes (%d photos), %d photos unlike any other", scope, multi, photos, len(g.Groups)-multi)
	if g.NotEmbedded > 0 {
		text += fmt.Sprintf(" · %d photos not embedded yet", g.NotEmbedded)
	}
	v.info.SetText(text)
	v.groups = g.Groups
	v.list.Refresh()
	v.list.ScrollToTop()
}

func (v *groupsView) showOrder(photos []catalog.Photo, scope string, err error) {
	v.list.Hide()
	v.order.grid.Show()
	if err != nil {
		v.info.SetText("Cannot order the photos: " + err.Error())
		v.order.setSource(sliceSource(nil))
		return
	}
	v.info.SetText(fmt.Sprintf("%s: %d photos, each next to its closest look-alike", scope, len(photos)))
	items := make(sliceSource, len(photos))
	for i, p := range photos {
		items[i] = gridItem{Photo: p}
	}
	v.order.setSource(items)
}
