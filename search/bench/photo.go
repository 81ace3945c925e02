package bench

import (
	"image"
	"math"
	"math/rand"
)

// SyntheticPhoto draws a w×h picture with the statistics of a real photo
// rather than a flat colour (which JPEG compresses to nothing and decodes
// unrealistically fast): a sky gradient, a textured ground with a horizon,
// hard-edged shapes, fine detail and sensor-like noise. The same seed gives
// the same picture.
func SyntheticPhoto(w, h int, seed int64) *image.NRGBA {
	rng := rand.New(rand.NewSource(seed))
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	horizon := h/3 + rng.Intn(h/3)
	skyTop := [3]float64{40 + rng.Float64()*60, 90 + rng.Float64()*60, 170 + rng.Float64()*60}
	skyLow := [3]float64{180 + rng.Float64()*60, 190 + rng.Float64()*50, 200 + rng.Float64()*50}
	ground := [3]float64{50 + rng.Float64()*80, 70 + rng.Float64()*80, 30 + rng.Float64()*50}
	fx, fy := 0.002+rng.Float64()*0.01, 0.003+rng.Float64()*0.01
	type disc struct {
		x, y, r float64
		c       [3]float64
	}
	discs := make([]disc, 12+rng.Intn(12))
	for i := range discs {
		discs[i] = disc{rng.Float64() * float64(w), rng.Float64() * float64(h), float64(h) * (0.02 + rng.Float64()*0.12),
			[3]float64{rng.Float64() * 255, rng.Float64() * 255, rng.Float64() * 255}}
	}
	noise := rand.New(rand.NewSource(seed ^ 0x5eed))
	for y := 0; y < h; y++ {
		row := img.Pix[y*img.Stride : y*img.Stride+4*w]
		for x := 0; x < w; x++ {
			var c [3]float64
			if y < horizon {
				t := float64(y) / float64(horizon)
				for k := range c {
					c[k] = skyTop[k]*(1-t) + skyLow[k]*t
				}
			} else {
				tex := 30 * math.Sin(float64(x)*fx*7+math.Sin(float64(y)*fy*5)*3) * math.Cos(float64(y)*fy*11)
				grain := 25 * math.Sin(float64(x)*0.31+float64(y)*0.17) * math.Sin(float64(x)*0.07-float64(y)*0.23)
				for k := range c {
					c[k] = ground[k] + tex + grain
				}
			}
			for _, d := range discs {
				dx, dy := float64(x)-d.x, float64(y)-d.y
				if dx*dx+dy*dy < d.r*d.r {
					c = d.c
					c[0] += 20 * math.Sin(dx*0.05)
					c[1] += 20 * math.Cos(dy*0.05)
				}
			}
			n := noise.NormFloat64() * 6
			row[4*x] = clamp(c[0] + n)
			row[4*x+1] = clamp(c[1] + n)
			row[4*x+2] = clamp(c[2] + n)
			row[4*x+3] = 255
		}
	}
	return img
}

func clamp(v float64) uint8 {
	switch {
	case v < 0:
		return 0
	case v > 255:
		return 255
	}
	return uint8(v)
}
