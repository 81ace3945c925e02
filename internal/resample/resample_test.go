package resample

import (
	"image"
	"image/color"
	"math/rand/v2"
	"testing"

	"github.com/disintegration/imaging"
)

// photo is an opaque picture with gradients, edges and noise.
func photo(w, h int, seed uint64) *image.NRGBA {
	r := rand.New(rand.NewPCG(seed, 1))
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			v := (x*255/w + y*128/h) % 256
			if (x/9+y/7)%5 == 0 {
				v = 255 - v
			}
			n := r.IntN(30)
			img.SetNRGBA(x, y, color.NRGBA{uint8(v), uint8((v + n) % 256), uint8(255 - v), 255})
		}
	}
	return img
}

// maxDiff is the largest difference of any channel between two images,
// and the mean absolute difference.
func diff(t *testing.T, a, b *image.NRGBA) (int, float64) {
	t.Helper()
	if a.Bounds().Size() != b.Bounds().Size() {
		t.Fatalf("sizes %v and %v", a.Bounds(), b.Bounds())
	}
	worst, sum, n := 0, 0, 0
	for y := range a.Bounds().Dy() {
		ra := a.Pix[y*a.Stride : y*a.Stride+4*a.Bounds().Dx()]
		rb := b.Pix[y*b.Stride : y*b.Stride+4*b.Bounds().Dx()]
		for i := range ra {
			d := int(ra[i]) - int(rb[i])
			worst = max(worst, d, -d)
			sum += max(d, -d)
			n++
		}
	}
	return worst, float64(sum) / float64(max(n, 1))
}

// TestMatchesImaging holds the fixed-point passes to imaging's float ones,
// for the filters and shapes the scanner uses and some awkward ones: each
// pass rounds to 8 bits, so two passes may land 2 levels apart, but hardly
// ever more than one.
func TestMatchesImaging(t *testing.T) {
	cases := []struct {
		name   string
		sw, sh int
		sub    image.Rectangle // a sub-image of the source, or empty
		w, h   int
		filter imaging.ResampleFilter
		viaFit bool
	}{
		{"thumbnail 500x375 fit 320", 500, 375, image.Rectangle{}, 320, 320, imaging.CatmullRom, true},
		{"portrait thumbnail 375x500", 375, 500, image.Rectangle{}, 320, 320, imaging.CatmullRom, true},
		{"model input: centre of 500x375 to 224", 500, 375, image.Rect(62, 0, 437, 375), 224, 224, imaging.Linear, false},
		{"shrink to shorter side 336", 1024, 768, image.Rectangle{}, 0, 336, imaging.Linear, false},
		{"width only", 640, 480, image.Rectangle{}, 333, 480, imaging.Lanczos, false},
		{"height only", 640, 480, image.Rectangle{}, 640, 101, imaging.Box, false},
		{"enlarge", 50, 40, image.Rectangle{}, 123, 97, imaging.CatmullRom, false},
		{"to one pixel", 300, 200, image.Rectangle{}, 1, 1, imaging.Linear, false},
		{"offset sub-image", 400, 400, image.Rect(13, 29, 301, 377), 97, 101, imaging.Lanczos, false},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var src image.Image = photo(c.sw, c.sh, uint64(i))
			if !c.sub.Empty() {
				src = src.(*image.NRGBA).SubImage(c.sub)
			}
			var got, want *image.NRGBA
			if c.viaFit {
				got, want = Fit(src, c.w, c.h, c.filter), imaging.Fit(src, c.w, c.h, c.filter)
			} else {
				got, want = Resize(src, c.w, c.h, c.filter), imaging.Resize(src, c.w, c.h, c.filter)
			}
			if worst, mean := diff(t, got, want); worst > 2 || mean > 0.05 {
				t.Fatalf("differs from imaging by up to %d levels, %.3f on average", worst, mean)
			}
		})
	}
}

// TestNonOpaqueGoesToImaging: alpha needs imaging's premultiplied path,
// and other image types its conversions; both must come out as imaging's.
func TestNonOpaqueGoesToImaging(t *testing.T) {
	see := photo(120, 90, 9)
	see.Pix[3] = 10 // one translucent pixel
	grey := image.NewGray(image.Rect(0, 0, 120, 90))
	for i := range grey.Pix {
		grey.Pix[i] = uint8(i * 7)
	}
	for name, img := range map[string]image.Image{"translucent": see, "grey": grey} {
		if d, _ := diff(t, Resize(img, 50, 0, imaging.CatmullRom), imaging.Resize(img, 50, 0, imaging.CatmullRom)); d != 0 {
			t.Errorf("%s: differs from imaging by %d", name, d)
		}
	}
	if got := Resize(see, 0, 0, imaging.Linear); !got.Bounds().Empty() {
		t.Errorf("0x0 gave %v", got.Bounds())
	}
}

func BenchmarkThumbnail(b *testing.B) {
	src := photo(500, 375, 1)
	b.Run("resample", func(b *testing.B) {
		for b.Loop() {
			Fit(src, 320, 320, imaging.CatmullRom)
		}
	})
	b.Run("imaging", func(b *testing.B) {
		for b.Loop() {
			imaging.Fit(src, 320, 320, imaging.CatmullRom)
		}
	})
}

// TestOpaqueMatchesGo: the C check agrees with image.(*NRGBA).Opaque for
// a translucent pixel anywhere (the 4-pixel steps and the row tails),
// outside a sub-image, and for every width up to 9.
func TestOpaqueMatchesGo(t *testing.T) {
	for w := 1; w <= 9; w++ {
		for _, at := range []int{-1, 0, w - 1, w / 2, 2*w + 1} { // -1: none
			img := photo(w, 3, uint64(w))
			if at >= 0 && at < 3*w {
				img.Pix[4*(at%w)+(at/w)*img.Stride+3] = 254
			}
			if got, want := opaque(img), img.Opaque(); got != want {
				t.Errorf("width %d, translucent pixel %d: opaque %v, Go says %v", w, at, got, want)
			}
		}
	}
	img := photo(10, 10, 1)
	img.SetNRGBA(9, 9, color.NRGBA{1, 2, 3, 0})
	sub := img.SubImage(image.Rect(2, 2, 9, 9)).(*image.NRGBA)
	if !opaque(sub) || opaque(img) {
		t.Errorf("sub-image: %v (want true), whole: %v (want false)", opaque(sub), opaque(img))
	}
}
