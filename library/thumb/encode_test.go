package thumb

import (
	"bytes"
	"image"
	"image/jpeg"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/disintegration/imaging"
)

// psnr is the peak signal-to-noise ratio of b against a over RGB, in dB.
func psnr(a *image.RGBA, b image.Image) float64 {
	var se float64
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := a.RGBAAt(x, y)
			r2, g2, b2, _ := b.At(x, y).RGBA()
			for _, d := range []float64{float64(c.R) - float64(r2>>8), float64(c.G) - float64(g2>>8), float64(c.B) - float64(b2>>8)} {
				se += d * d
			}
		}
	}
	mse := se / float64(3*r.Dx()*r.Dy())
	return 10 * math.Log10(255*255/mse)
}

// TestEncodeJPEGQuality checks the thumbnail encoder against image/jpeg at
// the same quality on real photos: it must decode to the same size and be
// no less faithful (PSNR to the source within 0.3 dB or better).
func TestEncodeJPEGQuality(t *testing.T) {
	shared := os.Getenv("SIMILI_SHARED")
	if shared == "" {
		shared = "../../../shared"
	}
	files, _ := filepath.Glob(filepath.Join(shared, "datasets", "holidays-1024", "*.jpg"))
	if len(files) == 0 {
		t.Skip("no photos in SIMILI_SHARED/datasets/holidays-1024")
	}
	for _, f := range files[:min(len(files), 8)] {
		src, err := imaging.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		flat := flatten(imaging.Fit(src, DefaultSize, DefaultSize, imaging.CatmullRom))
		var ours, ref bytes.Buffer
		if err := encodeJPEG(&ours, flat, jpegQuality); err != nil {
			t.Fatal(err)
		}
		if err := jpeg.Encode(&ref, flat, &jpeg.Options{Quality: jpegQuality}); err != nil {
			t.Fatal(err)
		}
		na, nb := ours.Len(), ref.Len()
		a, err := jpeg.Decode(&ours)
		if err != nil {
			t.Fatalf("%s: encoded thumbnail does not decode: %v", f, err)
		}
		b, _ := jpeg.Decode(&ref)
		if a.Bounds() != flat.Bounds() {
			t.Fatalf("%s: bounds %v, want %v", f, a.Bounds(), flat.Bounds())
		}
		pa, pb := psnr(flat, a), psnr(flat, b)
		t.Logf("%s: %d bytes %.2f dB; image/jpeg %d bytes %.2f dB", filepath.Base(f), na, pa, nb, pb)
		if pa < pb-0.3 {
			t.Errorf("%s: PSNR %.2f dB, image/jpeg %.2f dB", filepath.Base(f), pa, pb)
		}
	}
}
