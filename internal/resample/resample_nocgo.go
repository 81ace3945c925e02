//go:build !cgo

package resample

import (
	"image"

	"github.com/disintegration/imaging"
)

const fastAvailable = false

func opaque(img *image.NRGBA) bool { return img.Opaque() }

func resize(src *image.NRGBA, width, height int, f imaging.ResampleFilter) *image.NRGBA {
	return imaging.Resize(src, width, height, f)
}
