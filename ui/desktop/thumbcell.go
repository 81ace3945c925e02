package desktop

import (
	"image"
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	fdesktop "fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// thumbCell shows one photo's thumbnail (a quiet placeholder until it is
// decoded) with an optional caption such as the similarity score. Cells are
// recycled by the grids, so a late thumbnail is only shown if the cell still
// shows the photo it was requested for.
type thumbCell struct {
	widget.BaseWidget
	size fyne.Size

	hash    string
	bg      *canvas.Rectangle
	img     *canvas.Image
	caption *canvas.Text
	capBg   *canvas.Rectangle
	// badge marks a photo whose library folder is offline (its disk is
	// away): it stays in the library and in results, but cannot be opened.
	badge   *canvas.Text
	badgeBg *canvas.Rectangle
}

func newThumbCell(size fyne.Size) *thumbCell {
	c := &thumbCell{
		size:    size,
		bg:      canvas.NewRectangle(placeholderColor()),
		img:     canvas.NewImageFromImage(nil),
		caption: canvas.NewText("", color.White),
		capBg:   canvas.NewRectangle(color.NRGBA{0, 0, 0, 150}),
		badge:   canvas.NewText("offline", color.White),
		badgeBg: canvas.NewRectangle(color.NRGBA{60, 60, 70, 220}),
	}
	c.badge.TextSize = theme.CaptionTextSize()
	c.badge.TextStyle = fyne.TextStyle{Bold: true}
	c.badgeBg.CornerRadius = 3
	c.badge.Hide()
	c.badgeBg.Hide()
	c.bg.CornerRadius = 4
	c.img.FillMode = canvas.ImageFillContain
	c.img.ScaleMode = canvas.ImageScaleFastest
	c.caption.TextSize = theme.CaptionTextSize()
	c.caption.TextStyle = fyne.TextStyle{Monospace: true}
	c.caption.Alignment = fyne.TextAlignCenter
	c.capBg.Hide()
	c.ExtendBaseWidget(c)
	return c
}

func placeholderColor() color.Color {
	return theme.Color(theme.ColorNameInputBackground)
}

// show points the cell at a photo; img may be nil (placeholder).
func (c *thumbCell) show(hash string, img image.Image, caption string) {
	c.hash = hash
	c.setImage(img)
	c.caption.Text = caption
	if caption == "" {
		c.capBg.Hide()
		c.caption.Hide()
	} else {
		c.capBg.Show()
		c.caption.Show()
	}
	c.caption.Refresh()
}

// setOffline shows or hides the offline badge.
func (c *thumbCell) setOffline(offline bool) {
	if offline == c.badge.Visible() {
		return
	}
	if offline {
		c.badge.Show()
		c.badgeBg.Show()
	} else {
		c.badge.Hide()
		c.badgeBg.Hide()
	}
	c.Refresh()
}

// imageReady is the loader's callback for hash.
func (c *thumbCell) imageReady(hash string) func(image.Image) {
	return func(img image.Image) {
		if c.hash == hash {
			c.setImage(img)
		}
	}
}

func (c *thumbCell) setImage(img image.Image) {
	if c.img.Image == img {
		return
	}
	c.img.Image = img
	if img == nil {
		c.img.Hide()
	} else {
		c.img.Show()
	}
	c.img.Refresh()
}

func (c *thumbCell) MinSize() fyne.Size { return c.size }

func (c *thumbCell) CreateRenderer() fyne.WidgetRenderer {
	return &thumbCellRenderer{c: c, objects: []fyne.CanvasObject{c.bg, c.img, c.capBg, c.caption, c.badgeBg, c.badge}}
}

type thumbCellRenderer struct {
	c       *thumbCell
	objects []fyne.CanvasObject
}

func (r *thumbCellRenderer) Layout(size fyne.Size) {
	r.c.bg.Resize(size)
	r.c.img.Resize(size)
	h := r.c.caption.MinSize().Height + 2
	r.c.capBg.Move(fyne.NewPos(0, size.Height-h))
	r.c.capBg.Resize(fyne.NewSize(size.Width, h))
	r.c.caption.Move(fyne.NewPos(0, size.Height-h+1))
	r.c.caption.Resize(fyne.NewSize(size.Width, h-2))
	b := r.c.badge.MinSize()
	r.c.badgeBg.Move(fyne.NewPos(4, 4))
	r.c.badgeBg.Resize(fyne.NewSize(b.Width+8, b.Height+2))
	r.c.badge.Move(fyne.NewPos(8, 5))
	r.c.badge.Resize(b)
}

func (r *thumbCellRenderer) MinSize() fyne.Size           { return r.c.size }
func (r *thumbCellRenderer) Refresh()                     { r.c.bg.FillColor = placeholderColor(); r.c.bg.Refresh() }
func (r *thumbCellRenderer) Objects() []fyne.CanvasObject { return r.objects }
func (r *thumbCellRenderer) Destroy()                     {}

// tappableThumb is a thumbCell that reacts to clicks itself, for rows of
// thumbnails outside a GridWrap (which handles taps on its own items).
type tappableThumb struct {
	*thumbCell
	onTap func()
}

func newTappableThumb(size fyne.Size) *tappableThumb {
	t := &tappableThumb{thumbCell: newThumbCell(size)}
	t.ExtendBaseWidget(t)
	return t
}

func (t *tappableThumb) Tapped(*fyne.PointEvent) {
	if t.onTap != nil {
		t.onTap()
	}
}

func (t *tappableThumb) Cursor() fdesktop.Cursor { return fdesktop.PointerCursor }
