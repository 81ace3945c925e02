package desktop

import (
	"github.com/simili/simili/library/catalog"
)

// gridItem is one cell's content.
type gridItem struct {
	Photo   catalog.Photo
	Caption string // e.g. the similarity score; empty for none
}

// photoSource feeds a photo grid. At may answer false while the item is
// still loading; the source then refreshes the grid when it arrives.
type photoSource interface {
	Len() int
	At(i int) (gridItem, bool)
}

// sliceSource is a fully loaded list (results, groups, similarity order).
type sliceSource []gridItem

func (s sliceSource) Len() int { return len(s) }

func (s sliceSource) At(i int) (gridItem, bool) {
	if i < 0 || i >= len(s) {
		return gridItem{}, false
	}
	return s[i], true
}
