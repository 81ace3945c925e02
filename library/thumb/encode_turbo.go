//go:build cgo && !noturbo

package thumb

/*
#cgo LDFLAGS: -lturbojpeg
#include <stdlib.h>
#include <turbojpeg.h>
*/
import "C"

import (
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"unsafe"
)

// encodeJPEG writes img as a baseline 4:2:0 JPEG at quality q with
// libjpeg-turbo (the decoder the scanner already links): about five times
// faster than image/jpeg for a thumbnail, with the same standard tables
// and subsampling. image/jpeg is the fallback should libjpeg-turbo fail.
func encodeJPEG(w io.Writer, img *image.RGBA, q int) error {
	b := img.Bounds()
	if b.Empty() {
		return errors.New("empty image")
	}
	h := C.tjInitCompress()
	if h == nil {
		return jpeg.Encode(w, img, &jpeg.Options{Quality: q})
	}
	defer C.tjDestroy(h)
	var (
		out  *C.uchar
		size C.ulong
	)
	pix := img.Pix[img.PixOffset(b.Min.X, b.Min.Y):]
	rc := C.tjCompress2(h, (*C.uchar)(unsafe.Pointer(&pix[0])), C.int(b.Dx()), C.int(img.Stride), C.int(b.Dy()),
		C.TJPF_RGBA, &out, &size, C.TJSAMP_420, C.int(q), 0)
	if out != nil {
		defer C.tjFree(out)
	}
	if rc != 0 {
		return fmt.Errorf("jpeg encode: %s", C.GoString(C.tjGetErrorStr2(h)))
	}
	_, err := w.Write(unsafe.Slice((*byte)(unsafe.Pointer(out)), int(size)))
	return err
}
