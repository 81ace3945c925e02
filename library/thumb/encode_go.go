//go:build !cgo || noturbo

package thumb

import (
	"image"
	"image/jpeg"
	"io"
)

// encodeJPEG writes img as a JPEG at quality q (image/jpeg: builds without
// libjpeg-turbo).
func encodeJPEG(w io.Writer, img *image.RGBA, q int) error {
	return jpeg.Encode(w, img, &jpeg.Options{Quality: q})
}
