package desktop

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/simili/simili/library/catalog"
	"github.com/simili/simili/library/facet"
)

const dateLayout = "2006-01-02"

// filterBar edits the filters shared by the library, the similarity
// results and the visual groups, and shows the active ones as removable
// chips. It only builds a facet.Filter; the views run the queries.
type filterBar struct {
	u       *ui
	from    *widget.Entry
	to      *widget.Entry
	camera  *facetSelect
	lens    *facetSelect
	folder  *facetSelect
	chips   *fyne.Container
	content fyne.CanvasObject
}

func newFilterBar(u *ui) *filterBar {
	b := &filterBar{u: u, from: widget.NewEntry(), to: widget.NewEntry(), chips: container.NewHBox()}
	for _, e := range []*widget.Entry{b.from, b.to} {
		e.SetPlaceHolder("YYYY-MM-DD")
		e.Validator = func(s string) error {
			if _, err := parseDate(s); err != nil {
				return err
			}
			return nil
		}
		e.OnChanged = func(string) { b.apply() }
	}
	b.camera = newFacetSelect("Any camera", b.apply)
	b.lens = newFacetSelect("Any lens", b.apply)
	b.folder = newFacetSelect("Any folder", b.apply)
	b.folder.label = func(v string) string { return shortFolder(v) }
	clear := widget.NewButtonWithIcon("", theme.ContentClearIcon(), b.clear)
	dates := container.NewHBox(widget.NewLabel("From"), sized(b.from, 140), widget.NewLabel("to"), sized(b.to, 140))
	row := container.NewBorder(nil, nil, dates, clear,
		container.NewGridWithColumns(3, b.camera.sel, b.lens.sel, b.folder.sel))
	b.content = container.NewVBox(row, b.chips)
	b.refreshChips()
	return b
}

// sized gives an entry a fixed width inside an HBox.
func sized(o fyne.CanvasObject, w float32) fyne.CanvasObject {
	return container.NewGridWrap(fyne.NewSize(w, o.MinSize().Height), o)
}

// parseDate accepts an empty string (no bound) or YYYY-MM-DD.
func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("use YYYY-MM-DD")
	}
	return t, nil
}

// Filter builds the filter from the widgets; ok is false while a date is
// half typed, so the views do not flash through meaningless states.
func (b *filterBar) Filter() (facet.Filter, bool) {
	from, err1 := parseDate(b.from.Text)
	to, err2 := parseDate(b.to.Text)
	if err1 != nil || err2 != nil {
		return facet.Filter{}, false
	}
	if !to.IsZero() {
		to = to.Add(24*time.Hour - time.Second) // the whole "to" day
	}
	return facet.Filter{From: from, To: to, Camera: b.camera.value, Lens: b.lens.value, Folder: b.folder.value}, true
}

func (b *filterBar) apply() {
	f, ok := b.Filter()
	if !ok {
		return
	}
	b.refreshChips()
	b.u.applyFilter(f)
}

func (b *filterBar) clear() {
	b.from.SetText("")
	b.to.SetText("")
	b.camera.set("")
	b.lens.set("")
	b.folder.set("")
	b.apply()
}

// setCamera picks a camera as if chosen in the select.
func (b *filterBar) setCamera(v string) { b.camera.set(v); b.apply() }

func (b *filterBar) refreshChips() {
	f, _ := b.Filter()
	var chips []fyne.CanvasObject
	chip := func(text string, remove func()) {
		btn := widget.NewButtonWithIcon(text, theme.CancelIcon(), func() { remove(); b.apply() })
		btn.IconPlacement = widget.ButtonIconTrailingText
		btn.Importance = widget.LowImportance
		chips = append(chips, btn)
	}
	if !f.From.IsZero() {
		chip("From "+f.From.Format(dateLayout), func() { b.from.SetText("") })
	}
	if !f.To.IsZero() {
		chip("To "+f.To.Format(dateLayout), func() { b.to.SetText("") })
	}
	if f.Camera != "" {
		chip("Camera: "+f.Camera, func() { b.camera.set("") })
	}
	if f.Lens != "" {
		chip("Lens: "+f.Lens, func() { b.lens.set("") })
	}
	if f.Folder != "" {
		chip("Folder: "+shortFolder(f.Folder), func() { b.folder.set("") })
	}
	b.chips.Objects = chips
	if len(chips) == 0 {
		b.chips.Hide()
	} else {
		b.chips.Show()
	}
	b.chips.Refresh()
}

// loadFacets fills the selects with the catalog's values and counts.
func (b *filterBar) loadFacets() {
	be := b.u.be
	b.u.goBackground(func(ctx context.Context) {
		models, err1 := be.Facets(ctx, "model")
		lenses, err2 := be.Facets(ctx, "lens")
		folders, err3 := be.Facets(ctx, "folder")
		b.u.do(func() {
			for _, err := range []error{err1, err2, err3} {
				if err != nil {
					b.u.status.setError("Could not read filter values: " + err.Error())
				}
			}
			b.camera.setFacets(models)
			b.lens.setFacets(lenses)
			b.folder.setFacets(folders)
		})
	})
}

func shortFolder(dir string) string {
	parent := filepath.Base(filepath.Dir(dir))
	return parent + "/" + filepath.Base(dir)
}

// facetSelect is a Select whose options read "value (count)".
type facetSelect struct {
	sel      *widget.Select
	any      string
	value    string
	byOption map[string]string
	label    func(string) string
	quiet    bool // set while the code changes the selection
}

func newFacetSelect(any string, changed func()) *facetSelect {
	f := &facetSelect{any: any, byOption: map[string]string{}, label: func(v string) string { return v }}
	f.sel = widget.NewSelect([]string{any}, func(opt string) {
		if f.quiet {
			return
		}
		f.value = f.byOption[opt]
		changed()
	})
	f.sel.PlaceHolder = any
	return f
}

func (f *facetSelect) setFacets(facets []catalog.Facet) {
	opts := []string{f.any}
	f.byOption = map[string]string{f.any: ""}
	for _, fc := range facets {
		opt := fmt.Sprintf("%s (%d)", f.label(fc.Value), fc.Count)
		opts = append(opts, opt)
		f.byOption[opt] = fc.Value
	}
	f.sel.Options = opts
	f.sync()
}

// set selects a value without firing the change callback.
func (f *facetSelect) set(v string) {
	f.value = v
	f.sync()
}

func (f *facetSelect) sync() {
	f.quiet = true
	defer func() { f.quiet = false }()
	for opt, v := range f.byOption {
		if v == f.value && (v != "" || opt == f.any) {
			f.sel.SetSelected(opt)
			return
		}
	}
	if f.value == "" {
		f.sel.ClearSelected()
	} else {
		f.sel.Refresh()
	}
}
