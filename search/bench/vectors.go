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
	data, _ := ClusteredData(n, 0, dim, seed)
	return data
}

// ClusteredData returns n vectors and q queries around the same centres:
// exactly ClusteredVectors(n+q) split in two, without holding both
// (a query slice of the n+q array would keep all of it alive: 2 GB at
// 1M × 512).
func ClusteredData(n, q, dim int, seed int64) (data, queries []float32) {
	rng := rand.New(rand.NewSource(seed))
	k := max(10, n/50)
	centres := make([]float32, k*dim)
	for i := range centres {
		centres[i] = float32(rng.NormFloat64())
	}
	data, queries = make([]float32, n*dim), make([]float32, q*dim)
	for i := 0; i < n+q; i++ {
		c := centres[rng.Intn(k)*dim:]
		var v []float32
		if i < n {
			v = data[i*dim : (i+1)*dim]
		} else {
			v = queries[(i-n)*dim : (i-n+1)*dim]
		}
		for j := range v {
			v[j] = c[j] + float32(rng.NormFloat64()*0.6)
		}
		normalise(v)
	}
	return data, queries
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

// dot is the benchmark's own kernel: ground truth must not come from the
// code under measurement.
func dot(a, b []float32) float32 {
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return s0 + s1 + s2 + s3
}
