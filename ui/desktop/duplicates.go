package desktop

import (
	"context"
	"errors"
	"fmt"
	"image"
	"path/filepath"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/simili/simili/library/catalog"
	"github.com/simili/simili/search/duplicates"
	"github.com/simili/simili/search/engine"
)

// duplicatesBackend is what the Duplicates view asks of the backend: the
// groups (search/duplicates through the engine) and the trash
// (library/trash through the engine, which keeps the catalog and the
// vector store in step).
type duplicatesBackend interface {
	Duplicates(ctx context.Context, opt duplicates.Options) ([]duplicates.Group, error)
	MoveToTrash(ctx context.Context, ids []int64) (engine.TrashResult, error)
	RestoreFromTrash(ctx context.Context, items []engine.TrashedPhoto) (engine.RestoreResult, error)
}

// duplicatesView lists the library's copies of one tier with the suggested
// keeper and the reasons, compares a copy with its keeper side by side,
// and moves the photos ticked for removal to the desktop trash, with Undo.
type duplicatesView struct {
	u         *ui
	tier      *widget.RadioGroup
	slider    *widget.Slider
	sliderLbl *widget.Label
	sliderBox *fyne.Container
	info      *widget.Label
	trashB    *widget.Button
	undoB     *widget.Button
	list      *widget.List
	cmp       *comparePane
	content   fyne.CanvasObject

	groups  []duplicates.Group
	remove  map[int64]bool          // photos ticked for the trash
	undo    [][]engine.TrashedPhoto // each Move to Trash, the latest last
	confirm *dialog.ConfirmDialog   // the open confirmation, for tests
	dirty   bool
	busy    bool // a move or an undo is running
	seq     int
}

// dupRowThumbs is how many member cells a row starts with; a bigger
// group adds its own.
const dupRowThumbs = 4

func newDuplicatesView(u *ui) *duplicatesView {
	v := &duplicatesView{u: u, info: widget.NewLabel(""), remove: map[int64]bool{}, dirty: true}
	v.info.Truncation = fyne.TextTruncateEllipsis
	var titles []string
	for _, t := range duplicates.Tiers {
		titles = append(titles, t.Title())
	}
	v.tier = widget.NewRadioGroup(titles, func(string) { v.tierChanged() })
	v.tier.Horizontal = true
	v.tier.Required = true
	v.tier.Selected = duplicates.Identical.Title()

	v.slider = widget.NewSlider(0.80, 0.99)
	v.slider.Step = 0.01
	v.slider.Value = duplicates.DefaultThreshold
	v.sliderLbl = widget.NewLabel("")
	v.slider.OnChanged = func(float64) { v.showThreshold() }
	v.slider.OnChangeEnded = func(float64) { v.dirty = true; v.ensure() }
	v.showThreshold()
	sl := container.NewGridWrap(fyne.NewSize(220, v.slider.MinSize().Height), v.slider)
	v.sliderBox = container.NewHBox(widget.NewLabel("Similarity at least"), sl, v.sliderLbl)
	v.sliderBox.Hide()

	v.trashB = widget.NewButtonWithIcon("Move to Trash", theme.DeleteIcon(), v.askTrash)
	v.trashB.Importance = widget.DangerImportance
	v.undoB = widget.NewButtonWithIcon("Undo", theme.ContentUndoIcon(), v.undoLast)
	v.undoB.Disable()

	v.list = widget.NewList(func() int { return len(v.groups) }, v.newRow, v.updateRow)
	v.list.OnSelected = func(id widget.ListItemID) {
		v.list.UnselectAll()
		if id < len(v.groups) {
			v.compareWith(id, 1)
		}
	}
	v.cmp = newComparePane(u)
	split := container.NewHSplit(v.list, v.cmp.content)
	split.Offset = 0.6
	top := container.NewVBox(
		container.NewHBox(v.tier, v.sliderBox),
		container.NewBorder(nil, nil, nil, container.NewHBox(v.undoB, v.trashB), v.info),
	)
	v.content = container.NewBorder(top, nil, nil, nil, split)
	v.updateTrashButton()
	return v
}

