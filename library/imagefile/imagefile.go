// Package imagefile recognises image files by their content and decodes them
// safely: hostile or broken files must produce errors, never panics or
// runaway allocations, because a photo library holds whatever users throw in.
package imagefile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"os"

	"github.com/disintegration/imaging"
	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
	"golang.org/x/image/webp"
)

// Format names an image container recognised by its magic bytes.
type Format string

// The formats Simili can decode. The values are stored in the catalog.
const (
	JPEG Format = "jpeg"
	PNG  Format = "png"
	GIF  Format = "gif"
	WebP Format = "webp"
	TIFF Format = "tiff"
	BMP  Format = "bmp"
	// HEIF (HEIC from phones) and AVIF are ISOBMFF containers decoded by
	// libheif when the build has it (cgo, without the noheif tag).
	HEIF Format = "heif"
	AVIF Format = "avif"
)

// SniffLen is the number of leading bytes Sniff needs to recognise any
// supported format, so callers can read just that much from a file (HEIF
// and AVIF name themselves in the brands of their leading ftyp box).
const SniffLen = 32

// DefaultMaxPixels bounds decoded images (about 120 MP, 480 MB as RGBA) so a
// crafted header cannot make the scanner allocate unbounded memory.
const DefaultMaxPixels = 120_000_000

var (
	// ErrUnsupported reports data that is not one of the supported formats.
	ErrUnsupported = errors.New("unsupported image format")
	// ErrTooLarge reports an image whose declared dimensions exceed the limit
	// (or are not positive), detected before any pixel memory is allocated.
	ErrTooLarge = errors.New("image too large")
)

// Sniff identifies the format from the first bytes of a file (at most
// SniffLen are examined). File names are deliberately ignored: extensions
// lie far more often than magic numbers.
func Sniff(head []byte) (Format, bool) {
	switch {
	case len(head) >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF:
		return JPEG, true
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return PNG, true
	case bytes.HasPrefix(head, []byte("GIF87a")), bytes.HasPrefix(head, []byte("GIF89a")):
		return GIF, true
	case len(head) >= 12 && string(head[0:4]) == "RIFF" && string(head[8:12]) == "WEBP":
		return WebP, true
	case bytes.HasPrefix(head, []byte("II*\x00")), bytes.HasPrefix(head, []byte("MM\x00*")):
		return TIFF, true
	case isBMP(head):
		return BMP, true
	}
	return sniffISOBMFF(head)
}

// sniffISOBMFF recognises a HEIF or AVIF still image by the brands of its
// leading ftyp box. Video brands (MP4, QuickTime) are not images, and a
// generic major brand (mif1/msf1) is AVIF when an AV1 brand follows.
func sniffISOBMFF(head []byte) (Format, bool) {
	if len(head) < 16 || string(head[4:8]) != "ftyp" {
		return "", false
	}
	size := int(binary.BigEndian.Uint32(head[0:4]))
	if size < 16 {
		return "", false
	}
	end := min(size, len(head))
	var heif, avif bool
	for i := 8; i+4 <= end; i += 4 {
		if i == 12 {
			continue // minor version
		}
		switch string(head[i : i+4]) {
		case "avif", "avis":
			avif = true
		case "heic", "heix", "heim", "heis", "hevc", "hevx", "hevm", "hevs", "mif1", "msf1", "mif2":
			heif = true
		}
		if i == 8 && !avif && !heif {
			return "", false // the major brand decides what the file is
		}
	}
	switch {
	case avif && !(string(head[8:12]) == "heic" || string(head[8:12]) == "heix"):
		return AVIF, true
	case heif:
		return HEIF, true
	}
	return "", false
}

// SniffFile reports the format of the file at path from its first bytes,
// opening it read-only; ok is false when it is not an image Simili reads
// (or cannot be read). The window uses it to accept files by content.
func SniffFile(path string) (Format, bool) {
	f, err := os.Open(path)
	if err != nil {
		return "", false
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return "", false // a FIFO or device would block or never end
	}
	head := make([]byte, SniffLen)
	n, _ := io.ReadFull(f, head)
	return Sniff(head[:n])
}

// Names lists the supported formats for messages, e.g. "JPEG, PNG, …".
const Names = "JPEG, PNG, GIF, WebP, TIFF, BMP, HEIC/HEIF, AVIF"

// isBMP checks more than the weak two-byte "BM" signature: the reserved
// words must be zero and the pixel-data offset must lie past the headers.
func isBMP(head []byte) bool {
	if len(head) < 14 || head[0] != 'B' || head[1] != 'M' {
		return false
	}
	if binary.LittleEndian.Uint32(head[6:10]) != 0 {
		return false
	}
	off := binary.LittleEndian.Uint32(head[10:14])
	return off >= 14+12 && off < 1<<28
}

type codec struct {
	config func(io.Reader) (image.Config, error)
	decode func(io.Reader) (image.Image, error)
}

// codecFor calls each format's decoder directly rather than image.Decode,
// so the sniffed format is what gets decoded, whatever else is registered.
func codecFor(f Format) codec {
	switch f {
	case JPEG:
		return codec{jpeg.DecodeConfig, jpeg.Decode}
	case PNG:
		return codec{png.DecodeConfig, png.Decode}
	case GIF:
		return codec{gif.DecodeConfig, gif.Decode}
	case WebP:
		return codec{webp.DecodeConfig, webp.Decode}
	case TIFF:
		return codec{tiff.DecodeConfig, tiff.Decode}
	default:
		return codec{bmp.DecodeConfig, bmp.Decode}
	}
}

