package bench

import (
	"math"
	"math/rand"
)

// ClusteredVectors returns n unit vectors of dim drawn around n/50 random
// centres (at least 10) with gaussian spread, the way photo embeddings
// bunch by scene, rather than uniform noise (on which every index looks
// either perfect or hopeless). Stored flat: vector i is v[i*dim:(i+1)*dim].
func ClusteredVectors(n, dim int, seed int64) []float32 {
	g := newClusterGen(n, dim, seed)
	out := make([]float32, n*dim)
	for i := 0; i < n; i++ {
		g.next(out[i*dim : (i+1)*dim])
	}
	return out
}

// clusterGen draws unit vectors around max(10, n/50) gaussian centres,
// one at a time, so a benchmark need not hold them all.
type clusterGen struct {
	rng     *rand.Rand
	centres []float32
	k, dim  int
}

func newClusterGen(n, dim int, seed int64) *clusterGen {
	rng := rand.New(rand.NewSource(seed))
	k := max(10, n/50)
	centres := make([]float32, k*dim)
	for i := range centres {
		centres[i] = float32(rng.NormFloat64())
	}
	return &clusterGen{rng: rng, centres: centres, k: k, dim: dim}
}

// next fills v (dim values) with the next vector.
func (g *clusterGen) next(v []float32) {
	c := g.centres[g.rng.Intn(g.k)*g.dim:]
	for j := range v {
		v[j] = c[j] + float32(g.rng.NormFloat64()*0.6)
	}
	normalise(v)
}

func normalise(v []float32) {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	inv := float32(1 / math.Sqrt(s+1e-30))
	for i := range v {
		v[i] *= inv
	}
}