func (v *duplicatesView) selectedTier() duplicates.Tier {
	for _, t := range duplicates.Tiers {
		if t.Title() == v.tier.Selected {
			return t
		}
	}
	return duplicates.Identical
}

func (v *duplicatesView) tierChanged() {
	if v.selectedTier() == duplicates.Similar {
		v.sliderBox.Show()
	} else {
		v.sliderBox.Hide()
	}
	v.dirty = true
	v.ensure()
}

func (v *duplicatesView) showThreshold() {
	v.sliderLbl.SetText(fmt.Sprintf("%.2f", v.slider.Value))
}

// options is the query for the current tier and slider.
func (v *duplicatesView) options() duplicates.Options {
	opt := duplicates.Options{Tiers: []duplicates.Tier{v.selectedTier()}}
	if opt.Tiers[0] == duplicates.Similar {
		opt.Threshold = float32(v.slider.Value)
	}
	return opt
}

func (v *duplicatesView) onScreen() bool {
	return v.u.tabs != nil && v.u.tabs.Selected() != nil && v.u.tabs.Selected().Content == v.content
}

// invalidate marks the groups out of date (a scan ended, photos were
// trashed or restored) and recomputes them if they are on screen.
func (v *duplicatesView) invalidate() {
	v.dirty = true
	if v.onScreen() {
		v.ensure()
	}
}

// ensure recomputes the groups if needed, in the background.
func (v *duplicatesView) ensure() {
	if !v.dirty {
		return
	}
	v.dirty = false
	v.seq++
	seq, opt := v.seq, v.options()
	v.info.SetText("Looking for " + strings.ToLower(opt.Tiers[0].Title()) + "…")
	be := v.u.be
	v.u.goBackground(func(ctx context.Context) {
		groups, err := be.Duplicates(ctx, opt)
		v.u.do(func() {
			if seq == v.seq {
				v.showGroups(groups, err)
			}
		})
	})
}

func (v *duplicatesView) showGroups(groups []duplicates.Group, err error) {
	if err != nil {
		v.info.SetText("Cannot look for duplicates: " + err.Error())
		v.groups = nil
	} else {
		v.groups = groups
	}
	// The photos that are not the suggested keeper start ticked.
	v.remove = map[int64]bool{}
	for _, g := range v.groups {
		for _, m := range g.Members {
			if !m.Keeper {
				v.remove[m.Photo.ID] = true
			}
		}
	}
	v.list.Refresh()
	v.list.ScrollToTop()
	if len(v.groups) > 0 {
		v.compareWith(0, 1)
	} else {
		v.cmp.clear()
	}
	if err == nil {
		v.updateTrashButton()
	}
}

// selection returns the ticked photos, in list order, and their bytes.
func (v *duplicatesView) selection() ([]catalog.Photo, int64) {
	var out []catalog.Photo
	var bytes int64
	seen := map[int64]bool{}
	for _, g := range v.groups {
		for _, m := range g.Members {
			if v.remove[m.Photo.ID] && !seen[m.Photo.ID] {
				seen[m.Photo.ID] = true
				out = append(out, m.Photo)
				bytes += m.Photo.Size
			}
		}
	}
	return out, bytes
}

func (v *duplicatesView) updateTrashButton() {
	photos, bytes := v.selection()
	members := 0
	for _, g := range v.groups {
		members += len(g.Members)
	}
	tier := v.selectedTier().Title()
	if len(v.groups) == 0 {
		v.info.SetText(tier + ": none in the library")
	} else {
		v.info.SetText(fmt.Sprintf("%s: %d groups, %d photos · %d ticked for the trash (%s)",
			tier, len(v.groups), members, len(photos), byteSize(bytes)))
	}
	if len(photos) == 0 || v.busy {
		v.trashB.SetText("Move to Trash")
		v.trashB.Disable()
	} else {
		v.trashB.SetText(fmt.Sprintf("Move %d to Trash", len(photos)))
		v.trashB.Enable()
	}
	if len(v.undo) == 0 || v.busy {
		v.undoB.Disable()
	} else {
		v.undoB.Enable()
	}
}

