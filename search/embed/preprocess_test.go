package embed

import (
	"image"
	"image/color"
	"image/draw"
	"math"
	"testing"
)

// solid returns a w×h NRGBA image of one colour.
func solid(w, h int, c color.NRGBA) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), &image.Uniform{c}, image.Point{}, draw.Src)
	return img
}

// planeValues checks that every value of each of the three planes is want[c].
func planeValues(t *testing.T, got []float32, side int, want [3]float32) {
	t.Helper()
	plane := side * side
	if len(got) != 3*plane {
		t.Fatalf("len = %d, want %d", len(got), 3*plane)
	}
	for c := range 3 {
		for i, v := range got[c*plane : (c+1)*plane] {
			if math.Abs(float64(v-want[c])) > 1e-4 {
				t.Fatalf("channel %d pixel %d = %v, want %v", c, i, v, want[c])
			}
		}
	}
}

func TestPreprocessNormalisation(t *testing.T) {
	squeeze, _ := Builtin("squeezenet")
	resnet, _ := Builtin("resnet50")
	px := color.NRGBA{R: 10, G: 20, B: 30, A: 255}
	tests := []struct {
		name string
		spec Spec
		want [3]float32
	}{
		{"squeezenet BGR minus mean", squeeze, [3]float32{30 - 104, 20 - 117, 10 - 124}},
		{"resnet RGB mean/std on 0..1", resnet, [3]float32{
			(10.0/255 - 0.485) / 0.229, (20.0/255 - 0.456) / 0.224, (30.0/255 - 0.406) / 0.225}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, size := range [][2]int{{300, 200}, {224, 224}, {100, 150}} {
				planeValues(t, Preprocess(solid(size[0], size[1], px), tt.spec, nil), tt.spec.Size, tt.want)
			}
		})
	}
}

// TestPreprocessCentreCrop checks that only the centre square of a wide or
// tall photo is kept, whatever the image type.
func TestPreprocessCentreCrop(t *testing.T) {
	s, _ := Builtin("squeezenet")
	s.Mean = [3]float32{}
	red := color.NRGBA{R: 255, A: 255}
	green := color.NRGBA{G: 255, A: 255}
	// Three equal bands: the centre square of a 3:1 image is the green band.
	wide := solid(900, 300, red)
	draw.Draw(wide, image.Rect(300, 0, 600, 300), &image.Uniform{green}, image.Point{}, draw.Src)
	tall := solid(300, 900, red)
	draw.Draw(tall, image.Rect(0, 300, 300, 600), &image.Uniform{green}, image.Point{}, draw.Src)
	ycc := image.NewYCbCr(image.Rect(0, 0, 600, 200), image.YCbCrSubsampleRatio420)
	for i := range ycc.Y {
		ycc.Y[i] = 200
	}
	for i := range ycc.Cb {
		ycc.Cb[i], ycc.Cr[i] = 128, 128
	}
	gray := image.NewGray(image.Rect(5, 5, 405, 205)) // non-zero origin
	for i := range gray.Pix {
		gray.Pix[i] = 77
	}
	tests := []struct {
		name string
		img  image.Image
		want [3]float32 // B, G, R
	}{
		{"wide", wide, [3]float32{0, 255, 0}},
		{"tall", tall, [3]float32{0, 255, 0}},
		{"ycbcr", ycc, [3]float32{200, 200, 200}},
		{"gray offset origin", gray, [3]float32{77, 77, 77}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			planeValues(t, Preprocess(tt.img, s, nil), s.Size, tt.want)
		})
	}
}

func TestPreprocessReusesBuffer(t *testing.T) {
	s, _ := Builtin("squeezenet")
	buf := make([]float32, 0, 3*s.Size*s.Size+10)
	out := Preprocess(solid(50, 50, color.NRGBA{A: 255}), s, buf)
	if &out[0] != &buf[:1][0] {
		t.Error("a large enough buffer was not reused")
	}
	if out := Preprocess(image.NewNRGBA(image.Rect(0, 0, 0, 0)), s, nil); len(out) != 3*s.Size*s.Size {
		t.Errorf("empty image gives %d values", len(out))
	}
}

func BenchmarkPreprocess(b *testing.B) {
	s, _ := Builtin("squeezenet")
	img := image.NewYCbCr(image.Rect(0, 0, 1024, 768), image.YCbCrSubsampleRatio420)
	var buf []float32
	for b.Loop() {
		buf = Preprocess(img, s, buf)
	}
}
