package desktop

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// photoGrid is a virtualised grid of thumbnails: GridWrap creates only the
// cells on screen and recycles them while scrolling, so its cost does not
// depend on the library size.
type photoGrid struct {
	u      *ui
	src    photoSource
	grid   *widget.GridWrap
	onOpen func(gridItem)
}

func newPhotoGrid(u *ui, src photoSource, onOpen func(gridItem)) *photoGrid {
	g := &photoGrid{u: u, src: src, onOpen: onOpen}
	g.grid = widget.NewGridWrap(
		func() int { return g.src.Len() },
		func() fyne.CanvasObject { return newThumbCell(u.cellSize()) },
		g.update,
	)
	g.grid.OnSelected = func(id widget.GridWrapItemID) {
		g.grid.UnselectAll() // a second click on the same photo must work too
		if it, ok := g.src.At(id); ok && g.onOpen != nil {
			g.onOpen(it)
		}
	}
	return g
}

func (g *photoGrid) update(id widget.GridWrapItemID, o fyne.CanvasObject) {
	cell := o.(*thumbCell)
	cell.size = g.u.cellSize()
	it, ok := g.src.At(id)
	cell.setOffline(ok && it.Photo.Offline)
	if !ok {
		cell.show("", nil, "")
		return
	}
	hash := it.Photo.Hash
	img := g.u.thumbs.Get(hash, cell.imageReady(hash))
	cell.show(hash, img, it.Caption)
}

// setSource swaps the data and redraws from the top.
func (g *photoGrid) setSource(src photoSource) {
	g.src = src
	g.grid.ScrollToTop()
	g.grid.Refresh()
}

func (g *photoGrid) refresh() { g.grid.Refresh() }
