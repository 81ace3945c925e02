package embedded

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/simili/simili/search/internal/floatref"
)

// dotLens covers empty, each tail length around the 8- and 32-float steps,
// and the store's dimensions (512, 2048) plus an odd one (1000).
var dotLens = []int{0, 1, 3, 7, 8, 9, 15, 16, 31, 32, 33, 63, 64, 512, 1000, 2048}

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
					a := floatref.Normals(r, n+off+5)[off : off+n]
					bb := floatref.Normals(r, n+off+5)
					for i := off + n; i < len(bb); i++ {
						bb[i] = 1e30 // poison: a read past len(a) shows
					}
					b := bb[off:]
					want, mag := floatref.Dot(a, b[:n])
					got := k.f(a, b)
					if d := math.Abs(float64(got) - want); d > floatref.Tol(n, mag) || math.IsNaN(float64(got)) {
						t.Fatalf("got %v want %v (|diff| %g > tol %g)", got, want, d, floatref.Tol(n, mag))
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
			a, b := floatref.Normals(r, n), floatref.Normals(r, n)
			_, mag := floatref.Dot(a, b)
			g, x := dotGonum(a, b), avx2Kernel(a, b)
			if d := math.Abs(float64(g - x)); d > 2*floatref.Tol(n, mag) {
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
				q := floatref.Normals(r, n+off)[off:]
				vv := floatref.Normals(r, 4*n+off+3)
				for i := off + 4*n; i < len(vv); i++ {
					vv[i] = 1e30
				}
				v := vv[off:]
				var out [4]float32
				im.f(q, v, &out)
				for j := range out {
					want, mag := floatref.Dot(q, v[j*n:(j+1)*n])
					if d := math.Abs(float64(out[j]) - want); d > floatref.Tol(n, mag) || math.IsNaN(float64(out[j])) {
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
