package matmul

import (
	"math"
	"math/rand"
	"testing"

	"github.com/simili/simili/search/internal/floatref"
)

// The micro-kernel (AVX2 where the CPU has it, and the Go loop) against
// one float64 dot product per pair, for dimensions that do and do not fill
// a vector register, with rows further apart than their length.
func TestKernel6x16MatchesTheReference(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	for _, dim := range []int{1, 7, 8, 33, 512, 2048} {
		for _, stride := range []int{dim, dim + 5} {
			rows := floatref.Normals(r, 5*stride+dim)
			vecs := floatref.Normals(r, 16*dim)
			panel := Pack(vecs, dim, 16)
			for name, kernel := range map[string]func([]float32, int, []float32, int, *[96]float32){
				"selected": Kernel6x16, "go": kernel6x16Go,
			} {
				got := [96]float32{95: 42} // stale output must be overwritten
				kernel(rows, stride, panel, dim, &got)
				for i := range 6 {
					for j := range 16 {
						want, mag := floatref.Dot(rows[i*stride:i*stride+dim], vecs[j*dim:(j+1)*dim])
						if d := math.Abs(float64(got[i*16+j]) - want); d > floatref.Tol(dim, mag) {
							t.Fatalf("%s, dim %d stride %d: out[%d][%d] = %v, want %v", name, dim, stride, i, j, got[i*16+j], want)
						}
					}
				}
			}
		}
	}
}

// ABt against the reference for shapes around its blocking: row counts
// around the kernel's six and a block, column counts around a panel's
// sixteen, and a stale output that must be overwritten.
func TestABtMatchesTheReference(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	for _, tc := range []struct{ m, n, dim int }{
		{0, 5, 8},
		{3, 0, 8},
		{3, 4, 0},
		{1, 1, 1},
		{5, 15, 7},
		{6, 16, 8},
		{7, 17, 33},
		{BlockRows(64) + 1, 33, 64},
		{2*BlockRows(512) + 5, 40, 512},
		{13, 50, 2048},
	} {
		a := floatref.Normals(r, tc.m*tc.dim)
		b := floatref.Normals(r, tc.n*tc.dim)
		c := make([]float32, tc.m*tc.n)
		for i := range c {
			c[i] = 42
		}
		ABt(a, tc.m, b, tc.n, tc.dim, c)
		for i := range tc.m {
			for j := range tc.n {
				want, mag := floatref.Dot(a[i*tc.dim:(i+1)*tc.dim], b[j*tc.dim:(j+1)*tc.dim])
				if d := math.Abs(float64(c[i*tc.n+j]) - want); d > floatref.Tol(tc.dim, mag) {
					t.Fatalf("%d×%d×%d: c[%d][%d] = %v, want %v", tc.m, tc.n, tc.dim, i, j, c[i*tc.n+j], want)
				}
			}
		}
	}
}

// BenchmarkABt is the ground-truth product of the benchmark's 1M×512 row,
// one batch: 1000 queries against 2000 vectors.
func BenchmarkABt(b *testing.B) {
	r := rand.New(rand.NewSource(1))
	const m, n, dim = 1000, 2000, 512
	a, v, c := floatref.Normals(r, m*dim), floatref.Normals(r, n*dim), make([]float32, m*n)
	b.ResetTimer()
	for range b.N {
		ABt(a, m, v, n, dim, c)
	}
	b.ReportMetric(float64(m*n*dim)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
}

// PackRows into a reused, dirty buffer must equal Pack into a fresh one:
// the last panel's padding is zeroed again, whatever the buffer held.
func TestPackRowsReusesADirtyBuffer(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	buf := make([]float32, 0, 4*PanelWidth*40)
	for _, tc := range []struct{ n, dim int }{{1, 3}, {16, 8}, {17, 40}, {33, 5}, {0, 4}} {
		vecs := floatref.Normals(r, tc.n*tc.dim)
		want := Pack(vecs, tc.dim, tc.n)
		buf = buf[:cap(buf)]
		for i := range buf {
			buf[i] = 99 // stale
		}
		got := PackRows(buf, tc.dim, tc.n, func(j int) []float32 { return vecs[j*tc.dim:] })
		if len(got) != len(want) {
			t.Fatalf("n %d dim %d: %d floats, want %d", tc.n, tc.dim, len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("n %d dim %d: [%d] = %v, want %v", tc.n, tc.dim, i, got[i], want[i])
			}
		}
		if fresh := Pack(vecs, tc.dim, tc.n); tc.n%PanelWidth != 0 && fresh[len(fresh)-1] != 0 {
			t.Fatalf("n %d: Pack's padding not zero", tc.n)
		}
	}
}
