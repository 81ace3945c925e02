package cluster

import (
	"context"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
)

// partition splits items into parts small enough for the exact method,
// by spherical k-means (cosine), and returns index lists into items. A
// single part is returned when items already fit.
func partition(ctx context.Context, items []Item, opt Options) [][]int {
	n := len(items)
	if n <= opt.MaxExact {
		all := make([]int, n)
		for i := range all {
			all[i] = i
		}
		return [][]int{all}
	}
	k := (2*n + opt.MaxExact - 1) / opt.MaxExact
	assign := sphericalKMeans(ctx, items, k, 12, opt.Seed)
	parts := make([][]int, k)
	for i, c := range assign {
		parts[c] = append(parts[c], i)
	}
	var out [][]int
	for _, p := range parts {
		if len(p) == 0 {
			continue
		}
		if len(p) == n { // k-means could not split (e.g. identical vectors)
			for lo := 0; lo < n; lo += opt.MaxExact {
				out = append(out, p[lo:min(lo+opt.MaxExact, n)])
			}
			continue
		}
		if len(p) > opt.MaxExact { // an oversized cell: split it again
			sub := make([]Item, len(p))
			for i, idx := range p {
				sub[i] = items[idx]
			}
			o := opt
			o.Seed++
			for _, q := range partition(ctx, sub, o) {
				mapped := make([]int, len(q))
				for i, idx := range q {
					mapped[i] = p[idx]
				}
				out = append(out, mapped)
			}
			continue
		}
		out = append(out, p)
	}
	return out
}

// sphericalKMeans returns each item's cell. Centres start with k-means++
// from a seeded generator, so the result is reproducible.
func sphericalKMeans(ctx context.Context, items []Item, k, iters int, seed uint64) []int {
	n, d := len(items), len(items[0].Vec)
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	centres := make([][]float32, 0, k)
	centres = append(centres, clone(items[rng.IntN(n)].Vec))
	far := make([]float64, n) // distance to the nearest chosen centre
	for i := range far {
		far[i] = math.Inf(1)
	}
	for len(centres) < k {
		last := centres[len(centres)-1]
		var total float64
		for i, it := range items {
			dist := 1 - float64(dot(it.Vec, last))
			if dist < 0 {
				dist = 0
			}
			far[i] = min(far[i], dist*dist)
			total += far[i]
		}
		pick := rng.Float64() * total
		idx := n - 1
		for i, f := range far {
			if pick -= f; pick <= 0 {
				idx = i
				break
			}
		}
		centres = append(centres, clone(items[idx].Vec))
	}
	assign := make([]int, n)
	for it := 0; it < iters && ctx.Err() == nil; it++ {
		changed := assignAll(items, centres, assign)
		sums := make([][]float32, k)
		for c := range sums {
			sums[c] = make([]float32, d)
		}
		for i, c := range assign {
			for j, v := range items[i].Vec {
				sums[c][j] += v
			}
		}
		for c := range centres {
			if normalise(sums[c]) {
				centres[c] = sums[c]
			}
		}
		if changed == 0 && it > 0 {
			break
		}
	}
	return assign
}

// assignAll puts every item in its most similar centre, over all CPUs, and
// returns how many items moved.
func assignAll(items []Item, centres [][]float32, assign []int) int {
	workers := runtime.GOMAXPROCS(0)
	chunk := (len(items) + workers - 1) / workers
	moved := make([]int, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		lo, hi := w*chunk, min((w+1)*chunk, len(items))
		if lo >= hi {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				best, bestSim := 0, float32(-2)
				for c, ctr := range centres {
					if s := dot(items[i].Vec, ctr); s > bestSim {
						best, bestSim = c, s
					}
				}
				if assign[i] != best {
					assign[i] = best
					moved[w]++
				}
			}
		}()
	}
	wg.Wait()
	total := 0
	for _, m := range moved {
		total += m
	}
	return total
}

func clone(v []float32) []float32 { return append([]float32(nil), v...) }

// normalise scales v to unit length; false when v is zero.
func normalise(v []float32) bool {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 {
		return false
	}
	inv := float32(1 / math.Sqrt(s))
	for i := range v {
		v[i] *= inv
	}
	return true
}
