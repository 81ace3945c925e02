package signature

import (
	"image"
	"image/color"
	"os"
	"path/filepath"
	"testing"

	"github.com/disintegration/imaging"

	"github.com/simili/simili/internal/testenv"
)

func loadHoliday(t *testing.T, name string) image.Image {
	t.Helper()
	img, err := imaging.Open(filepath.Join(testenv.Holidays(t), name))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// TestEditsKeepTheHashDifferentPhotosDoNot checks the property duplicates
// rely on: edits that keep the photograph move the hash a few bits, another
// photo of the same scene moves it much further.
func TestEditsKeepTheHashDifferentPhotosDoNot(t *testing.T) {
	orig := loadHoliday(t, "100001.jpg")
	base := Compute(orig)
	b := orig.Bounds()
	cw, ch := b.Dx()*8/100, b.Dy()*8/100
	edits := []struct {
		name    string
		img     image.Image
		maxDist int
	}{
		{"resized to 50%", imaging.Resize(orig, b.Dx()/2, 0, imaging.Lanczos), 4},
		{"brightness +15%", imaging.AdjustBrightness(orig, 15), 8},
		{"blurred", imaging.Blur(orig, 1), 6},
		{"8% crop per side", imaging.Crop(orig, image.Rect(cw, ch, b.Dx()-cw, b.Dy()-ch)), 10},
	}
	for _, e := range edits {
		d, _ := CropDistance(base, Compute(e.img))
		if d > e.maxDist {
			t.Errorf("%s: distance %d > %d", e.name, d, e.maxDist)
		}
	}
	// 100002.jpg is another photo of the same scene: a hard negative.
	other := Compute(loadHoliday(t, "100002.jpg"))
	if d, _ := CropDistance(base, other); d <= 12 {
		t.Errorf("another photo of the scene is at distance %d, want > 12", d)
	}
	if a := base.Aspect; a < 0.5 || a > 2 {
		t.Errorf("aspect %v", a)
	}
}

func TestSharpnessPrefersTheSharperCopy(t *testing.T) {
	orig := loadHoliday(t, "100001.jpg")
	sharp := Compute(orig).Sharpness
	blurred := Compute(imaging.Blur(orig, 1.5)).Sharpness
	if !(sharp > 2*blurred) || blurred <= 0 {
		t.Fatalf("sharpness original %v, blurred %v", sharp, blurred)
	}
	// The same picture at a larger resolution measures about the same.
	big := Compute(imaging.Resize(orig, orig.Bounds().Dx()*2, 0, imaging.Lanczos)).Sharpness
	if r := big / sharp; r < 0.5 || r > 2 {
		t.Errorf("sharpness at 2x = %v, at 1x = %v", big, sharp)
	}
}

func TestDegenerateImages(t *testing.T) {
	for _, r := range []image.Rectangle{image.Rect(0, 0, 1, 1), image.Rect(0, 0, 3, 200), image.Rect(5, 5, 40, 9), image.Rect(0, 0, 0, 0)} {
		img := image.NewGray(r)
		for i := range img.Pix {
			img.Pix[i] = uint8(i * 37)
		}
		s := Compute(img)
		if r.Empty() {
			if s != (Signature{}) {
				t.Errorf("%v: %+v, want zero", r, s)
			}
			continue
		}
		if s.Aspect != float32(r.Dx())/float32(r.Dy()) {
			t.Errorf("%v: aspect %v", r, s.Aspect)
		}
	}
	// A uniform picture has no edges.
	flat := imaging.New(64, 64, color.Gray{128})
	if s := Compute(flat); s.Sharpness != 0 {
		t.Errorf("uniform sharpness %v", s.Sharpness)
	}
}

// TestPixelFormatsAgree: the same picture hashes alike whichever decoder
// produced it (YCbCr from JPEG, NRGBA after a resize, RGBA).
func TestPixelFormatsAgree(t *testing.T) {
	f, err := os.Open(filepath.Join(testenv.Holidays(t), "100001.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	src, _, err := image.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := src.(*image.YCbCr); !ok {
		t.Fatalf("expected a YCbCr JPEG, got %T", src)
	}
	want := Compute(src)
	nrgba := imaging.Clone(src)
	rgba := image.NewRGBA(src.Bounds())
	for y := src.Bounds().Min.Y; y < src.Bounds().Max.Y; y++ {
		for x := src.Bounds().Min.X; x < src.Bounds().Max.X; x++ {
			rgba.Set(x, y, src.At(x, y))
		}
	}
	for name, img := range map[string]image.Image{"NRGBA": nrgba, "RGBA": rgba} {
		got := Compute(img)
		if d := Distance(got.PHash, want.PHash); d > 2 {
			t.Errorf("%s: distance %d from the YCbCr hash", name, d)
		}
	}
}

// BenchmarkCompute is the signature's share of the scan's per-photo work,
// on the image size the scan hands it (shorter side 336 for a 224 model).
func BenchmarkCompute(b *testing.B) {
	img := loadHoliday(&testing.T{}, "100001.jpg")
	img = imaging.Resize(img, 0, 336, imaging.Linear)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Compute(img)
	}
}