func (v *duplicatesView) thumbSize() fyne.Size {
	s := float32(v.u.prefs.cellSize) * 0.8
	return fyne.NewSize(s, s*0.75)
}

func (v *duplicatesView) newRow() fyne.CanvasObject {
	title := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.Truncation = fyne.TextTruncateEllipsis
	reasons := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Italic: true})
	reasons.Truncation = fyne.TextTruncateEllipsis
	cells := container.NewHBox()
	for range dupRowThumbs {
		cells.Add(v.newMemberCell())
	}
	// A long burst scrolls sideways instead of widening the window.
	return container.NewVBox(title, container.NewHScroll(cells), reasons)
}

// newMemberCell is a thumbnail over its tick box.
func (v *duplicatesView) newMemberCell() fyne.CanvasObject {
	size := v.thumbSize()
	th := newTappableThumb(size)
	ch := widget.NewCheck("", nil)
	return container.NewVBox(th, container.NewGridWrap(fyne.NewSize(size.Width, ch.MinSize().Height), ch))
}

func (v *duplicatesView) updateRow(id widget.ListItemID, o fyne.CanvasObject) {
	if id >= len(v.groups) {
		return
	}
	g := v.groups[id]
	rows := o.(*fyne.Container).Objects
	title, reasons := rows[0].(*widget.Label), rows[2].(*widget.Label)
	scroll := rows[1].(*container.Scroll)
	box := scroll.Content.(*fyne.Container)
	for len(box.Objects) < len(g.Members) {
		box.Add(v.newMemberCell())
	}
	title.SetText(groupTitle(g))
	reasons.SetText(memberReasons(g))
	for i, c := range box.Objects {
		box := c.(*fyne.Container)
		th := box.Objects[0].(*tappableThumb)
		ch := box.Objects[1].(*fyne.Container).Objects[0].(*widget.Check)
		if i >= len(g.Members) {
			box.Hide()
			continue
		}
		box.Show()
		m, idx := g.Members[i], i
		caption := fmt.Sprintf("%d×%d", m.Photo.Width, m.Photo.Height)
		if m.Keeper {
			caption = "KEEP " + caption
		}
		th.size = v.thumbSize()
		th.onTap = func() { v.compareWith(id, idx) }
		th.show(m.Photo.Hash, v.u.thumbs.Get(m.Photo.Hash, th.imageReady(m.Photo.Hash)), caption)
		ch.OnChanged = nil
		ch.Text = shortName(filepath.Base(m.Photo.Path), 16)
		ch.Checked = v.remove[m.Photo.ID]
		ch.Refresh()
		pid := m.Photo.ID
		ch.OnChanged = func(on bool) {
			v.remove[pid] = on
			v.updateTrashButton()
		}
	}
	box.Refresh()
	scroll.Refresh()
}

func groupTitle(g duplicates.Group) string {
	s := fmt.Sprintf("%d photos · keep %s", len(g.Members), filepath.Base(g.Keeper().Path))
	if g.KeeperReason != "" {
		s += ": " + g.KeeperReason
	}
	return s
}

func memberReasons(g duplicates.Group) string {
	var parts []string
	for _, m := range g.Members {
		if !m.Keeper && m.Reason != "" {
			parts = append(parts, filepath.Base(m.Photo.Path)+": "+m.Reason)
		}
	}
	return strings.Join(parts, " · ")
}

// shortName keeps the end of a long file name, where the number is.
func shortName(name string, n int) string {
	r := []rune(name)
	if len(r) <= n {
		return name
	}
	return "…" + string(r[len(r)-n+1:])
}

// compareWith shows member idx of group gi beside the group's keeper (or,
// for the keeper itself, beside the first other member).
func (v *duplicatesView) compareWith(gi, idx int) {
	g := v.groups[gi]
	if len(g.Members) < 2 {
		return
	}
	if idx <= 0 || idx >= len(g.Members) {
		idx = 1
	}
	v.cmp.show(g, g.Members[0], g.Members[idx])
}

