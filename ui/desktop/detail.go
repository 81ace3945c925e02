package desktop

import (
	"context"
	"image"
	"path/filepath"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// detailPane shows one photo larger, upright, with its EXIF and actions.
type detailPane struct {
	u       *ui
	preview *canvas.Image
	name    *widget.Label
	path    *widget.Label
	fields  *fyne.Container
	similar *widget.Button
	open    *widget.Button
	folder  *widget.Button
	backB   *widget.Button
	fwdB    *widget.Button
	content fyne.CanvasObject

	entry navEntry
	seq   int
}

const previewSide = 1024

func newDetailPane(u *ui) *detailPane {
	d := &detailPane{u: u, name: widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), path: widget.NewLabel("")}
	d.preview = canvas.NewImageFromImage(nil)
	d.preview.FillMode = canvas.ImageFillContain
	d.preview.SetMinSize(fyne.NewSize(300, 240))
	d.path.Wrapping = fyne.TextWrapBreak
	d.path.Importance = widget.LowImportance
	d.fields = container.New(&formLayout{})
	d.similar = widget.NewButtonWithIcon("Find similar", theme.SearchIcon(), d.findSimilar)
	d.similar.Importance = widget.HighImportance
	d.open = widget.NewButtonWithIcon("Open", theme.FileImageIcon(), func() { u.openInViewer(d.filePath()) })
	d.folder = widget.NewButtonWithIcon("Show in folder", theme.FolderOpenIcon(), func() { u.openInViewer(filepath.Dir(d.filePath())) })
	d.backB = widget.NewButtonWithIcon("", theme.NavigateBackIcon(), u.back)
	d.fwdB = widget.NewButtonWithIcon("", theme.NavigateNextIcon(), u.forward)
	closeB := widget.NewButtonWithIcon("", theme.CancelIcon(), d.hide)
	closeB.Importance = widget.LowImportance
	navRow := container.NewBorder(nil, nil, container.NewHBox(d.backB, d.fwdB), closeB, d.name)
	actions := container.NewVBox(d.similar, container.NewGridWithColumns(2, d.open, d.folder))
	info := container.NewVBox(actions, d.path, d.fields)
	split := container.NewVSplit(d.preview, container.NewVScroll(info))
	split.Offset = 0.55
	d.content = container.NewBorder(navRow, nil, nil, nil, split)
	return d
}

func (d *detailPane) filePath() string {
	if d.entry.File != "" {
		return d.entry.File
	}
	return d.entry.Photo.Path
}

func (d *detailPane) hide() { d.u.setDetailVisible(false) }

// visible reports whether the pane is open.
func (d *detailPane) visible() bool { return d.u.split.Leading == d.u.tabs }

// show fills the pane: the thumbnail at once, the sharp preview when read.
func (d *detailPane) show(e navEntry) {
	d.entry = e
	d.seq++
	seq := d.seq
	d.u.setDetailVisible(true)
	d.name.SetText(e.title())
	d.path.SetText(d.filePath())
	offline := e.File == "" && e.Photo.Offline
	if offline {
		d.path.SetText(d.filePath() + " — offline: its disk is not connected")
	}
	var rows []fyne.CanvasObject
	if e.File == "" {
		rows = fieldRows(photoFields(e.Photo))
	} else {
		d.lookUpFile(seq, e.File)
	}
	d.setFields(rows)
	d.backB.Disable()
	if d.u.nav.CanBack() {
		d.backB.Enable()
	}
	d.fwdB.Disable()
	if d.u.nav.CanForward() {
		d.fwdB.Enable()
	}

	var img image.Image
	if e.File == "" {
		img = d.u.thumbs.Cached(e.Photo.Hash)
	}
	d.preview.Image = img
	d.preview.Refresh()
	if offline {
		return // the file cannot be read now: the cached thumbnail is the preview
	}
	be, path := d.u.be, d.filePath()
	d.u.goBackground(func(ctx context.Context) {
		im, err := be.Preview(ctx, path, previewSide)
		d.u.do(func() {
			if seq != d.seq {
				return
			}
			if err != nil {
				d.u.status.setError("Cannot read " + filepath.Base(path) + ": " + err.Error())
				return
			}
			d.preview.Image = im
			d.preview.Refresh()
		})
	})
}

func fieldRows(fields []field) []fyne.CanvasObject {
	var rows []fyne.CanvasObject
	for _, f := range fields {
		l := widget.NewLabel(f.Value)
		l.Truncation = fyne.TextTruncateEllipsis
		rows = append(rows, widget.NewLabelWithStyle(f.Label, fyne.TextAlignTrailing, fyne.TextStyle{Bold: true}), l)
	}
	return rows
}

func (d *detailPane) setFields(rows []fyne.CanvasObject) {
	d.fields.Objects = rows
	d.fields.Refresh()
}

// lookUpFile shows the catalog's EXIF when a dropped file is in the library.
func (d *detailPane) lookUpFile(seq int, path string) {
	be := d.u.be
	d.u.goBackground(func(ctx context.Context) {
		p, err := be.PhotoByPath(ctx, path)
		d.u.do(func() {
			if seq != d.seq {
				return
			}
			if err != nil {
				d.setFields(fieldRows([]field{{"Source", "outside the library"}}))
				return
			}
			d.setFields(fieldRows(photoFields(p)))
		})
	})
}

func (d *detailPane) findSimilar() {
	if d.entry.File != "" {
		d.u.searchFile(d.entry.File)
		return
	}
	d.u.openPhoto(d.entry.Photo, true)
}

// formLayout lays out label/value pairs in two columns, labels as narrow
// as the widest label, values taking the rest.
type formLayout struct{}

func (formLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	lw := labelWidth(objs)
	pad := theme.Padding()
	y := float32(0)
	for i := 0; i+1 < len(objs); i += 2 {
		vw := size.Width - lw - pad
		h := max(objs[i].MinSize().Height, objs[i+1].MinSize().Height)
		objs[i].Move(fyne.NewPos(0, y))
		objs[i].Resize(fyne.NewSize(lw, objs[i].MinSize().Height))
		objs[i+1].Move(fyne.NewPos(lw+pad, y))
		objs[i+1].Resize(fyne.NewSize(vw, h))
		y += h
	}
}

func (formLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	lw := labelWidth(objs)
	var h float32
	for i := 0; i+1 < len(objs); i += 2 {
		h += max(objs[i].MinSize().Height, objs[i+1].MinSize().Height)
	}
	return fyne.NewSize(lw+theme.Padding()+80, h)
}

func labelWidth(objs []fyne.CanvasObject) float32 {
	var w float32
	for i := 0; i < len(objs); i += 2 {
		w = max(w, objs[i].MinSize().Width)
	}
	return w
}
