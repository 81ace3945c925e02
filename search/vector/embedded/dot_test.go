package embedded

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// dotLens covers empty, each tail length around the 8- and 32-float steps,
// and the store's dimensions (512, 2048) plus an odd one (1000).
var dotLens = []int{0, 1, 3, 7, 8, 9, 15, 16, 31, 32, 33, 63, 64, 512, 1000, 2048}

// refDot returns the float64 inner product and Σ|a_i b_i|, the scale of
// the float32 rounding error whatever the summation order.
func refDot(a, b []float32) (dot, mag float64) {
	for i := range a {
		p := float64(a[i]) * float64(b[i])
		dot += p
		mag += math.Abs(p)
	}
	return dot, mag
}

// dotTol is the allowed |got−want|: float32 accumulation over n terms in
// any order is within about n·ε·Σ|a_i b_i|; 4ε·√n-ish is typical, so
// n·ε/4 catches wrong lanes or dropped tails (errors of order one product)
// without flaking. The floor covers n = 0.
func dotTol(n int, mag float64) float64 {
	return max(float64(n)*0x1p-23/4, 2*0x1p-23)*mag + 1e-30
}

func randF32(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

// kernels are the implementations dot may select on this machine.
func kernels() []struct {
	name string
	f    func(a, b []float32) float32
} {
	ks := []struct {
		name string
		f    func(a, b []float32) float32
	}{{"gonum", dotGonum}, {"dot", dot}}
	if avx2Kernel != nil {
		ks = append(ks, struct {
			name string
			f    func(a, b []float32) float32
		}{"avx2", avx2Kernel})
	}
	return ks
}

func TestDot(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	for _, k := range kernels() {
		for _, n := range dotLens {
			// Offsets 0..3 make sub-slices start off a 16- and 32-byte
			// boundary; the extra floats after b's end must not be read
			// into the result.
			for _, off := range []int{0, 1, 3} {
				t.Run(fmt.Sprintf("%s/n=%d/off=%d", k.name, n, off), func(t *testing.T) {
					a := randF32(r, n+off+5)[off : off+n]
					bb := randF32(r, n+off+5)
					for i := off + n; i < len(bb); i++ {
						bb[i] = 1e30 // poison: a read past len(a) shows
					}
					b := bb[off:]
					want, mag := refDot(a, b[:n])
					got := k.f(a, b)
					if d := math.Abs(float64(got) - want); d > dotTol(n, mag) || math.IsNaN(float64(got)) {
						t.Fatalf("got %v want %v (|diff| %g > tol %g)", got, want, d, dotTol(n, mag))
					}
				})
			}
		}
	}
}

// TestDotExact checks lane placement with integers, whose products and sums
// are exact in float32: any dropped, doubled or misplaced element changes
// the result.
func TestDotExact(t *testing.T) {
	for _, k := range kernels() {
		for _, n := range dotLens {
			a, b := make([]float32, n), make([]float32, n)
			var want float32
			for i := range a {
				a[i], b[i] = float32(i%13+1), float32(i%7+1)
				want += a[i] * b[i]
			}
			if got := k.f(a, b); got != want {
				t.Errorf("%s n=%d: got %v want %v", k.name, n, got, want)
			}
		}
	}
}

// TestDotKernelsAgree checks the selected kernel against gonum's on the
// store's shape (unit vectors) to within rounding.
func TestDotKernelsAgree(t *testing.T) {
	if avx2Kernel == nil {
		t.Skip("no AVX2+FMA kernel on this CPU")
	}
	r := rand.New(rand.NewSource(8))
	for _, n := range dotLens {
		for range 20 {
			a, b := randF32(r, n), randF32(r, n)
			_, mag := refDot(a, b)
			g, x := dotGonum(a, b), avx2Kernel(a, b)
			if d := math.Abs(float64(g - x)); d > 2*dotTol(n, mag) {
				t.Fatalf("n=%d: gonum %v avx2 %v (|diff| %g)", n, g, x, d)
			}
		}
	}
}

func TestDot4(t *testing.T) {
	r := rand.New(rand.NewSource(9))
	impls := []struct {
		name string
		f    func(q, v []float32, out *[4]float32)
	}{{"gonum", dot4Gonum}, {"dot4", dot4}}
	for _, im := range impls {
		for _, n := range dotLens {
			for _, off := range []int{0, 1} {
				q := randF32(r, n+off)[off:]
				vv := randF32(r, 4*n+off+3)
				for i := off + 4*n; i < len(vv); i++ {
					vv[i] = 1e30
				}
				v := vv[off:]
				var out [4]float32
				im.f(q, v, &out)
				for j := range out {
					want, mag := refDot(q, v[j*n:(j+1)*n])
					if d := math.Abs(float64(out[j]) - want); d > dotTol(n, mag) || math.IsNaN(float64(out[j])) {
						t.Fatalf("%s n=%d off=%d vector %d: got %v want %v (|diff| %g)", im.name, n, off, j, out[j], want, d)
					}
				}
			}
		}
	}
}

func TestDot4ShortPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("dot4 with len(v) < 4·len(q) did not panic")
		}
	}()
	var out [4]float32
	dot4(make([]float32, 8), make([]float32, 31), &out)
}
