package desktop

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// libraryView is the grid of every photo passing the filters, newest first.
type libraryView struct {
	u       *ui
	src     *pagedSource
	grid    *photoGrid
	header  *widget.Label
	empty   fyne.CanvasObject
	body    *fyne.Container
	content fyne.CanvasObject
}

const libraryPageSize = 600

func newLibraryView(u *ui) *libraryView {
	v := &libraryView{u: u, header: widget.NewLabel("")}
	v.src = newPagedSource(u, libraryPageSize)
	v.grid = newPhotoGrid(u, v.src, func(it gridItem) { u.openPhoto(it.Photo, false) })
	v.src.onChange = v.grid.refresh
	v.src.onCount = v.counted
	hint := widget.NewLabelWithStyle("No photos yet.\nAdd a folder to start: Simili scans it in the background.",
		fyne.TextAlignCenter, fyne.TextStyle{})
	add := widget.NewButtonWithIcon("Add folder…", theme.FolderNewIcon(), func() { u.scanner.chooseFolder() })
	add.Importance = widget.HighImportance
	v.empty = container.NewCenter(container.NewVBox(hint, container.NewCenter(add)))
	v.body = container.NewStack(v.grid.grid, v.empty)
	v.empty.Hide()
	v.content = container.NewBorder(v.header, nil, nil, nil, v.body)
	return v
}

// reload recounts; keep leaves the visible rows in place (scan refresh).
func (v *libraryView) reload(keep bool) {
	v.src.Reload(v.u.filter, keep)
}

func (v *libraryView) counted(n int) {
	switch {
	case n == 0 && v.u.filter.IsZero():
		v.header.SetText("")
		v.empty.Show()
	case n == 0:
		v.header.SetText("No photo matches the filters.")
		v.empty.Hide()
	default:
		v.header.SetText(fmt.Sprintf("%d photos, newest first", n))
		v.empty.Hide()
	}
}
