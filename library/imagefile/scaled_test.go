package imagefile

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand"
	"testing"
)

func detailedJPEG(t testing.TB, w, h int) []byte {
	t.Helper()
	rng := rand.New(rand.NewSource(1))
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			n := uint8(rng.Intn(24))
			img.SetNRGBA(x, y, color.NRGBA{uint8(x*255/w) + n, uint8(y*255/h) + n, uint8((x^y)&0x7f) + n, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestDecodeScaledKeepsMinSide: with libjpeg-turbo the decode scale is the
// smallest that keeps minSide; a build without it (noturbo) must decode
// every JPEG at full size.
func TestDecodeScaledKeepsMinSide(t *testing.T) {
	data := detailedJPEG(t, 2000, 1500)
	tests := []struct {
		minSide      int
		maxShort     int // the chosen scale must not be larger than needed
		wantFullSize bool
	}{
		{0, 1500, true},
		{1500, 1500, true},
		{448, 750, false},  // 3/8 would give 563, 1/4 375 < 448: at most 1/2
		{188, 375, false},  // 1/8 = 188 exactly
		{100, 188, false},  // 1/8 is the smallest factor
		{4000, 1500, true}, // asking for more than there is: full size
	}
	for _, tt := range tests {
		img, f, err := DecodeScaled(data, tt.minSide, 0)
		if err != nil || f != JPEG {
			t.Fatalf("minSide %d: %v, %v", tt.minSide, f, err)
		}
		b := img.Bounds()
		short := min(b.Dx(), b.Dy())
		if (tt.wantFullSize || !turboAvailable) && (b.Dx() != 2000 || b.Dy() != 1500) {
			t.Errorf("minSide %d: %dx%d, want full size (libjpeg-turbo built in: %v)", tt.minSide, b.Dx(), b.Dy(), turboAvailable)
		}
		if !tt.wantFullSize && turboAvailable && (short < tt.minSide || short > tt.maxShort) {
			t.Errorf("minSide %d: shorter side %d, want between %d and %d", tt.minSide, short, tt.minSide, tt.maxShort)
		}
	}
}

// TestDecodeScaledMatchesFullDecode: the 1/2-scale decode looks like the
// full decode averaged 2×2. A build with libjpeg-turbo that no longer
// scales is the regression this catches, so it fails rather than skips.
func TestDecodeScaledMatchesFullDecode(t *testing.T) {
	data := detailedJPEG(t, 1600, 1200)
	full, _, err := Decode(data, 0)
	if err != nil {
		t.Fatal(err)
	}
	fast, _, err := DecodeScaled(data, 600, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Compare the 1/2-scale decode with a 2×2 box average of the full one.
	fb := fast.Bounds()
	if !turboAvailable {
		// noturbo build: full-size decoding only, identical to Decode.
		if fb != full.Bounds() {
			t.Fatalf("without libjpeg-turbo decoded at %v, want the full %v", fb, full.Bounds())
		}
		return
	}
	if fb.Dx() != 800 || fb.Dy() != 600 {
		t.Fatalf("decoded at %v, want 800x600: libjpeg-turbo is built in but did not scale", fb)
	}
	var diff, n float64
	for y := 0; y < fb.Dy(); y += 7 {
		for x := 0; x < fb.Dx(); x += 7 {
			var sum float64
			for dy := 0; dy < 2; dy++ {
				for dx := 0; dx < 2; dx++ {
					r, _, _, _ := full.At(2*x+dx, 2*y+dy).RGBA()
					sum += float64(r >> 8)
				}
			}
			r, _, _, _ := fast.At(x, y).RGBA()
			d := float64(r>>8) - sum/4
			if d < 0 {
				d = -d
			}
			diff += d
			n++
		}
	}
	if mean := diff / n; mean > 8 {
		t.Fatalf("mean difference %.1f/255 between scaled and full decode", mean)
	}
}

func TestDecodeScaledBadInput(t *testing.T) {
	data := detailedJPEG(t, 640, 480)
	var pngBuf bytes.Buffer
	png.Encode(&pngBuf, image.NewGray(image.Rect(0, 0, 40, 30)))
	corrupt := append([]byte(nil), data...)
	for i := len(corrupt) / 3; i < len(corrupt)/3+200; i++ {
		corrupt[i] ^= 0xA5
	}
	tests := []struct {
		name    string
		data    []byte
		wantErr bool
		wantFmt Format
	}{
		{"truncated", data[:len(data)/2], true, ""},
		{"header only", data[:200], true, ""},
		{"garbage", []byte("\xff\xd8\xff\xe0 nothing here"), true, ""},
		{"png passes through", pngBuf.Bytes(), false, PNG},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, f, err := DecodeScaled(tt.data, 100, 0)
			if (err != nil) != tt.wantErr || (!tt.wantErr && f != tt.wantFmt) {
				t.Fatalf("DecodeScaled = %v, %v; want error %v", f, err, tt.wantErr)
			}
		})
	}
	// A damaged middle must not crash; either outcome is fine.
	DecodeScaled(corrupt, 100, 0)
	if _, _, err := DecodeScaled(data, 100, 1000); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("pixel limit: %v, want ErrTooLarge", err)
	}
}

func BenchmarkDecode12MP(b *testing.B) {
	data := detailedJPEG(b, 4000, 3000)
	for _, bc := range []struct {
		name    string
		minSide int
	}{{"full", 0}, {"scaled448", 448}} {
		b.Run(bc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, _, err := DecodeScaled(data, bc.minSide, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
