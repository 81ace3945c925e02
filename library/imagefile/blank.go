package imagefile

import (
	"errors"
	"fmt"
	"image"
	"math"
)

// ErrBlank reports a picture that decoded without an error to one nearly
// uniform colour. Some decoders "succeed" on files they do not really
// understand (libheif 1.15 turns the Galaxy S24 FE HEIC of the format
// fixtures into a plain grey field); a thumbnail and an embedding of that
// would be meaningless, and every such picture would be the nearest
// neighbour of every other.
var ErrBlank = errors.New("picture decoded to a nearly uniform colour")

// blankStdDev is the per-channel standard deviation, in 8-bit levels,
// below which a picture counts as blank. Measured on grids of 64×64
// samples: that grey Galaxy S24 FE decode 8.2, a flat grey test JPEG 0, a
// dark 49×500 web banner 5.5; the 261 holidays photos at least 18.1 and the
// camera photos among the EXIF fixtures at least 22 (all decoded with
// DecodeScaled to a 336-pixel side).
// A real photo of a featureless surface (a plain wall, an overcast sky
// filling the frame) can fall below it too; it would be equally useless
// for finding look-alikes.
const blankStdDev = 12.0

// blankGrid is the number of samples per side of the grid CheckBlank reads.
const blankGrid = 64

// CheckBlank returns an error wrapping ErrBlank when img is nearly uniform:
// the standard deviation of every channel over a grid of samples is below
// blankStdDev levels in 255.
func CheckBlank(img image.Image) error {
	b := img.Bounds()
	if b.Dx() <= 0 || b.Dy() <= 0 {
		return fmt.Errorf("empty picture %v: %w", b, ErrBlank)
	}
	if worst := deviation(img); worst < blankStdDev {
		return fmt.Errorf("%dx%d picture, largest channel deviation %.2f < %.0f levels of 255: %w", b.Dx(), b.Dy(), worst, blankStdDev, ErrBlank)
	}
	return nil
}

// deviation is the largest per-channel standard deviation, in 8-bit
// levels, over a grid of samples of a non-empty img.
func deviation(img image.Image) float64 {
	b := img.Bounds()
	nx, ny := min(blankGrid, b.Dx()), min(blankGrid, b.Dy())
	var sum, sq [3]float64
	for j := 0; j < ny; j++ {
		y := b.Min.Y + (2*j+1)*b.Dy()/(2*ny)
		for i := 0; i < nx; i++ {
			x := b.Min.X + (2*i+1)*b.Dx()/(2*nx)
			r, g, bl, _ := img.At(x, y).RGBA()
			for c, v := range [3]uint32{r, g, bl} {
				f := float64(v) / 257
				sum[c] += f
				sq[c] += f * f
			}
		}
	}
	n := float64(nx * ny)
	worst := 0.0
	for c := range sum {
		mean := sum[c] / n
		worst = max(worst, math.Sqrt(max(0, sq[c]/n-mean*mean)))
	}
	return worst
}
