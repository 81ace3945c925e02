//go:build cgo && !noturbo

package imagefile

/*
#cgo LDFLAGS: -lturbojpeg
#include <stdlib.h>
#include <turbojpeg.h>

// simili_tj_header reads the size without decoding; returns 0 on success.
static int simili_tj_header(tjhandle h, const unsigned char *buf, unsigned long len, int *w, int *hgt) {
	int subsamp, colorspace;
	return tjDecompressHeader3(h, buf, len, w, hgt, &subsamp, &colorspace);
}
*/
import "C"

import (
	"errors"
	"fmt"
	"image"
	"unsafe"
)

const turboAvailable = true

// turboFactors are libjpeg-turbo's scaling factors, read once per call
// (cheap: a static table) to avoid package state.
func turboFactors() [][2]int {
	var n C.int
	p := C.tjGetScalingFactors(&n)
	if p == nil || n <= 0 {
		return nil
	}
	sf := unsafe.Slice(p, int(n))
	out := make([][2]int, 0, len(sf))
	for _, f := range sf {
		if f.num <= f.denom { // only reductions
			out = append(out, [2]int{int(f.num), int(f.denom)})
		}
	}
	return out
}

// decodeTurbo decodes a JPEG with libjpeg-turbo at the smallest scale that
// keeps minSide, or at 1/8 with decodeDC8 when it can. Warnings (a
// truncated or damaged stream) count as errors, so the caller falls back
// to the strict Go decoder.
func decodeTurbo(data []byte, minSide, maxPixels int) (image.Image, error) {
	return decodeJPEG(data, minSide, maxPixels, true)
}

// decodeJPEG is decodeTurbo with the DC-only decoder optional, so tests can
// hold the two to each other.
func decodeJPEG(data []byte, minSide, maxPixels int, dc8 bool) (image.Image, error) {
	if len(data) == 0 {
		return nil, errors.New("empty JPEG")
	}
	h := C.tjInitDecompress()
	if h == nil {
		return nil, errTurbo
	}
	defer C.tjDestroy(h)
	buf := (*C.uchar)(unsafe.Pointer(&data[0]))
	var w, hgt C.int
	if C.simili_tj_header(h, buf, C.ulong(len(data)), &w, &hgt) != 0 {
		return nil, fmt.Errorf("jpeg header: %s", C.GoString(C.tjGetErrorStr2(h)))
	}
	if w <= 0 || hgt <= 0 || int64(w)*int64(hgt) > int64(maxPixels) {
		return nil, fmt.Errorf("%dx%d: %w", w, hgt, ErrTooLarge)
	}
	num, denom := scaleFor(int(w), int(hgt), minSide, turboFactors())
	if dc8 && num == 1 && denom == 8 {
		if img, err := decodeDC8(data, int(w), int(hgt)); err == nil {
			return img, nil
		}
		// Progressive, unusual or damaged: libjpeg-turbo has the say.
	}
	return decodeTurboAt(h, data, int(w), int(hgt), num, denom)
}

// decodeTurboAt decodes with libjpeg-turbo at num/denom of full size.
func decodeTurboAt(h C.tjhandle, data []byte, w, hgt, num, denom int) (image.Image, error) {
	buf := (*C.uchar)(unsafe.Pointer(&data[0]))
	sw := (w*num + denom - 1) / denom
	sh := (hgt*num + denom - 1) / denom
	img := image.NewNRGBA(image.Rect(0, 0, sw, sh))
	rc := C.tjDecompress2(h, buf, C.ulong(len(data)), (*C.uchar)(unsafe.Pointer(&img.Pix[0])),
		C.int(sw), C.int(img.Stride), C.int(sh), C.TJPF_RGBA, C.TJFLAG_STOPONWARNING)
	if rc != 0 {
		return nil, fmt.Errorf("jpeg decode: %s", C.GoString(C.tjGetErrorStr2(h)))
	}
	return img, nil
}