// askTrash asks before moving the ticked photos, with their count and the
// bytes they free.
func (v *duplicatesView) askTrash() {
	photos, bytes := v.selection()
	if len(photos) == 0 || v.busy {
		return
	}
	noun := "photos"
	if len(photos) == 1 {
		noun = "photo"
	}
	msg := fmt.Sprintf("Move %d %s to the trash? This frees %s.\n\nThey go to the desktop trash, where your file manager can restore them; Undo here puts them back.",
		len(photos), noun, byteSize(bytes))
	v.confirm = dialog.NewConfirm("Move to Trash", msg, func(ok bool) {
		v.confirm = nil
		if ok {
			v.moveToTrash(photos)
		}
	}, v.u.win)
	v.confirm.SetConfirmText("Move to Trash")
	v.confirm.SetDismissText("Cancel")
	v.confirm.SetConfirmImportance(widget.DangerImportance)
	v.confirm.Show()
}

func (v *duplicatesView) moveToTrash(photos []catalog.Photo) {
	ids := make([]int64, len(photos))
	for i, p := range photos {
		ids[i] = p.ID
	}
	v.busy = true
	v.updateTrashButton()
	v.info.SetText(fmt.Sprintf("Moving %d photos to the trash…", len(ids)))
	be := v.u.be
	v.u.goBackground(func(ctx context.Context) {
		res, err := be.MoveToTrash(ctx, ids)
		v.u.do(func() { v.moved(res, err) })
	})
}

func (v *duplicatesView) moved(res engine.TrashResult, err error) {
	v.busy = false
	if len(res.Moved) > 0 {
		v.undo = append(v.undo, res.Moved)
		v.u.status.setError(fmt.Sprintf("Moved %d photos (%s) to the trash. Undo in Duplicates puts them back.", len(res.Moved), byteSize(res.Bytes)))
	}
	if problem := trashProblems(res.Failed, err); problem != nil {
		v.u.showError("Some photos were not moved to the trash", problem)
	}
	v.libraryChanged()
}

func (v *duplicatesView) undoLast() {
	if len(v.undo) == 0 || v.busy {
		return
	}
	items := v.undo[len(v.undo)-1]
	v.undo = v.undo[:len(v.undo)-1]
	v.busy = true
	v.updateTrashButton()
	v.info.SetText(fmt.Sprintf("Restoring %d photos from the trash…", len(items)))
	be := v.u.be
	v.u.goBackground(func(ctx context.Context) {
		res, err := be.RestoreFromTrash(ctx, items)
		v.u.do(func() {
			v.busy = false
			v.u.status.setError(fmt.Sprintf("Restored %d photos from the trash.", len(res.Restored)))
			if problem := trashProblems(res.Failed, err); problem != nil {
				v.u.showError("Some photos could not be restored", problem)
			}
			v.libraryChanged()
		})
	})
}

// libraryChanged refreshes every view after photos left or came back.
func (v *duplicatesView) libraryChanged() {
	v.u.library.reload(false)
	v.u.status.refresh()
	v.u.groups.invalidate()
	v.dirty = true
	v.ensure()
	v.updateTrashButton()
}

