package embedded

import (
	"math"
	"math/rand"
)

// Training the IVF centroids. k-means over nlist centroids costs
// sample·nlist dot products per iteration, so the centroids are trained
// two-level: sqrt(nlist) coarse centroids on a sample, then each coarse
// group's share of the sample is split into fine centroids. The records
// are then assigned exactly, each to its nearest fine centroid among all
// (ivfassign.go). Everything is seeded, so the same data gives the same
// index.
const (
	kmeansIters = 6
	// samplePerList training points per fine list: FAISS warns below 39.
	// At 200k×512 (4000 clusters of 50), 16 left clusters with a point or
	// two in the sample split across lists: recall@10 0.9895 with 21
	// probes; 40 gave 0.9985 with 11, for 18% more training time.
	samplePerList = 40
	kmeansSeed    = 1
)

// nlistFor is the list count for n records: 4·sqrt(n), so a list holds
// about sqrt(n)/4 records.
func nlistFor(n int) int {
	return max(16, int(4*math.Sqrt(float64(n))))
}

// trainIVF builds an index over every slot of x. It only reads x: the caller
// holds wmu so no writer changes x meanwhile, and searches go on.
func trainIVF(x *index) *ivf {
	n, dim := x.len(), x.dim
	want := nlistFor(n)
	rng := rand.New(rand.NewSource(kmeansSeed))
	sample := rng.Perm(n)[:min(n, want*samplePerList)]
	rows := make([]int32, len(sample))
	for i, s := range sample {
		rows[i] = int32(s)
	}

	nc := max(1, int(math.Sqrt(float64(want))+0.5))
	coarse, member := kmeans(x, rows, nc, rng)
	v := &ivf{dim: dim, coarse: coarse, groups: make([]int32, nc+1)}
	byGroup := make([][]int32, nc)
	for i, g := range member {
		byGroup[g] = append(byGroup[g], rows[i])
	}
	for g, m := range byGroup {
		fk := 0
		if len(m) > 0 {
			fk = min(len(m), max(1, int(float64(want)*float64(len(m))/float64(len(rows))+0.5)))
			cents, _ := kmeans(x, m, fk, rng)
			v.cents = append(v.cents, cents...)
		}
		v.groups[g+1] = v.groups[g] + int32(fk)
	}
	v.nlist = int(v.groups[nc])

	all := make([]int32, n)
	for i := range all {
		all[i] = int32(i)
	}
	v.encodeCentroids()
	v.fill(n, v.assignAll(x, all))
	v.built = n
	v.mean = meanOf(x) // the sign codes' origin; encodeIVF builds them
	return v
}

// fill sets up the lists for n slots, slot i in list of[i].
func (v *ivf) fill(n int, of []int32) {
	sizes := make([]int32, v.nlist+1)
	for _, l := range of {
		sizes[l]++
	}
	v.lists = make([][]int32, v.nlist+1)
	for l := range v.lists {
		v.lists[l] = make([]int32, 0, sizes[l])
	}
	v.of = make([]int32, n)
	v.pos = make([]int32, n)
	for s, l := range of {
		v.place(int32(s), l)
	}
	// Records out of slot order in their list count as moved: an index
	// loaded from a snapshot taken between layouts is laid out again.
	v.moved = 0
	for _, list := range v.lists[:v.nlist] {
		for p := 1; p < len(list); p++ {
			if list[p] != list[p-1]+1 {
				v.moved++
			}
		}
	}
}

// kmeans runs spherical k-means (unit centroids, dot-product similarity)
// over the slots rows, started from k distinct rows. It returns the k×dim
// centroids and each row's centroid.
func kmeans(x *index, rows []int32, k int, rng *rand.Rand) ([]float32, []int32) {
	dim := x.dim
	cents := make([]float32, k*dim)
	for c, i := range rng.Perm(len(rows))[:k] {
		copy(cents[c*dim:], x.vecs[int(rows[i])*dim:(int(rows[i])+1)*dim])
	}
	member := make([]int32, len(rows))
	sums := make([]float64, k*dim)
	counts := make([]int, k)
	for it := 0; it < kmeansIters; it++ {
		parallel(len(rows), func(lo, hi int) {
			for i := lo; i < hi; i++ {
				u := x.vecs[int(rows[i])*dim : (int(rows[i])+1)*dim]
				best, bs := 0, dot(u, cents[:dim])
				for c := 1; c < k; c++ {
					if s := dot(u, cents[c*dim:(c+1)*dim]); s > bs {
						best, bs = c, s
					}
				}
				member[i] = int32(best)
			}
		})
		if it == kmeansIters-1 {
			break // the last pass only assigns
		}
		clear(sums)
		clear(counts)
		for i, c := range member {
			counts[c]++
			sum := sums[int(c)*dim : (int(c)+1)*dim]
			for j, f := range x.vecs[int(rows[i])*dim : (int(rows[i])+1)*dim] {
				sum[j] += float64(f)
			}
		}
		for c := range k {
			if counts[c] == 0 {
				continue // an empty cluster keeps its centroid
			}
			sum := sums[c*dim : (c+1)*dim]
			var norm float64
			for _, f := range sum {
				norm += f * f
			}
			if norm == 0 {
				continue
			}
			inv := 1 / math.Sqrt(norm)
			for j, f := range sum {
				cents[c*dim+j] = float32(f * inv)
			}
		}
	}
	return cents, member
}
