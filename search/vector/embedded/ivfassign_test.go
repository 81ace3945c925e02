package embedded

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/simili/simili/search/internal/floatref"
	"github.com/simili/simili/search/internal/matmul"
)

// TestAssignAllIsExact checks the blocked assignment against the nearest
// centroid found one product at a time, for list counts that are and are
// not a multiple of the sixteen-wide panel and slot counts around the
// six-record kernel and the block.
func TestAssignAllIsExact(t *testing.T) {
	s, _ := openIVF(t, t.TempDir(), 30_000)
	defer s.Close()
	x, trained := s.idx, s.idx.ivf
	dim := x.dim
	block := matmul.BlockRows(dim)
	for _, nlist := range []int{1, 7, 16, 17, trained.nlist} {
		for _, n := range []int{1, 5, 6, 7, block - 1, block, 3*block + 5, x.len()} {
			t.Run(fmt.Sprintf("lists=%d/slots=%d", nlist, n), func(t *testing.T) {
				v := &ivf{dim: dim, nlist: nlist, cents: trained.cents[:nlist*dim]}
				slots := make([]int32, n)
				for i := range slots {
					slots[i] = int32((i * 7919) % x.len())
				}
				got := v.assignAll(x, slots)
				for i, sl := range slots {
					u := x.vecs[int(sl)*dim : int(sl+1)*dim]
					best, bs := 0, dot(u, v.cents[:dim])
					for c := 1; c < nlist; c++ {
						if sc := dot(u, v.cents[c*dim:(c+1)*dim]); sc > bs {
							best, bs = c, sc
						}
					}
					if int(got[i]) != best {
						// The kernel sums in another order: accept only a tie.
						if d := dot(u, v.cents[int(got[i])*dim:int(got[i]+1)*dim]) - bs; d < -1e-6 {
							t.Fatalf("slot %d assigned list %d, nearest is %d (%.7f lower)", sl, got[i], best, -d)
						}
					}
				}
			})
		}
	}
}

// BenchmarkAssign compares the matrix-product assignment with the loop it
// replaced (blocks of 64 records, four centroids a call), on one core, in
// multiply-adds per second.
func BenchmarkAssign(b *testing.B) {
	for _, sz := range []struct{ n, nlist, dim int }{{3000, 1264, 2048}, {6000, 4000, 512}} {
		r := rand.New(rand.NewSource(1))
		x := &index{dim: sz.dim, vecs: floatref.Normals(r, sz.n*sz.dim)}
		v := &ivf{dim: sz.dim, nlist: sz.nlist, cents: floatref.Normals(r, sz.nlist*sz.dim)}
		slots := make([]int32, sz.n)
		for i := range slots {
			slots[i] = int32(i)
		}
		macs := float64(sz.n * sz.nlist * sz.dim)
		b.Run(fmt.Sprintf("%dx%d/panels", sz.nlist, sz.dim), func(b *testing.B) {
			for b.Loop() {
				v.assignAll(x, slots)
			}
			b.ReportMetric(macs*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
		})
		b.Run(fmt.Sprintf("%dx%d/dot4", sz.nlist, sz.dim), func(b *testing.B) {
			for b.Loop() {
				assignDot4(x, v, slots)
			}
			b.ReportMetric(macs*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
		})
	}
}

// assignDot4 is the assignment loop before the panels, kept as the
// benchmark's baseline.
func assignDot4(x *index, v *ivf, slots []int32) []int32 {
	const block = 64
	out := make([]int32, len(slots))
	dim, nl := v.dim, v.nlist
	recs := make([]float32, block*dim)
	best := make([]float32, block)
	var four [4]float32
	for first := 0; first < len(slots); first += block {
		m := min(block, len(slots)-first)
		for r := range m {
			s := int(slots[first+r])
			copy(recs[r*dim:(r+1)*dim], x.vecs[s*dim:(s+1)*dim])
		}
		at := out[first : first+m]
		for r := range m {
			best[r] = float32(math.Inf(-1))
		}
		for c := 0; c+4 <= nl; c += 4 {
			for r := range m {
				dot4(recs[r*dim:(r+1)*dim], v.cents[c*dim:(c+4)*dim], &four)
				for j, sc := range four {
					if sc > best[r] {
						best[r], at[r] = sc, int32(c+j)
					}
				}
			}
		}
	}
	return out
}