// trashProblems lists the photos the trash refused (at most ten) and err.
func trashProblems(failed []engine.TrashFailure, err error) error {
	var errs []error
	for i, f := range failed {
		if i == 10 {
			errs = append(errs, fmt.Errorf("… and %d more", len(failed)-10))
			break
		}
		errs = append(errs, f.Err)
	}
	if err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// comparePane shows two photos of a group side by side, with the fields
// in which they differ (size, format, EXIF) marked.
type comparePane struct {
	u       *ui
	title   *widget.Label
	imgs    [2]*canvas.Image
	names   [2]*widget.Label
	reason  *widget.Label
	table   *fyne.Container
	content fyne.CanvasObject
	pair    [2]catalog.Photo
	seq     int
}

const comparePreviewSide = 640

func newComparePane(u *ui) *comparePane {
	c := &comparePane{u: u, title: widget.NewLabelWithStyle("Select a group to compare its photos", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})}
	c.reason = widget.NewLabel("")
	c.reason.Wrapping = fyne.TextWrapWord
	c.table = container.New(compareLayout{})
	var cols [2]fyne.CanvasObject
	for i := range c.imgs {
		c.imgs[i] = canvas.NewImageFromImage(nil)
		c.imgs[i].FillMode = canvas.ImageFillContain
		c.imgs[i].SetMinSize(fyne.NewSize(200, 170))
		c.names[i] = widget.NewLabel("")
		c.names[i].Truncation = fyne.TextTruncateEllipsis
		c.names[i].Alignment = fyne.TextAlignCenter
		cols[i] = container.NewBorder(nil, c.names[i], nil, nil, c.imgs[i])
	}
	pics := container.NewGridWithColumns(2, cols[0], cols[1])
	info := container.NewVScroll(container.NewVBox(c.reason, c.table))
	split := container.NewVSplit(pics, info)
	split.Offset = 0.5
	c.content = container.NewBorder(c.title, nil, nil, nil, split)
	return c
}

func (c *comparePane) clear() {
	c.seq++
	c.pair = [2]catalog.Photo{}
	c.title.SetText("No duplicates to compare")
	c.reason.SetText("")
	for i := range c.imgs {
		c.imgs[i].Image = nil
		c.imgs[i].Refresh()
		c.names[i].SetText("")
	}
	c.table.Objects = nil
	c.table.Refresh()
}

func (c *comparePane) show(g duplicates.Group, a, b duplicates.Member) {
	c.seq++
	seq := c.seq
	c.pair = [2]catalog.Photo{a.Photo, b.Photo}
	c.title.SetText(g.Tier.Title() + ": " + filepath.Base(a.Photo.Path) + " and " + filepath.Base(b.Photo.Path))
	reason := "Keep " + filepath.Base(a.Photo.Path)
	if g.KeeperReason != "" {
		reason += ": " + g.KeeperReason
	}
	if b.Reason != "" {
		reason += ".\n" + filepath.Base(b.Photo.Path) + ": " + b.Reason
	}
	rows := compareRows(a.Photo, b.Photo)
	// What differs comes first, and is named above the table.
	slices.SortStableFunc(rows, func(x, y compareRow) int {
		switch {
		case x.Differs == y.Differs:
			return 0
		case x.Differs:
			return -1
		}
		return 1
	})
	var differ []string
	for _, r := range rows {
		if r.Differs && r.Label != "Folder" {
			differ = append(differ, strings.ToLower(r.Label))
		}
	}
	if len(differ) == 0 {
		reason += "\nSame size, format and EXIF."
	} else {
		reason += "\nThey differ in " + strings.Join(differ, ", ") + "."
	}
	c.reason.SetText(reason)
	for i, m := range []duplicates.Member{a, b} {
		name := filepath.Base(m.Photo.Path)
		if m.Keeper {
			name = "★ " + name + " (keep)"
		}
		c.names[i].SetText(name)
		// The thumbnail at once, the upright preview when it is read.
		c.imgs[i].Image = c.u.thumbs.Get(m.Photo.Hash, func(img image.Image) {
			if seq == c.seq && c.imgs[i].Image == nil {
				c.imgs[i].Image = img
				c.imgs[i].Refresh()
			}
		})
		c.imgs[i].Refresh()
	}
	var objs []fyne.CanvasObject
	for _, r := range rows {
		style := fyne.TextStyle{}
		label := r.Label
		if r.Differs {
			style.Bold = true
			label = "≠ " + label
		}
		objs = append(objs, widget.NewLabelWithStyle(label, fyne.TextAlignLeading, style))
		for _, val := range []string{r.A, r.B} {
			l := widget.NewLabelWithStyle(val, fyne.TextAlignLeading, style)
			l.Truncation = fyne.TextTruncateEllipsis
			objs = append(objs, l)
		}
	}
	c.table.Objects = objs
	c.table.Refresh()
	be := c.u.be
	for i, p := range c.pair {
		c.u.goBackground(func(ctx context.Context) {
			img, err := be.Preview(ctx, p.Path, comparePreviewSide)
			c.u.do(func() {
				if seq != c.seq || err != nil {
					return
				}
				c.imgs[i].Image = img
				c.imgs[i].Refresh()
			})
		})
	}
}

