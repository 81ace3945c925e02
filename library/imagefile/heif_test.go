//go:build cgo && !noheif

package imagefile_test

import (
	"bytes"
	"errors"
	"image"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/disintegration/imaging"

	"github.com/simili/simili/internal/testenv"
	"github.com/simili/simili/library/imagefile"
)

// TestHEIFFixturesDecodeUpright decodes every real HEIC/AVIF fixture and
// compares it with libheif's own heif-convert, which applies the
// container's irot/imir: the header size is the upright size of the shared
// README's table, and the picture (full size, and the reduced one the scan
// uses, which comes from the file's thumbnail item where that is large
// enough) matches heif-convert's within JPEG error after downscaling. A
// picture turned by the EXIF tag as well, mirrored or taken from a
// thumbnail of another shape would differ by tens of levels.
func TestHEIFFixturesDecodeUpright(t *testing.T) {
	fixtures := testenv.FormatFixtures(t)
	conv, err := exec.LookPath("heif-convert")
	if err != nil {
		testenv.Skipf(t, "heif-convert not installed (Debian libheif-examples): %v", err)
	}
	tmp := t.TempDir()
	usedThumb := 0
	for _, fx := range fixtures {
		t.Run(filepath.Base(fx.Path), func(t *testing.T) {
			data, err := os.ReadFile(fx.Path)
			if err != nil {
				t.Fatal(err)
			}
			cfg, f, err := imagefile.DecodeConfig(data)
			if err != nil {
				t.Fatal(err)
			}
			if want := imagefile.Format(map[bool]string{true: "avif", false: "heif"}[filepath.Ext(fx.Path) == ".avif"]); f != want {
				t.Errorf("format %q, want %q", f, want)
			}
			if fx.UprightW > 0 && (cfg.Width != fx.UprightW || cfg.Height != fx.UprightH) {
				t.Errorf("header says %d×%d, want upright %d×%d", cfg.Width, cfg.Height, fx.UprightW, fx.UprightH)
			}
			// JPEG: heif-convert cannot write one fixture's ICC profile to PNG.
			ref := filepath.Join(tmp, filepath.Base(fx.Path)+".jpg")
			if out, err := exec.Command(conv, "-q", "95", fx.Path, ref).CombinedOutput(); err != nil {
				t.Fatalf("heif-convert: %v: %s", err, out)
			}
			refImg, err := imaging.Open(ref)
			if err != nil {
				t.Fatal(err)
			}
			full, _, err := imagefile.Decode(data, 0)
			if err != nil {
				t.Fatal(err)
			}
			if full.Bounds() != refImg.Bounds() || full.Bounds().Dx() != cfg.Width || full.Bounds().Dy() != cfg.Height {
				t.Fatalf("decoded %v, heif-convert %v, header %d×%d", full.Bounds(), refImg.Bounds(), cfg.Width, cfg.Height)
			}
			if d := meanDiff(full, refImg); d > 2 {
				t.Errorf("full decode differs from heif-convert by %.2f levels on average", d)
			}
			small, _, err := imagefile.DecodeScaled(data, 336, 0)
			if err != nil {
				t.Fatal(err)
			}
			sb := small.Bounds()
			if min(sb.Dx(), sb.Dy()) < 336 {
				t.Errorf("reduced decode %v is smaller than asked", sb)
			}
			if sb != full.Bounds() {
				usedThumb++
				if math.Abs(float64(sb.Dx())/float64(sb.Dy())-float64(cfg.Width)/float64(cfg.Height)) > 0.02 {
					t.Errorf("thumbnail %v has another shape than %d×%d", sb, cfg.Width, cfg.Height)
				}
			}
			if d := meanDiff(small, refImg); d > 4 {
				t.Errorf("reduced decode %v differs from heif-convert by %.2f levels on average", sb, d)
			}
		})
	}
	if usedThumb == 0 {
		t.Errorf("no fixture's thumbnail item was used (galaxy-s10-cable has a 384×512 one)")
	}
}

// meanDiff is the mean absolute difference per channel, in 8-bit levels,
// of a and b reduced to 64×64.
func meanDiff(a, b image.Image) float64 {
	sa := imaging.Resize(a, 64, 64, imaging.Box)
	sb := imaging.Resize(b, 64, 64, imaging.Box)
	var sum float64
	for i := range sa.Pix {
		if i%4 != 3 {
			sum += math.Abs(float64(sa.Pix[i]) - float64(sb.Pix[i]))
		}
	}
	return sum / float64(64*64*3)
}

// TestHEIFBadInput: broken HEIF files give errors, never a crash, a hang or
// a picture; the pixel limit is checked before decoding.
func TestHEIFBadInput(t *testing.T) {
	fixtures := testenv.FormatFixtures(t)
	data, err := os.ReadFile(fixtures[0].Path)
	if err != nil {
		t.Fatal(err)
	}
	corrupt := bytes.Clone(data)
	for i := 200; i < len(corrupt); i += 97 {
		corrupt[i] ^= 0x5A
	}
	for name, in := range map[string][]byte{
		"header only":   data[:32],
		"truncated":     data[:len(data)/3],
		"no image data": data[:4000],
		"corrupt":       corrupt,
	} {
		t.Run(name, func(t *testing.T) {
			if img, _, err := imagefile.Decode(in, 0); err == nil {
				// libheif may decode damaged tiles as grey; what must not
				// pass is a picture the blank check lets through as real.
				if berr := imagefile.CheckBlank(img); berr == nil && name != "corrupt" {
					t.Errorf("decoded %v from %s", img.Bounds(), name)
				}
			}
			imagefile.DecodeScaled(in, 100, 0)
			imagefile.DecodeConfig(in)
		})
	}
	if _, _, err := imagefile.Decode(data, 1_000_000); !errors.Is(err, imagefile.ErrTooLarge) {
		t.Errorf("12-MP HEIC with a 1-MP limit: %v, want ErrTooLarge", err)
	}
	if _, _, err := imagefile.DecodeScaled(data, 100, 1_000_000); !errors.Is(err, imagefile.ErrTooLarge) {
		t.Errorf("reduced decode of a 12-MP HEIC with a 1-MP limit: %v, want ErrTooLarge", err)
	}
}
