package thumb

import (
	"image"
	"image/color"
	"image/draw"
	"testing"
)

// TestFlatten checks the opaque fast path gives exactly the pixels the
// composite on white gives, and that translucent pixels are still
// composited.
func TestFlatten(t *testing.T) {
	for _, tc := range []struct {
		name  string
		alpha uint8
	}{{"opaque", 255}, {"translucent", 128}, {"transparent", 0}} {
		t.Run(tc.name, func(t *testing.T) {
			img := image.NewNRGBA(image.Rect(0, 0, 7, 5))
			for y := 0; y < 5; y++ {
				for x := 0; x < 7; x++ {
					img.SetNRGBA(x, y, color.NRGBA{uint8(30 * x), uint8(40 * y), uint8(x * y), tc.alpha})
				}
			}
			want := image.NewRGBA(img.Bounds())
			draw.Draw(want, want.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
			draw.Draw(want, want.Bounds(), img, image.Point{}, draw.Over)
			got := flatten(img)
			for y := 0; y < 5; y++ {
				for x := 0; x < 7; x++ {
					if g, w := got.RGBAAt(x, y), want.RGBAAt(x, y); g != w {
						t.Fatalf("(%d,%d) = %v, want %v", x, y, g, w)
					}
				}
			}
		})
	}
}
