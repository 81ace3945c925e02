//go:build cgo && !noturbo

package imagefile

/*
#include "dc8.h"
*/
import "C"

import (
	"errors"
	"image"
	"unsafe"
)

var (
	errDC8Unsupported = errors.New("jpeg: not a single-scan baseline YCbCr or grey JPEG")
	errDC8Corrupt     = errors.New("jpeg: damaged entropy-coded data")
)

// decodeDC8 decodes a JPEG at 1/8 scale from its DC coefficients alone
// (dc8.c): about 2× libjpeg-turbo's 1/8-scale decode on 12-MP photos,
// the scan's largest cost. Luma and 4:4:4 colour match libjpeg-turbo's
// exactly; subsampled chroma is interpolated between block centres where
// libjpeg-turbo runs a 2×2 IDCT. Progressive and other JPEGs it does not
// handle, and damaged ones, return an error for libjpeg-turbo to decide.
func decodeDC8(data []byte, w, h int) (*image.NRGBA, error) {
	ow, oh := (w+7)/8, (h+7)/8
	img := image.NewNRGBA(image.Rect(0, 0, ow, oh))
	rc := C.dc8_decode((*C.uint8_t)(unsafe.Pointer(&data[0])), C.size_t(len(data)),
		(*C.uint8_t)(unsafe.Pointer(&img.Pix[0])), C.int(img.Stride), C.int(ow), C.int(oh))
	switch rc {
	case C.DC8_OK:
		return img, nil
	case C.DC8_UNSUPPORTED:
		return nil, errDC8Unsupported
	case C.DC8_NOMEM:
		return nil, errors.New("jpeg: out of memory")
	}
	return nil, errDC8Corrupt
}
