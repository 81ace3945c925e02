package scan

import (
	"bytes"
	"errors"
	"fmt"
	"image"

	"github.com/disintegration/imaging"

	"github.com/simili/simili/internal/resample"

	"github.com/simili/simili/library/imagefile"
	"github.com/simili/simili/library/meta"
)

// Upright decodes image data and applies its EXIF orientation, so every
// consumer (thumbnails, embeddings, previews) sees the picture as displayed
// (HEIF and AVIF come upright from their decoder: their EXIF tag is not
// applied). A picture that decodes to one nearly uniform colour is an error
// wrapping imagefile.ErrBlank: it would make a meaningless embedding.
// minSide > 0 says that consumers need no more than minSide pixels on the
// shorter side: the decoder may work at a reduced scale and a larger result
// is shrunk once, so thumbnails and model input are made from a small image
// instead of each resampling a 12-megapixel one. 0 keeps the full size.
func Upright(data []byte, m meta.Meta, maxPixels, minSide int) (image.Image, error) {
	img, f, err := decode(data, maxPixels, minSide)
	if err != nil {
		return nil, err
	}
	if err := imagefile.CheckBlank(img); err != nil {
		return nil, fmt.Errorf("decode %s: %w", f, err)
	}
	if imagefile.Upright(f) {
		return shrink(img, minSide), nil // HEIF/AVIF: the container's transforms are applied
	}
	b := img.Bounds()
	img = imagefile.Orient(img, imagefile.EffectiveOrientation(m.Orientation, m.PixelWidth, m.PixelHeight, b.Dx(), b.Dy()))
	return shrink(img, minSide), nil
}

// shrink scales img so its shorter side is minSide, when it is more than
// half as large again; the linear filter's footprint grows with the ratio,
// so the result is properly anti-aliased.
func shrink(img image.Image, minSide int) image.Image {
	b := img.Bounds()
	short := min(b.Dx(), b.Dy())
	if minSide <= 0 || short*2 < minSide*3 {
		return img
	}
	if b.Dx() <= b.Dy() {
		return resample.Resize(img, minSide, 0, imaging.Linear)
	}
	return resample.Resize(img, 0, minSide, imaging.Linear)
}

// PrepSide is the shorter side images are reduced to before the model sees
// them (when they are larger): 1.5× the model's input, so the final resize
// still averages over more than one pixel, and small enough that a 12-MP
// JPEG decodes at 1/8 scale. Indexing and queries must both use it, or the
// same photo would embed slightly differently.
func PrepSide(inputSize int) int { return inputSize * 3 / 2 }

// LoadUpright reads an image file (read-only) and returns it upright with
// its metadata; malformed EXIF is tolerated (the orientation then defaults).
// minSide is as for Upright.
func LoadUpright(path string, maxPixels int, maxBytes int64, minSide int) (image.Image, meta.Meta, error) {
	if maxPixels <= 0 {
		maxPixels = imagefile.DefaultMaxPixels
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxFileBytes
	}
	data, err := imagefile.ReadFile(path, maxBytes)
	if err != nil {
		return nil, meta.Meta{}, err
	}
	if _, ok := imagefile.Sniff(data); !ok {
		return nil, meta.Meta{}, fmt.Errorf("%s: not an image Simili can read (%s): %w", path, imagefile.Names, imagefile.ErrUnsupported)
	}
	m, merr := meta.Read(bytes.NewReader(data))
	if merr != nil && !errors.Is(merr, meta.ErrNoEXIF) {
		m.Orientation = max(m.Orientation, 1)
	}
	img, err := Upright(data, m, maxPixels, minSide)
	if err != nil {
		return nil, m, fmt.Errorf("%s: %w", path, err)
	}
	return img, m, nil
}

// decode is the one place that picks the decoder, so a faster reduced-scale
// path serves the scanner and the benchmarks alike.
func decode(data []byte, maxPixels, minSide int) (image.Image, imagefile.Format, error) {
	return imagefile.DecodeScaled(data, minSide, maxPixels)
}
