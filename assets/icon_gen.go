//go:build ignore

// icon_gen draws assets/icon.png: two overlapping photo frames on a calm
// blue tile. Run: go run assets/icon_gen.go
package main

import (
	"image"
	"image/color"
	"image/png"
	"log"
	"math"
	"os"
)

func main() {
	const n = 256
	img := image.NewNRGBA(image.Rect(0, 0, n, n))
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			if !inRounded(x, y, n, 48) {
				continue
			}
			t := float64(x+y) / float64(2*n)
			c := color.NRGBA{uint8(40 + 30*t), uint8(90 + 60*t), uint8(170 + 50*t), 255}
			// two frames, offset: the photo and its look-alike
			if frame(x, y, 52, 60, 120, 96) || frame(x, y, 92, 100, 120, 96) {
				c = color.NRGBA{250, 250, 245, 255}
			}
			if inside(x, y, 60, 68, 104, 80) {
				c = color.NRGBA{255, 196, 92, 255}
			}
			if inside(x, y, 100, 108, 104, 80) {
				c = color.NRGBA{255, 170, 70, 235}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	f, err := os.Create("assets/icon.png")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		log.Fatal(err)
	}
}

func inRounded(x, y, n, r int) bool {
	cx := math.Max(float64(r), math.Min(float64(x), float64(n-r)))
	cy := math.Max(float64(r), math.Min(float64(y), float64(n-r)))
	return math.Hypot(float64(x)-cx, float64(y)-cy) <= float64(r)
}

func inside(x, y, x0, y0, w, h int) bool { return x >= x0 && x < x0+w && y >= y0 && y < y0+h }

func frame(x, y, x0, y0, w, h int) bool {
	return inside(x, y, x0, y0, w, h) && !inside(x, y, x0+8, y0+8, w-16, h-16)
}
