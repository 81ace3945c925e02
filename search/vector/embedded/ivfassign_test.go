package embedded

import (
	"fmt"
	"testing"
)

// TestAssignAllIsExact checks the blocked assignment against the nearest
// centroid found one product at a time, for list counts that are and are
// not a multiple of the four-wide kernel and slot counts around the block.
func TestAssignAllIsExact(t *testing.T) {
	s, _ := openIVF(t, t.TempDir(), 30_000)
	defer s.Close()
	x, trained := s.idx, s.idx.ivf
	dim := x.dim
	for _, nlist := range []int{1, 7, 8, trained.nlist} {
		for _, n := range []int{1, assignBlock - 1, assignBlock, 3*assignBlock + 5, x.len()} {
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
						// dot4 sums in another order: accept only a tie.
						if d := dot(u, v.cents[int(got[i])*dim:int(got[i]+1)*dim]) - bs; d < -1e-6 {
							t.Fatalf("slot %d assigned list %d, nearest is %d (%.7f lower)", sl, got[i], best, -d)
						}
					}
				}
			})
		}
	}
}
