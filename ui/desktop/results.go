package desktop

import (
	"context"
	"fmt"
	"image"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/simili/simili/library/catalog"
	"github.com/simili/simili/search/engine"
)

// resultsView lists the photos most similar to the current query, with
// their scores, filtered like the library.
type resultsView struct {
	u        *ui
	grid     *photoGrid
	title    *widget.Label
	info     *widget.Label
	queryImg *canvas.Image
	empty    fyne.CanvasObject
	content  fyne.CanvasObject

	query    navEntry
	hasQuery bool
	seq      int // bumped per search; older answers are dropped
	matches  []engine.Match
}

func newResultsView(u *ui) *resultsView {
	v := &resultsView{u: u, title: widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), info: widget.NewLabel("")}
	v.title.Truncation = fyne.TextTruncateEllipsis
	v.info.Truncation = fyne.TextTruncateEllipsis
	v.queryImg = canvas.NewImageFromImage(nil)
	v.queryImg.FillMode = canvas.ImageFillContain
	v.queryImg.SetMinSize(fyne.NewSize(64, 48))
	v.grid = newPhotoGrid(u, sliceSource(nil), func(it gridItem) { u.openPhoto(it.Photo, true) })
	hint := widget.NewLabelWithStyle("Drop a photo onto the window to find the ones that look like it,\nor use Open image…, or Find similar on any photo.",
		fyne.TextAlignCenter, fyne.TextStyle{})
	v.empty = container.NewCenter(hint)
	header := container.NewBorder(nil, nil, v.queryImg, nil, container.NewVBox(v.title, v.info))
	v.content = container.NewBorder(header, nil, nil, nil, container.NewStack(v.grid.grid, v.empty))
	return v
}

// search runs the entry's similarity query in the background.
func (v *resultsView) search(e navEntry) {
	v.query, v.hasQuery = e, true
	v.empty.Hide()
	v.seq++
	seq := v.seq
	v.title.SetText("Similar to " + e.title())
	v.info.SetText("Searching…")
	v.setQueryImage(e)
	v.grid.setSource(sliceSource(nil))
	q := engine.SimilarQuery{K: v.u.prefs.results, Filter: v.u.filter}
	be := v.u.be
	v.u.goBackground(func(ctx context.Context) {
		var (
			matches []engine.Match
			err     error
		)
		if e.File != "" {
			matches, err = be.SimilarToFile(ctx, e.File, q)
		} else {
			matches, err = be.SimilarToPhoto(ctx, e.Photo.ID, q)
		}
		v.u.do(func() {
			if seq != v.seq {
				return
			}
			if err != nil {
				v.info.SetText("Search failed: " + err.Error())
				v.u.showError("Cannot search", err)
				return
			}
			v.show(matches)
		})
	})
}

func (v *resultsView) show(matches []engine.Match) {
	v.matches = matches
	items := make(sliceSource, len(matches))
	for i, m := range matches {
		items[i] = gridItem{Photo: m.Photo, Caption: fmt.Sprintf("%.3f", m.Score)}
	}
	switch {
	case len(matches) == 0 && !v.u.filter.IsZero():
		v.info.SetText("No similar photo passes the filters.")
	case len(matches) == 0:
		v.info.SetText("No similar photo found.")
	default:
		v.info.SetText(fmt.Sprintf("%d most similar photos · score = cosine similarity (1 = identical) · click one to walk on", len(matches)))
	}
	v.grid.setSource(items)
}

func (v *resultsView) setQueryImage(e navEntry) {
	var img image.Image
	if e.File == "" {
		img = v.u.thumbs.Get(e.Photo.Hash, func(im image.Image) {
			if v.query.Photo.Hash == e.Photo.Hash {
				v.queryImg.Image = im
				v.queryImg.Refresh()
			}
		})
	}
	v.queryImg.Image = img
	v.queryImg.Refresh()
	if e.File != "" {
		be := v.u.be
		v.u.goBackground(func(ctx context.Context) {
			im, err := be.Preview(ctx, e.File, 256)
			if err != nil {
				return
			}
			v.u.do(func() {
				if v.query.File == e.File {
					v.queryImg.Image = im
					v.queryImg.Refresh()
				}
			})
		})
	}
}

// rerun repeats the current search after a filter change.
func (v *resultsView) rerun() {
	if v.hasQuery {
		v.search(v.query)
	}
}

// chooseFile asks for an image file and searches with it.
func (v *resultsView) chooseFile() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil {
			v.u.showError("Cannot open the file", err)
			return
		}
		if r == nil {
			return
		}
		uri := r.URI()
		r.Close()
		v.u.handleDrop([]fyne.URI{uri})
	}, v.u.win)
	d.SetFilter(imageFiles{})
	d.Resize(fyne.NewSize(760, 520))
	d.Show()
}

// showList shows a fixed set of photos (a visual group) in the results tab.
func (v *resultsView) showList(title string, photos []catalog.Photo) {
	v.seq++
	v.hasQuery = false
	v.empty.Hide()
	v.title.SetText(title)
	v.info.SetText("Click a photo to see its neighbours")
	v.queryImg.Image = nil
	if len(photos) > 0 {
		v.queryImg.Image = v.u.thumbs.Cached(photos[0].Hash)
	}
	v.queryImg.Refresh()
	items := make(sliceSource, len(photos))
	for i, p := range photos {
		items[i] = gridItem{Photo: p}
	}
	v.grid.setSource(items)
	v.u.tabs.Select(v.u.tabs.Items[1])
}
