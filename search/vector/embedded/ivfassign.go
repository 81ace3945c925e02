package embedded

import (
	"math"

	"github.com/simili/simili/search/internal/matmul"
)

// Records go to the list of their nearest centroid among all of them. The
// two-level training used to make assignment cheap as well: a record
// sought its list in the 8 coarse groups nearest it, (1+8)·√nlist
// products instead of nlist. But where a coarse centroid averages hundreds
// of unrelated clusters (1M×512 clustered data: 20,000 clusters, 63
// groups), its score is near the noise and a cluster's records scattered
// over lists: 4.3% of the neighbours of held-out queries sat outside their
// nearest list, and the calibrated probe read 255 of 3998 lists for recall
// 0.9985. Assigned exactly, 114 lists held the same share.
//
// Exact assignment is N·nlist products, the bulk of a training (1M×512:
// 2·10¹² multiply-adds), so it runs as a matrix product: the centroids are
// packed sixteen at a time dimension-major (panels), a block of records
// that fits the L2 cache is copied together, and a 6×16 micro-kernel
// (package matmul) scores six records against one panel at a time, each
// panel read from memory once per block. It replaced blocks of 64 records
// scored four centroids at a time (dot4): at 100k×2048 that reached 15
// GMAC/s a core, its four 8 KB centroids and the 512 KB block thrashing
// the L1 and L2 caches.

// assignAll returns the nearest list of each slot in slots, on GOMAXPROCS
// goroutines. It only reads x, so the caller needs wmu, not mu.
func (v *ivf) assignAll(x *index, slots []int32) []int32 {
	out := make([]int32, len(slots))
	dim, nl := v.dim, v.nlist
	if len(slots) == 0 || nl == 0 {
		return out
	}
	panels := matmul.Pack(v.cents, dim, nl)
	block := matmul.BlockRows(dim)
	blocks := (len(slots) + block - 1) / block
	parallel(blocks, func(lo, hi int) {
		recs := make([]float32, block*dim)
		best := make([]float32, block)
		var scores [96]float32
		for b := lo; b < hi; b++ {
			first := b * block
			m := min(block, len(slots)-first)
			for r := range m {
				s := int(slots[first+r])
				copy(recs[r*dim:(r+1)*dim], x.vecs[s*dim:(s+1)*dim])
			}
			rows := (m + 5) / 6 * 6
			clear(recs[m*dim : rows*dim]) // padding rows, never read back
			at := out[first : first+m]
			for r := range m {
				best[r] = float32(math.Inf(-1))
			}
			for p := 0; p*16 < nl; p++ {
				panel := panels[p*16*dim : (p+1)*16*dim]
				cols := min(16, nl-p*16)
				for r0 := 0; r0 < m; r0 += 6 {
					matmul.Kernel6x16(recs[r0*dim:], dim, panel, dim, &scores)
					for r := r0; r < min(m, r0+6); r++ {
						row := scores[(r-r0)*16 : (r-r0)*16+cols]
						for j, sc := range row {
							if sc > best[r] {
								best[r], at[r] = sc, int32(p*16+j)
							}
						}
					}
				}
			}
		}
	})
	return out
}
