//go:build cgo && !noheif

package imagefile

/*
#cgo pkg-config: libheif
#include <stdlib.h>
#include <string.h>
#include <libheif/heif.h>

// libheif wants heif_init before first use; a constructor runs it once, at
// program load, before any goroutine can race to it. It lasts the process.
__attribute__((constructor)) static void simili_heif_init(void) {
	heif_init(NULL);
}

// simili_heif_decode decodes a handle to 8-bit interleaved RGB (rgba == 0)
// or RGBA with the container's transforms (crop, irot, imir) applied.
static struct heif_error simili_heif_decode(struct heif_image_handle *h, int rgba, struct heif_image **out) {
	struct heif_decoding_options *o = heif_decoding_options_alloc();
	if (o) {
		o->convert_hdr_to_8bit = 1;
	}
	struct heif_error err = heif_decode_image(h, out, heif_colorspace_RGB,
		rgba ? heif_chroma_interleaved_RGBA : heif_chroma_interleaved_RGB, o);
	if (o) {
		heif_decoding_options_free(o);
	}
	return err;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"image"
	"runtime"
	"strings"
	"unsafe"
)

const heifAvailable = true

// heifFile is an open libheif context on data that Go keeps pinned: libheif
// reads the caller's bytes in place (no copy of a multi-megabyte file), so
// they must not move until the context is freed.
type heifFile struct {
	ctx     *C.struct_heif_context
	primary *C.struct_heif_image_handle
	pin     runtime.Pinner
}

func heifError(what string, e C.struct_heif_error) error {
	if e.code == C.heif_error_Ok {
		return nil
	}
	msg := "unknown error"
	if e.message != nil {
		msg = strings.TrimSpace(C.GoString(e.message)) // libheif ends some with a newline
	}
	return fmt.Errorf("%s: %s", what, msg)
}

func openHEIF(data []byte) (*heifFile, error) {
	if len(data) == 0 {
		return nil, errors.New("empty HEIF file")
	}
	f := &heifFile{ctx: C.heif_context_alloc()}
	if f.ctx == nil {
		return nil, errors.New("libheif: cannot allocate a context")
	}
	f.pin.Pin(&data[0])
	if err := heifError("HEIF container", C.heif_context_read_from_memory_without_copy(f.ctx, unsafe.Pointer(&data[0]), C.size_t(len(data)), nil)); err != nil {
		f.close()
		return nil, err
	}
	if err := heifError("HEIF primary image", C.heif_context_get_primary_image_handle(f.ctx, &f.primary)); err != nil {
		f.close()
		return nil, err
	}
	return f, nil
}

func (f *heifFile) close() {
	if f.primary != nil {
		C.heif_image_handle_release(f.primary)
		f.primary = nil
	}
	if f.ctx != nil {
		C.heif_context_free(f.ctx)
		f.ctx = nil
	}
	f.pin.Unpin()
}

// size is the displayed size: libheif reports it after the transforms.
func handleSize(h *C.struct_heif_image_handle) (int, int) {
	return int(C.heif_image_handle_get_width(h)), int(C.heif_image_handle_get_height(h))
}

// heifConfig returns the upright size of the primary image without
// decoding any pixels.
func heifConfig(data []byte) (image.Config, error) {
	f, err := openHEIF(data)
	if err != nil {
		return image.Config{}, err
	}
	defer f.close()
	w, h := handleSize(f.primary)
	return image.Config{Width: w, Height: h}, nil
}

// decodeHEIF decodes the primary image of a HEIF/AVIF file, upright (the
// container's irot/imir are the orientation; the EXIF tag is not applied).
// When minSide > 0 and the file carries a thumbnail item whose shorter side
// is at least minSide and whose shape matches the primary image, that
// thumbnail is decoded instead: libheif 1.15 cannot decode at a reduced
// scale, and a 12-MP HEVC grid costs tens of times more than its thumbnail.
func decodeHEIF(data []byte, minSide, maxPixels int) (image.Image, error) {
	f, err := openHEIF(data)
	if err != nil {
		return nil, err
	}
	defer f.close()
	w, h := handleSize(f.primary)
	if w <= 0 || h <= 0 || int64(w)*int64(h) > int64(maxPixels) {
		return nil, fmt.Errorf("%dx%d exceeds %d pixels: %w", w, h, maxPixels, ErrTooLarge)
	}
	if minSide > 0 {
		if th := f.thumbnail(w, h, minSide); th != nil {
			img, err := decodeHandle(th, minSide)
			C.heif_image_handle_release(th)
			if err == nil {
				return img, nil
			}
			// A broken thumbnail must not hide a good primary image.
		}
	}
	return decodeHandle(f.primary, minSide)
}

// thumbnail returns (to be released by the caller) the smallest thumbnail
// item of the primary image that is large enough and has the primary
// image's orientation and aspect ratio, or nil.
func (f *heifFile) thumbnail(w, h, minSide int) *C.struct_heif_image_handle {
	n := int(C.heif_image_handle_get_number_of_thumbnails(f.primary))
	if n <= 0 {
		return nil
	}
	n = min(n, 16)
	ids := make([]C.heif_item_id, n)
	n = int(C.heif_image_handle_get_list_of_thumbnail_IDs(f.primary, &ids[0], C.int(n)))
	var best *C.struct_heif_image_handle
	bestShort := 0
	for _, id := range ids[:n] {
		var th *C.struct_heif_image_handle
		if C.heif_image_handle_get_thumbnail(f.primary, id, &th).code != C.heif_error_Ok || th == nil {
			continue
		}
		tw, thh := handleSize(th)
		short := min(tw, thh)
		if short >= minSide && sameShape(w, h, tw, thh) && (best == nil || short < bestShort) {
			if best != nil {
				C.heif_image_handle_release(best)
			}
			best, bestShort = th, short
			continue
		}
		C.heif_image_handle_release(th)
	}
	return best
}

// sameShape accepts a thumbnail whose aspect ratio is within 2% of the
// primary image's: a thumbnail that lacks the primary's rotation, or shows
// a different crop, would give a wrong picture.
func sameShape(w, h, tw, th int) bool {
	if tw <= 0 || th <= 0 {
		return false
	}
	a := float64(w) / float64(h)
	b := float64(tw) / float64(th)
	return b > a*0.98 && b < a*1.02
}

// decodeHandle decodes one image handle into an NRGBA image owned by Go.
// When minSide > 0 and the picture is at least twice that on its shorter
// side, it is reduced while copying out of libheif's buffer by averaging
// k×k blocks, k the largest factor that keeps minSide: an area filter, so
// the result is properly anti-aliased, and the 12-MP RGBA copy and the
// generic resize of it are never made.
func decodeHandle(h *C.struct_heif_image_handle, minSide int) (image.Image, error) {
	w, hgt := handleSize(h)
	k := 1
	if minSide > 0 {
		k = max(1, min(w, hgt)/minSide)
	}
	rgba := C.int(0)
	if k == 1 {
		rgba = 1
	}
	var img *C.struct_heif_image
	if err := heifError("HEIF decode", C.simili_heif_decode(h, rgba, &img)); err != nil {
		if img != nil {
			C.heif_image_release(img)
		}
		return nil, err
	}
	defer C.heif_image_release(img)
	w = int(C.heif_image_get_width(img, C.heif_channel_interleaved))
	hgt = int(C.heif_image_get_height(img, C.heif_channel_interleaved))
	px := 3
	if rgba != 0 {
		px = 4
	}
	var stride C.int
	plane := C.heif_image_get_plane_readonly(img, C.heif_channel_interleaved, &stride)
	if plane == nil || w <= 0 || hgt <= 0 || int(stride) < px*w {
		return nil, fmt.Errorf("HEIF decode: no RGB plane (%dx%d, stride %d)", w, hgt, stride)
	}
	src := unsafe.Slice((*byte)(unsafe.Pointer(plane)), int(stride)*(hgt-1)+px*w)
	if k == 1 {
		out := image.NewNRGBA(image.Rect(0, 0, w, hgt))
		for y := 0; y < hgt; y++ {
			copy(out.Pix[y*out.Stride:y*out.Stride+4*w], src[y*int(stride):])
		}
		return out, nil
	}
	return boxReduce(src, w, hgt, int(stride), k), nil
}
