package scan

import (
	"bytes"
	"errors"
	"fmt"
	"image"

	"github.com/simili/simili/library/imagefile"
	"github.com/simili/simili/library/meta"
)

// Upright decodes image data and applies its EXIF orientation, so every
// consumer (thumbnails, embeddings, previews) sees the picture as displayed.
func Upright(data []byte, m meta.Meta, maxPixels int) (image.Image, error) {
	img, _, err := imagefile.Decode(data, maxPixels)
	if err != nil {
		return nil, err
	}
	b := img.Bounds()
	return imagefile.Orient(img, imagefile.EffectiveOrientation(m.Orientation, m.PixelWidth, m.PixelHeight, b.Dx(), b.Dy())), nil
}

// LoadUpright reads an image file (read-only) and returns it upright with
// its metadata; malformed EXIF is tolerated (the orientation then defaults).
func LoadUpright(path string, maxPixels int, maxBytes int64) (image.Image, meta.Meta, error) {
	if maxPixels <= 0 {
		maxPixels = imagefile.DefaultMaxPixels
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxFileBytes
	}
	data, err := readFile(path, maxBytes)
	if err != nil {
		return nil, meta.Meta{}, err
	}
	if _, ok := imagefile.Sniff(data); !ok {
		return nil, meta.Meta{}, fmt.Errorf("%s: not an image Simili can read (JPEG, PNG, GIF, WebP, TIFF, BMP): %w", path, imagefile.ErrUnsupported)
	}
	m, merr := meta.Read(bytes.NewReader(data))
	if merr != nil && !errors.Is(merr, meta.ErrNoEXIF) {
		m.Orientation = max(m.Orientation, 1)
	}
	img, err := Upright(data, m, maxPixels)
	if err != nil {
		return nil, m, fmt.Errorf("%s: %w", path, err)
	}
	return img, m, nil
}
