package embedded

import "math"

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
// Exact assignment is N·nlist products, so it runs blocked: a block of
// assignBlock records is copied together (128 KB at 512-d, within the L2
// cache) and each group of four centroids, read once into L1, is scored
// against every record of the block with the four-wide kernel, so the
// centroids stream from memory once per block rather than once per record.

// assignBlock is how many records share one pass over the centroids.
const assignBlock = 64

// assignAll returns the nearest list of each slot in slots, on GOMAXPROCS
// goroutines. It only reads x, so the caller needs wmu, not mu.
func (v *ivf) assignAll(x *index, slots []int32) []int32 {
	out := make([]int32, len(slots))
	dim, nl := v.dim, v.nlist
	blocks := (len(slots) + assignBlock - 1) / assignBlock
	parallel(blocks, func(lo, hi int) {
		recs := make([]float32, assignBlock*dim)
		best := make([]float32, assignBlock)
		var four [4]float32
		for b := lo; b < hi; b++ {
			first := b * assignBlock
			m := min(assignBlock, len(slots)-first)
			for r := range m {
				s := int(slots[first+r])
				copy(recs[r*dim:(r+1)*dim], x.vecs[s*dim:(s+1)*dim])
			}
			at := out[first : first+m]
			for r := range m {
				best[r] = float32(math.Inf(-1))
			}
			c := 0
			for ; c+4 <= nl; c += 4 {
				cents := v.cents[c*dim : (c+4)*dim]
				for r := range m {
					dot4(recs[r*dim:(r+1)*dim], cents, &four)
					for j, sc := range four {
						if sc > best[r] {
							best[r], at[r] = sc, int32(c+j)
						}
					}
				}
			}
			for ; c < nl; c++ {
				cent := v.cents[c*dim : (c+1)*dim]
				for r := range m {
					if sc := dot(recs[r*dim:(r+1)*dim], cent); sc > best[r] {
						best[r], at[r] = sc, int32(c)
					}
				}
			}
		}
	})
	return out
}
