// Package signature computes a photo's content signature during the scan,
// from the upright image the scan has already decoded: perceptual hashes
// that survive re-encoding, resizing, format conversion and light edits,
// the aspect ratio, and a sharpness measure for choosing which copy to
// keep. Duplicate detection compares signatures without reading photos.
package signature

import (
	"image"
	"image/color"
	"math"
	"math/bits"
	"sort"
)

// Version changes whenever Compute's output would change for the same
// image; stored signatures of another version are recomputed.
const Version = 2

// CentreCrops are the fractions of each side kept by the centre-crop
// hashes: a copy cropped by about 5% or 10% per side has a whole-picture
// hash close to one of them.
var CentreCrops = [2]float64{0.90, 0.80}

// Signature describes what a picture looks like, independent of its
// encoding and resolution.
type Signature struct {
	// PHash is the 64-bit DCT hash of the whole upright picture.
	PHash uint64
	// Centre are the DCT hashes of the centred crops in CentreCrops.
	Centre [2]uint64
	// Fine is a 256-bit DCT hash of the whole picture at four times the
	// detail: re-encodes, resizes and exposure edits keep it, while
	// another frame of a burst (the camera moved a little, a fish swam)
	// changes it even when PHash does not.
	Fine [4]uint64
	// Aspect is width / height of the upright picture.
	Aspect float32
	// Sharpness is the variance of the Laplacian of the grey picture scaled
	// down to SharpnessSide pixels on its shorter side, so copies of
	// different resolutions compare on the same footing (smaller pictures
	// are measured as they are: upscaling would invent edges).
	Sharpness float32
}

// SharpnessSide is the shorter side the sharpness is measured at.
const SharpnessSide = 256

const hashSide = 32 // the grey image the DCT runs on

// Compute returns the signature of an upright image. Images of any size
// work, down to one pixel.
func Compute(img image.Image) Signature {
	g := toGrey(img)
	var s Signature
	if g.w == 0 || g.h == 0 {
		return s
	}
	s.Aspect = float32(g.w) / float32(g.h)
	s.PHash = g.dctHash(0, 0, float64(g.w), float64(g.h), coarse)[0]
	for i, f := range CentreCrops {
		cw, ch := float64(g.w)*f, float64(g.h)*f
		s.Centre[i] = g.dctHash((float64(g.w)-cw)/2, (float64(g.h)-ch)/2, cw, ch, coarse)[0]
	}
	copy(s.Fine[:], g.dctHash(0, 0, float64(g.w), float64(g.h), fine))
	s.Sharpness = float32(g.sharpness())
	return s
}

// Distance is the number of differing bits of two hashes (0..64).
func Distance(a, b uint64) int { return bits.OnesCount64(a ^ b) }

// FineDistance is the number of differing bits of two Fine hashes
// (0..256), or -1 when either is missing.
func FineDistance(a, b Signature) int {
	if a.Fine == ([4]uint64{}) || b.Fine == ([4]uint64{}) {
		return -1
	}
	n := 0
	for i := range a.Fine {
		n += bits.OnesCount64(a.Fine[i] ^ b.Fine[i])
	}
	return n
}

// CropDistance is the smallest distance between the whole-picture hash of
// one signature and the whole or centre-crop hashes of the other, in
// either direction, and whether a centre-crop hash gave it (so one is
// probably a crop of the other).
func CropDistance(a, b Signature) (int, bool) {
	best, crop := Distance(a.PHash, b.PHash), false
	for _, c := range a.Centre {
		if d := Distance(c, b.PHash); d < best {
			best, crop = d, true
		}
	}
	for _, c := range b.Centre {
		if d := Distance(a.PHash, c); d < best {
			best, crop = d, true
		}
	}
	return best, crop
}

// grey is a luma image in [0, 255].
type grey struct {
	w, h int
	pix  []float32
}

func toGrey(img image.Image) grey {
	b := img.Bounds()
	g := grey{w: b.Dx(), h: b.Dy()}
	if g.w <= 0 || g.h <= 0 {
		return grey{}
	}
	g.pix = make([]float32, g.w*g.h)
	switch m := img.(type) {
	case *image.YCbCr:
		for y := 0; y < g.h; y++ {
			row := m.Y[(y+b.Min.Y-m.Rect.Min.Y)*m.YStride+(b.Min.X-m.Rect.Min.X):]
			for x := 0; x < g.w; x++ {
				g.pix[y*g.w+x] = float32(row[x])
			}
		}
	case *image.Gray:
		for y := 0; y < g.h; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < g.w; x++ {
				g.pix[y*g.w+x] = float32(row[x])
			}
		}
	case *image.NRGBA:
		for y := 0; y < g.h; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < g.w; x++ {
				p := row[4*x : 4*x+4]
				a := float32(p[3]) / 255 // composite on black, as RGBA does
				g.pix[y*g.w+x] = a * luma(float32(p[0]), float32(p[1]), float32(p[2]))
			}
		}
	case *image.RGBA:
		for y := 0; y < g.h; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < g.w; x++ {
				p := row[4*x : 4*x+4]
				g.pix[y*g.w+x] = luma(float32(p[0]), float32(p[1]), float32(p[2]))
			}
		}
	default:
		for y := 0; y < g.h; y++ {
			for x := 0; x < g.w; x++ {
				c := color.RGBA64Model.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.RGBA64)
				g.pix[y*g.w+x] = luma(float32(c.R>>8), float32(c.G>>8), float32(c.B>>8))
			}
		}
	}
	return g
}