// Decode recognises data by its magic bytes and decodes it. The header is
// checked against maxPixels (DefaultMaxPixels when <= 0) before decoding so
// oversized or nonsensical dimensions fail with ErrTooLarge without
// allocating pixel memory. Decoder panics on malformed input are turned into
// errors naming the format. GIF yields its first frame.
func Decode(data []byte, maxPixels int) (image.Image, Format, error) {
	if maxPixels <= 0 {
		maxPixels = DefaultMaxPixels
	}
	f, ok := Sniff(data)
	if !ok {
		return nil, "", fmt.Errorf("decode: %w", ErrUnsupported)
	}
	if f == HEIF || f == AVIF {
		img, err := decodeHEIF(data, 0, maxPixels)
		if err != nil {
			return nil, f, fmt.Errorf("decode %s: %w", f, err)
		}
		return img, f, nil
	}
	c := codecFor(f)
	cfg, err := guard(f, "header", func() (image.Config, error) { return c.config(bytes.NewReader(data)) })
	if err != nil {
		return nil, f, err
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > int64(maxPixels) {
		return nil, f, fmt.Errorf("decode %s: %dx%d exceeds %d pixels: %w", f, cfg.Width, cfg.Height, maxPixels, ErrTooLarge)
	}
	img, err := guard(f, "image", func() (image.Image, error) { return c.decode(bytes.NewReader(data)) })
	if err != nil {
		return nil, f, err
	}
	if b := img.Bounds(); b.Dx() <= 0 || b.Dy() <= 0 {
		return nil, f, fmt.Errorf("decode %s image: empty bounds %v", f, b)
	}
	return img, f, nil
}

// DecodeConfig returns the size of the picture as decoded, without decoding
// pixels: for HEIF and AVIF that is the upright size (the container's
// rotation applied, see Upright), for the other formats the stored size.
func DecodeConfig(data []byte) (image.Config, Format, error) {
	f, ok := Sniff(data)
	if !ok {
		return image.Config{}, "", fmt.Errorf("decode header: %w", ErrUnsupported)
	}
	if f == HEIF || f == AVIF {
		cfg, err := heifConfig(data)
		if err != nil {
			return cfg, f, fmt.Errorf("decode %s header: %w", f, err)
		}
		return cfg, f, nil
	}
	c := codecFor(f)
	cfg, err := guard(f, "header", func() (image.Config, error) { return c.config(bytes.NewReader(data)) })
	return cfg, f, err
}

// Upright reports whether the decoder of f already returns the picture as
// displayed, so the EXIF Orientation tag must not be applied again. In HEIF
// and AVIF the container's irot/imir transforms are the orientation and
// the EXIF tag is informational only.
func Upright(f Format) bool { return f == HEIF || f == AVIF }

// guard runs one decoder call, converting a panic into an error: the
// standard and x/image decoders are not all hardened against every input.
func guard[T any](f Format, what string, fn func() (T, error)) (v T, err error) {
	defer func() {
		if r := recover(); r != nil {
			var zero T
			v, err = zero, fmt.Errorf("decode %s %s: decoder panicked: %v", f, what, r)
		}
	}()
	v, err = fn()
	if err != nil {
		var zero T
		return zero, fmt.Errorf("decode %s %s: %w", f, what, err)
	}
	return v, nil
}

// Orient applies an EXIF orientation (1..8) so the result is the picture as
// it should be displayed. Values outside 2..8 return img unchanged.
func Orient(img image.Image, orientation int) image.Image {
	switch orientation {
	case 2: // mirrored horizontally
		return imaging.FlipH(img)
	case 3: // upside down
		return imaging.Rotate180(img)
	case 4: // mirrored vertically
		return imaging.FlipV(img)
	case 5: // mirrored along the main diagonal
		return imaging.Transpose(img)
	case 6: // needs 90° clockwise (= 270° counter-clockwise)
		return imaging.Rotate270(img)
	case 7: // mirrored along the anti-diagonal
		return imaging.Transverse(img)
	case 8: // needs 90° counter-clockwise
		return imaging.Rotate90(img)
	}
	return img
}

// EffectiveOrientation returns the orientation to apply to decoded pixels
// of size w×h, given the EXIF Orientation tag and the EXIF
// PixelXDimension/PixelYDimension (exifW, exifH; 0 when absent).
//
// Real libraries contain photos whose pixels a tool already turned upright
// while the 90° tag (5..8) was kept; applying it again lays them on their
// side. In holidays-1024 those files have portrait pixels and EXIF
// dimensions of the camera original (e.g. 2448×3264 for 768×1024 pixels,
// already swapped by the tool, so their orientation alone proves nothing).
// Files whose tag is authoritative either have landscape pixels (the camera
// sensor frame) or EXIF dimensions equal to the pixels (written for exactly
// this pixel grid, as in the orientation test sets) or none at all. So the
// tag is ignored only when the pixels are portrait and the EXIF dimensions
// are present but describe a different pixel grid (the file was resampled
// after capture). A photo rotated by tag only after being resized from an
// upright portrait original would be misjudged; that is rarer than the quirk.
func EffectiveOrientation(tag int, exifW, exifH, w, h int) int {
	if tag < 5 || tag > 8 {
		return tag
	}
	if w < h && exifW > 0 && exifH > 0 && (exifW != w || exifH != h) {
		return 1
	}
	return tag
}

// HEIFSupported reports whether this build decodes HEIF and AVIF (built
// with cgo and libheif, without the noheif tag).
func HEIFSupported() bool { return heifAvailable }
