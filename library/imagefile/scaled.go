package imagefile

import (
	"errors"
	"fmt"
	"image"
)

// DecodeScaled decodes data so that its shorter side keeps at least minSide
// pixels, letting JPEGs decode at a reduced scale: libjpeg-turbo's DCT
// scaling (1/8 … 1/1) skips most of the work a full 12-megapixel decode
// does, which dominates indexing time. Other formats, and any JPEG the fast
// decoder refuses or only half-reads, go through Decode, so errors and
// limits are Decode's. HEIF and AVIF come back upright (see Upright), from
// the file's own thumbnail item when that has at least minSide pixels on
// its shorter side. minSide <= 0 means full size.
func DecodeScaled(data []byte, minSide, maxPixels int) (image.Image, Format, error) {
	if maxPixels <= 0 {
		maxPixels = DefaultMaxPixels
	}
	f, ok := Sniff(data)
	if ok && (f == HEIF || f == AVIF) {
		img, err := decodeHEIF(data, minSide, maxPixels)
		if err != nil {
			return nil, f, fmt.Errorf("decode %s: %w", f, err)
		}
		return img, f, nil
	}
	if !ok || f != JPEG || minSide <= 0 || !turboAvailable {
		return Decode(data, maxPixels)
	}
	img, err := decodeTurbo(data, minSide, maxPixels)
	if err != nil {
		// The Go decoder has the last word: it fails clearly on truly
		// broken files and reads the few that libjpeg-turbo does not.
		return Decode(data, maxPixels)
	}
	return img, JPEG, nil
}

// scaleFor picks the smallest of the scaling factors num/denom whose result
// keeps the shorter side at least minSide.
func scaleFor(w, h, minSide int, factors [][2]int) (num, denom int) {
	short := min(w, h)
	num, denom = 1, 1
	best := short
	for _, f := range factors {
		s := (short*f[0] + f[1] - 1) / f[1] // libjpeg rounds scaled sizes up
		if s >= minSide && s < best {
			num, denom, best = f[0], f[1], s
		}
	}
	return num, denom
}

var errTurbo = errors.New("fast JPEG decoder unavailable")
