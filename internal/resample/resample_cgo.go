//go:build cgo

package resample

/*
#cgo CFLAGS: -O3
#include "resample.h"
*/
import "C"

import (
	"image"
	"unsafe"

	"github.com/disintegration/imaging"
)

const fastAvailable = true

// opaque is (*image.NRGBA).Opaque in C.
func opaque(img *image.NRGBA) bool {
	b := img.Bounds()
	if b.Empty() {
		return true
	}
	pix := img.Pix[img.PixOffset(b.Min.X, b.Min.Y):]
	return C.rs_opaque((*C.uint8_t)(unsafe.Pointer(&pix[0])), C.int(img.Stride), C.int(b.Dx()), C.int(b.Dy())) != 0
}

func resize(src *image.NRGBA, width, height int, f imaging.ResampleFilter) *image.NRGBA {
	b := src.Bounds()
	sw, sh := b.Dx(), b.Dy()
	pix := src.Pix[src.PixOffset(b.Min.X, b.Min.Y):]
	stride := src.Stride
	if sw != width {
		tmp := image.NewNRGBA(image.Rect(0, 0, width, sh))
		t := weights(width, sw, f)
		C.rs_horizontal((*C.uint8_t)(unsafe.Pointer(&pix[0])), C.int(stride), C.int(sh),
			(*C.uint8_t)(unsafe.Pointer(&tmp.Pix[0])), C.int(tmp.Stride), C.int(width),
			(*C.int32_t)(unsafe.Pointer(&t.start[0])), (*C.int32_t)(unsafe.Pointer(&t.n[0])),
			(*C.int16_t)(unsafe.Pointer(&t.w[0])), C.int(t.max))
		pix, stride = tmp.Pix, tmp.Stride
		if sh == height {
			return tmp
		}
	}
	if sh == height {
		return imaging.Clone(src)
	}
	dst := image.NewNRGBA(image.Rect(0, 0, width, height))
	t := weights(height, sh, f)
	acc := make([]int32, 4*width)
	C.rs_vertical((*C.uint8_t)(unsafe.Pointer(&pix[0])), C.int(stride),
		(*C.uint8_t)(unsafe.Pointer(&dst.Pix[0])), C.int(dst.Stride), C.int(height), C.int(4*width),
		(*C.int32_t)(unsafe.Pointer(&t.start[0])), (*C.int32_t)(unsafe.Pointer(&t.n[0])),
		(*C.int16_t)(unsafe.Pointer(&t.w[0])), C.int(t.max), (*C.int32_t)(unsafe.Pointer(&acc[0])))
	return dst
}