// compareLayout lays out the comparison three cells a row: the field names
// as wide as the widest, the two values sharing the rest equally.
type compareLayout struct{}

func (compareLayout) widths(objs []fyne.CanvasObject, total float32) (label, value float32) {
	for i := 0; i < len(objs); i += 3 {
		label = max(label, objs[i].MinSize().Width)
	}
	label = min(label, total/3)
	pad := theme.Padding()
	return label, max((total-label-2*pad)/2, 0)
}

func (l compareLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	lw, vw := l.widths(objs, size.Width)
	pad := theme.Padding()
	y := float32(0)
	for i := 0; i+2 < len(objs); i += 3 {
		h := max(objs[i].MinSize().Height, objs[i+1].MinSize().Height, objs[i+2].MinSize().Height)
		objs[i].Move(fyne.NewPos(0, y))
		objs[i].Resize(fyne.NewSize(lw, h))
		objs[i+1].Move(fyne.NewPos(lw+pad, y))
		objs[i+1].Resize(fyne.NewSize(vw, h))
		objs[i+2].Move(fyne.NewPos(lw+vw+2*pad, y))
		objs[i+2].Resize(fyne.NewSize(vw, h))
		y += h
	}
}

func (compareLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var w, h float32
	for i := 0; i+2 < len(objs); i += 3 {
		w = max(w, objs[i].MinSize().Width+objs[i+1].MinSize().Width+objs[i+2].MinSize().Width+2*theme.Padding())
		h += max(objs[i].MinSize().Height, objs[i+1].MinSize().Height, objs[i+2].MinSize().Height)
	}
	return fyne.NewSize(w, h)
}

// compareRow is one line of the comparison: a field and both values.
type compareRow struct {
	Label, A, B string
	Differs     bool
}

// compareRows lines up the two photos' fields (those the detail pane
// shows, plus the folder), in the detail pane's order, marking those that
// differ; a field only one photo has counts as differing.
func compareRows(a, b catalog.Photo) []compareRow {
	fa, fb := photoFields(a), photoFields(b)
	fa = append(fa, field{"Folder", a.Folder})
	fb = append(fb, field{"Folder", b.Folder})
	vb := map[string]string{}
	for _, f := range fb {
		vb[f.Label] = f.Value
	}
	var rows []compareRow
	seen := map[string]bool{}
	for _, f := range fa {
		seen[f.Label] = true
		rows = append(rows, compareRow{Label: f.Label, A: f.Value, B: vb[f.Label]})
	}
	for _, f := range fb {
		if !seen[f.Label] {
			rows = append(rows, compareRow{Label: f.Label, B: f.Value})
		}
	}
	for i := range rows {
		rows[i].Differs = rows[i].A != rows[i].B
		if rows[i].A == "" {
			rows[i].A = "—"
		}
		if rows[i].B == "" {
			rows[i].B = "—"
		}
	}
	return rows
}

// showForScreenshot selects the Duplicates tab at the named tier (default
// the strongest) for scripts/gui-screenshot.sh.
func (v *duplicatesView) showForScreenshot(tier string) error {
	// Close what an earlier view left open (the Settings dialog).
	for o := v.u.win.Canvas().Overlays().Top(); o != nil; o = v.u.win.Canvas().Overlays().Top() {
		o.Hide()
		v.u.win.Canvas().Overlays().Remove(o)
	}
	for _, it := range v.u.tabs.Items {
		if it.Content == v.content {
			v.u.tabs.Select(it)
		}
	}
	if tier == "" {
		return nil
	}
	t, err := duplicates.ParseTier(tier)
	if err != nil {
		return fmt.Errorf("screenshot: %w", err)
	}
	v.tier.SetSelected(t.Title())
	return nil
}
