//go:build screenshot && (!linux || !cgo)

package desktop

import (
	"errors"
	"image"
)

// grabWindow is only implemented for X11; other platforms fall back to
// Fyne's canvas capture.
func grabWindow(string) (image.Image, error) {
	return nil, errors.New("window grab not supported here")
}
