//go:build cgo && !noturbo

package imagefile

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"io/fs"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/simili/simili/internal/testenv"
)

// turbo8 is libjpeg-turbo's own 1/8-scale decode, the reference for dc8.
func turbo8(t *testing.T, data []byte) image.Image {
	t.Helper()
	img, err := decodeJPEG(data, 1, DefaultMaxPixels, false)
	if err != nil {
		t.Fatalf("libjpeg-turbo: %v", err)
	}
	return img
}

// psnr compares two RGBA images of the same size over R, G and B; +Inf when
// identical.
func psnr(t *testing.T, a, b image.Image) (float64, int) {
	t.Helper()
	if a.Bounds().Size() != b.Bounds().Size() {
		t.Fatalf("sizes differ: %v vs %v", a.Bounds(), b.Bounds())
	}
	var se float64
	worst := 0
	ab, bb := a.Bounds(), b.Bounds()
	for y := 0; y < ab.Dy(); y++ {
		for x := 0; x < ab.Dx(); x++ {
			r1, g1, b1, _ := a.At(ab.Min.X+x, ab.Min.Y+y).RGBA()
			r2, g2, b2, _ := b.At(bb.Min.X+x, bb.Min.Y+y).RGBA()
			for _, d := range []int{int(r1>>8) - int(r2>>8), int(g1>>8) - int(g2>>8), int(b1>>8) - int(b2>>8)} {
				se += float64(d * d)
				worst = max(worst, abs(d))
			}
		}
	}
	if se == 0 {
		return math.Inf(1), 0
	}
	mse := se / float64(3*ab.Dx()*ab.Dy())
	return 10 * math.Log10(255*255/mse), worst
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// scene draws a photo-like picture: smooth gradients, hard-edged shapes
// and fine noise, so blocks carry many AC coefficients.
func scene(w, h int, seed uint64, gray bool) image.Image {
	r := rand.New(rand.NewPCG(seed, 7))
	var img interface {
		image.Image
		Set(int, int, color.Color)
	}
	if gray {
		img = image.NewGray(image.Rect(0, 0, w, h))
	} else {
		img = image.NewNRGBA(image.Rect(0, 0, w, h))
	}
	cx, cy, rad := float64(w)*r.Float64(), float64(h)*r.Float64(), float64(min(w, h))/3
	for y := range h {
		for x := range w {
			v := float64(x*200/max(w, 1) + y*50/max(h, 1))
			if dx, dy := float64(x)-cx, float64(y)-cy; dx*dx+dy*dy < rad*rad {
				v = 255 - v
			}
			n := r.IntN(40) - 20
			c := color.NRGBA{
				R: uint8(max(0, min(255, int(v)+n))),
				G: uint8(max(0, min(255, int(v*0.6)+n+(x/13%2)*40))),
				B: uint8(max(0, min(255, 255-int(v)+n))),
				A: 255,
			}
			img.Set(x, y, c)
		}
	}
	return img
}

func encode(t *testing.T, img image.Image, q int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// boxDown averages k×k blocks of the full decode: what a 1/8-scale image
// of the photo should show.
func boxDown(img image.Image, k int) *image.NRGBA {
	b := img.Bounds()
	out := image.NewNRGBA(image.Rect(0, 0, (b.Dx()+k-1)/k, (b.Dy()+k-1)/k))
	for oy := range out.Rect.Dy() {
		for ox := range out.Rect.Dx() {
			var s [3]uint32
			n := uint32(0)
			for y := oy * k; y < min(oy*k+k, b.Dy()); y++ {
				for x := ox * k; x < min(ox*k+k, b.Dx()); x++ {
					r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
					s[0], s[1], s[2] = s[0]+r>>8, s[1]+g>>8, s[2]+bl>>8
					n++
				}
			}
			out.SetNRGBA(ox, oy, color.NRGBA{uint8((s[0] + n/2) / n), uint8((s[1] + n/2) / n), uint8((s[2] + n/2) / n), 255})
		}
	}
	return out
}

// TestDC8MatchesLibjpegTurbo holds the DC-only decoder to libjpeg-turbo's
// 1/8-scale decode: grey must match exactly (both are the rounded DC). For
// 4:2:0 colour, where dc8 takes each chroma block's halves from its first
// cosines and libjpeg-turbo runs a 2×2 IDCT, both are held to the full
// decode averaged over 8×8 blocks: dc8 must stay above 40 dB. The scenes'
// hard-edged coloured stripes are a harsh case for chroma (measured: dc8
// 42–47 dB, libjpeg-turbo 45–51; chroma from DC alone gave 19–30).
func TestDC8MatchesLibjpegTurbo(t *testing.T) {
	cases := []struct {
		name string
		w, h int
		gray bool
		q    int
	}{
		{"grey 1000x750", 1000, 750, true, 92},
		{"grey odd 1001x753", 1001, 753, true, 75},
		{"grey one block", 8, 8, true, 90},
		{"grey 1x1", 1, 1, true, 90},
		{"colour 4:2:0 1200x900", 1200, 900, false, 92},
		{"colour partial MCUs 1003x757", 1003, 757, false, 85},
		{"colour tall 240x1600", 240, 1600, false, 98},
		{"colour 17x9", 17, 9, false, 90},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := encode(t, scene(c.w, c.h, uint64(i), c.gray), c.q)
			got, err := decodeDC8(data, c.w, c.h)
			if err != nil {
				t.Fatalf("dc8: %v", err)
			}
			if want := image.Rect(0, 0, (c.w+7)/8, (c.h+7)/8); got.Bounds() != want {
				t.Fatalf("bounds %v, want %v", got.Bounds(), want)
			}
			ref := turbo8(t, data)
			if c.gray {
				if p, worst := psnr(t, got, ref); !math.IsInf(p, 1) {
					t.Fatalf("grey differs from libjpeg-turbo: PSNR %.1f dB, worst %d", p, worst)
				}
				return
			}
			full, err := jpeg.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			truth := boxDown(full, 8)
			pd, _ := psnr(t, got, truth)
			pt, _ := psnr(t, ref, truth)
			t.Logf("PSNR against the averaged full decode: dc8 %.1f dB, libjpeg-turbo 1/8 %.1f dB", pd, pt)
			if pd < 40 {
				t.Fatalf("dc8 %.1f dB from the averaged full decode, want ≥ 40 (libjpeg-turbo %.1f)", pd, pt)
			}
		})
	}
}