// luma is the JFIF (BT.601) luma, the same as a JPEG's Y plane.
func luma(r, g, b float32) float32 { return 0.299*r + 0.587*g + 0.114*b }

// resample averages the source rectangle (x0, y0, w, h) into an n×m grid:
// each cell takes the mean of the pixels whose centres fall inside it, or
// the pixel under its centre when none does (upscaling).
func (g grey) resample(x0, y0, w, h float64, n, m int) []float64 {
	out := make([]float64, n*m)
	xs := make([][2]int, n) // the columns of each cell, the same on every row
	for i := range xs {
		xs[i][0], xs[i][1] = cellRange(x0+w*float64(i)/float64(n), x0+w*float64(i+1)/float64(n), g.w)
	}
	for j := 0; j < m; j++ {
		py0, py1 := cellRange(y0+h*float64(j)/float64(m), y0+h*float64(j+1)/float64(m), g.h)
		for i, xr := range xs {
			var sum float32
			for y := py0; y < py1; y++ {
				for _, v := range g.pix[y*g.w+xr[0] : y*g.w+xr[1]] {
					sum += v
				}
			}
			out[j*n+i] = float64(sum) / float64((py1-py0)*(xr[1]-xr[0]))
		}
	}
	return out
}

// cellRange returns the pixels [p0, p1) whose centres lie in [a, b), at
// least one, clamped to [0, size).
func cellRange(a, b float64, size int) (int, int) {
	p0 := int(math.Ceil(a - 0.5))
	p1 := int(math.Ceil(b - 0.5))
	if p1 <= p0 {
		p0 = int(math.Floor((a + b) / 2))
		p1 = p0 + 1
	}
	p0 = min(max(p0, 0), size-1)
	p1 = min(max(p1, p0+1), size)
	return p0, p1
}

// dctSpec describes one DCT hash: the grey grid's side, and the
// lowest-frequency coefficients after DC, in order of u+v (the picture's
// structure from coarse to finer), one bit each.
type dctSpec struct {
	side  int
	freq  int // frequencies per axis the coefficients come from
	basis [][]float64
	coefs [][2]int
}

func newDCTSpec(side, freq, nbits int) dctSpec {
	d := dctSpec{side: side, freq: freq}
	// basis[k][n] = cos(pi*(2n+1)*k / 2N)
	d.basis = make([][]float64, freq)
	for k := range d.basis {
		d.basis[k] = make([]float64, side)
		for n := 0; n < side; n++ {
			d.basis[k][n] = math.Cos(math.Pi * float64(2*n+1) * float64(k) / float64(2*side))
		}
	}
	for s := 1; len(d.coefs) < nbits; s++ {
		for u := 0; u <= s && len(d.coefs) < nbits; u++ {
			if v := s - u; u < freq && v < freq {
				d.coefs = append(d.coefs, [2]int{u, v})
			}
		}
	}
	return d
}

var (
	// coarse: 32×32 grey, 64 bits from a 9×9 block (8×8 has only 63
	// terms besides DC).
	coarse = newDCTSpec(hashSide, 9, 64)
	// fine: 64×64 grey, 256 bits from a 17×17 block.
	fine = newDCTSpec(2*hashSide, 17, 256)
)

// dctHash hashes the rectangle: area-averaged grey grid, 2-D DCT, one bit
// per chosen coefficient above their median.
func (g grey) dctHash(x0, y0, w, h float64, d dctSpec) []uint64 {
	n, f := d.side, d.freq
	px := g.resample(x0, y0, w, h, n, n)
	// Rows first: tmp[y][u] = sum_x px[y][x] * basis[u][x].
	tmp := make([]float64, n*f)
	for y := 0; y < n; y++ {
		row := px[y*n : (y+1)*n]
		for u := 0; u < f; u++ {
			var s float64
			for x, v := range row {
				s += v * d.basis[u][x]
			}
			tmp[y*f+u] = s
		}
	}
	coef := make([]float64, f*f) // [v*f+u]
	for v := 0; v < f; v++ {
		for u := 0; u < f; u++ {
			var s float64
			for y := 0; y < n; y++ {
				s += tmp[y*f+u] * d.basis[v][y]
			}
			coef[v*f+u] = s
		}
	}
	vals := make([]float64, len(d.coefs))
	for i, c := range d.coefs {
		vals[i] = coef[c[1]*f+c[0]]
	}
	sorted := append([]float64(nil), vals...)
	sort.Float64s(sorted)
	median := (sorted[len(sorted)/2-1] + sorted[len(sorted)/2]) / 2
	out := make([]uint64, (len(vals)+63)/64)
	for i, v := range vals {
		if v > median {
			out[i/64] |= 1 << uint(i%64)
		}
	}
	return out
}

// sharpness is the variance of the 4-neighbour Laplacian at SharpnessSide.
func (g grey) sharpness() float64 {
	short := min(g.w, g.h)
	scale := min(float64(SharpnessSide)/float64(short), 1)
	w := max(int(math.Round(float64(g.w)*scale)), 3)
	h := max(int(math.Round(float64(g.h)*scale)), 3)
	px := g.resample(0, 0, float64(g.w), float64(g.h), w, h)
	var sum, sum2 float64
	n := 0
	for y := 1; y < h-1; y++ {
		for x := 1; x < w-1; x++ {
			i := y*w + x
			l := px[i-1] + px[i+1] + px[i-w] + px[i+w] - 4*px[i]
			sum += l
			sum2 += l * l
			n++
		}
	}
	mean := sum / float64(n)
	return sum2/float64(n) - mean*mean
}