// TestDC8SharedJPEGs runs every JPEG in the shared fixtures and the
// holidays photos (cameras and phones: 4:2:0, 4:2:2 both ways, 4:4:4,
// restart intervals, Adobe markers, a progressive file, a damaged one).
// Each decodes like libjpeg-turbo or is declined with a reason.
func TestDC8SharedJPEGs(t *testing.T) {
	root := testenv.Shared(t)
	var decoded, exact, declined, restarts int
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if ext := strings.ToLower(filepath.Ext(path)); ext != ".jpg" && ext != ".jpeg" {
			return nil
		}
		data, err := ReadFile(path, 64<<20)
		if err != nil {
			return err
		}
		if f, ok := Sniff(data); !ok || f != JPEG {
			return nil
		}
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			return nil // the header alone is broken: not dc8's concern
		}
		name, _ := filepath.Rel(root, path)
		ref, terr := decodeJPEG(data, 1, DefaultMaxPixels, false)
		got, err := decodeDC8(data, cfg.Width, cfg.Height)
		switch {
		case err != nil && terr != nil:
			declined++ // both refuse: damaged
		case err != nil:
			if !errors.Is(err, errDC8Unsupported) {
				t.Errorf("%s: dc8 %v where libjpeg-turbo decodes", name, err)
			}
			declined++
		case terr != nil:
			t.Errorf("%s: dc8 decoded what libjpeg-turbo calls damaged (%v)", name, terr)
		default:
			decoded++
			if sos := bytes.Index(data, []byte{0xFF, 0xDA}); sos > 0 && bytes.Contains(data[:sos], []byte{0xFF, 0xDD, 0x00, 0x04}) {
				restarts++ // a DRI segment: restart markers in the data
			}
			p, worst := psnr(t, got, ref)
			if math.IsInf(p, 1) {
				exact++
			}
			if p < 25 {
				t.Errorf("%s: PSNR %.1f dB against libjpeg-turbo (worst %d)", name, p, worst)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d decoded (%d identical to libjpeg-turbo, %d with restart intervals), %d declined", decoded, exact, restarts, declined)
	if decoded < 300 || exact == 0 || restarts == 0 || declined == 0 {
		t.Fatalf("expected over 300 decoded, some identical, some with restart markers and some declined; got %d, %d, %d, %d", decoded, exact, restarts, declined)
	}
}

// TestDC8Damage cuts and scrambles a JPEG: every cut inside the
// compressed data is an error, and no scrambled byte crashes or hangs.
func TestDC8Damage(t *testing.T) {
	data := encode(t, scene(640, 480, 3, false), 90)
	sos := bytes.Index(data, []byte{0xFF, 0xDA})
	if sos < 0 {
		t.Fatal("no SOS")
	}
	for cut := 2; cut < len(data)-2; cut += 97 {
		if _, err := decodeDC8(data[:cut], 640, 480); err == nil {
			t.Fatalf("cut at %d of %d decoded", cut, len(data))
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		bad := bytes.Clone(data)
		for range 1 + r.IntN(4) {
			bad[2+r.IntN(len(bad)-2)] = byte(r.IntN(256))
		}
		img, err := decodeDC8(bad, 640, 480)
		if err == nil && img.Bounds() != image.Rect(0, 0, 80, 60) {
			t.Fatalf("scrambled file gave %v", img.Bounds())
		}
	}
	if _, err := decodeDC8(data, 641, 480); err == nil {
		t.Fatal("a size that disagrees with the frame decoded")
	}
}
