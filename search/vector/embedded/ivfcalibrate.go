package embedded

import (
	"cmp"
	"math/rand"
	"runtime"
	"slices"
	"sync"
)

// How many lists a search probes is measured on the store's own records,
// not fixed as a share of the lists. The share a recall needs depends on
// the data: on clustered vectors at 100k×2048, 4 of 1264 lists already hold
// a query's whole top 10, while a flat 2% probe (25 lists) read six times
// as many vectors for nothing; on data whose neighbours straddle many
// lists, 2% was not enough (recall 0.96 at 1M×512). So after training, the
// index takes calibrateQueries of its records as queries (each excluding
// itself, as a fresh photo would not be in the store), finds their true
// neighbours among the calibrateRefFrac nearest lists, and notes for each
// neighbour the rank of the list holding it. The probe count for k results
// is then the smallest that recalls calibrateRecall of those neighbours,
// measured separately for the top 10 and the top 100 (the window asks for
// a few dozen).
//
// Measured (TestIVFFigures, before the sample grew to 512 and the bar
// fell to 0.997): 100k×2048 took 7 of 1264 lists for recall 1.000 on
// held-out queries; 1M×512 830 of 4006 for 0.999, several times the
// latency of the old 2% (recall 0.966). Its neighbours straddle lists: at
// 200k×512, 1.9% of records sit outside their nearest list (assignment
// searches assignCoarse coarse groups, not every centroid), and assigning
// them exactly halved the count (85 to 46 lists).
const (
	// calibrateQueries and calibrateRecall: the count rests on the tail
	// (a query from a cluster split across lists misses up to 10
	// neighbours at once), so 256 queries held to 0.999 (2 misses
	// allowed) swung from 4 to 74 lists between two draws of the bench's
	// 100k×2048 data; 512 held to 0.997 gave 10 lists, recall 0.999 on
	// 1000 fresh queries.
	calibrateQueries = 512
	calibrateRefFrac = exactAboveProbe // beyond it the exact scan answers
	calibrateRecall  = 0.997
	// calibrateMin keeps a floor under the measured count, for queries
	// unlike any record (the sample only has records as queries).
	calibrateMin = 2
)

// calibration is the measured probe count for the top 10 and the top 100.
type calibration struct {
	probe10, probe100 int
}

// forK returns the probe count for k results, interpolating between the
// two measured points.
func (c calibration) forK(k int) int {
	switch {
	case k <= 10:
		return c.probe10
	case k >= 100:
		return c.probe100
	}
	return c.probe10 + (c.probe100-c.probe10)*(k-10)/90
}

// calibrate measures the probe counts over the index's current lists. It
// reads x and v only (the caller holds wmu), on GOMAXPROCS goroutines.
func (v *ivf) calibrate(x *index) calibration {
	n, dim, nlist := x.len(), x.dim, v.nlist
	ref := max(1, int(calibrateRefFrac*float64(nlist)))
	rng := rand.New(rand.NewSource(kmeansSeed))
	queries := rng.Perm(n)[:min(n, calibrateQueries)]
	nq := len(queries)
	vec := func(s int) []float32 { return x.vecs[s*dim : (s+1)*dim : (s+1)*dim] }

	// rank[q*nlist+l] is the rank of list l by its centroid's score for
	// query q, or -1 beyond the ref nearest.
	rank := make([]int32, nq*nlist)
	parallel(nq, func(lo, hi int) {
		scores := make([]float32, nlist)
		order := make([]int32, nlist)
		for i := lo; i < hi; i++ {
			q := vec(queries[i])
			for l := range nlist {
				scores[l] = dot(q, v.cents[l*dim:(l+1)*dim])
				order[l] = int32(l)
			}
			slices.SortFunc(order, func(a, b int32) int {
				return cmp.Or(cmp.Compare(scores[b], scores[a]), cmp.Compare(a, b))
			})
			r := rank[i*nlist : (i+1)*nlist]
			for l := range r {
				r[l] = -1
			}
			for k, l := range order[:ref] {
				r[l] = int32(k)
			}
		}
	})

	// Each list's vectors are read once for every query that ranks it
	// within ref, rather than once per query: 256 passes over a quarter
	// of the vectors were memory-bound (7 of 50 CPU seconds building
	// 100k×2048). Worker w takes lists w, w+workers, …, so the result does
	// not depend on scheduling.
	workers := max(1, min(runtime.GOMAXPROCS(0), nlist))
	tops := make([][]rankedTop, workers)
	var wg sync.WaitGroup
	for w := range workers {
		tops[w] = make([]rankedTop, nq)
		for q := range tops[w] {
			tops[w][q].k = 100
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var qs []int
			for l := w; l < nlist; l += workers {
				qs = qs[:0]
				for q := range nq {
					if rank[q*nlist+l] >= 0 {
						qs = append(qs, q)
					}
				}
				if len(qs) == 0 {
					continue
				}
				for _, s := range v.lists[l] {
					u := vec(int(s))
					for _, q := range qs {
						if int(s) != queries[q] {
							tops[w][q].push(dot(vec(queries[q]), u), rank[q*nlist+l])
						}
					}
				}
			}
		}()
	}
	wg.Wait()

	// hist10[q][r] and hist100[q][r]: neighbours of query q found in the
	// list of rank r.
	hist10 := make([][]int, nq)
	hist100 := make([][]int, nq)
	for q := range nq {
		top := rankedTop{k: 100}
		for w := range workers {
			for _, e := range tops[w][q].h {
				top.push(e.score, e.rank)
			}
		}
		h10, h100 := make([]int, ref), make([]int, ref)
		for j, e := range top.sorted() {
			if j < 10 {
				h10[e.rank]++
			}
			h100[e.rank]++
		}
		hist10[q], hist100[q] = h10, h100
	}
	return calibration{probe10: probesFor(hist10, ref), probe100: probesFor(hist100, ref)}
}

// probesFor returns the smallest probe count whose lists hold
// calibrateRecall of the neighbours counted in hists (one per query, by
// list rank), at least calibrateMin.
func probesFor(hists [][]int, ref int) int {
	sum := make([]int, ref)
	total := 0
	for _, h := range hists {
		for r, c := range h {
			sum[r] += c
			total += c
		}
	}
	need := calibrateRecall * float64(total)
	got := 0
	for r, c := range sum {
		got += c
		if float64(got) >= need {
			return max(calibrateMin, r+1)
		}
	}
	return max(calibrateMin, ref)
}

// rankedTop keeps the k best scores with the rank of the list each came
// from. k is small, so a sorted slice with insertion beats a heap.
type rankedTop struct {
	k int
	h []rankedScore // best first
}

type rankedScore struct {
	score float32
	rank  int32
}

func (t *rankedTop) push(score float32, rank int32) {
	if len(t.h) == t.k && score <= t.h[len(t.h)-1].score {
		return
	}
	i, _ := slices.BinarySearchFunc(t.h, score, func(e rankedScore, s float32) int {
		if e.score >= s {
			return -1
		}
		return 1
	})
	if len(t.h) < t.k {
		t.h = append(t.h, rankedScore{})
	}
	copy(t.h[i+1:], t.h[i:len(t.h)-1])
	t.h[i] = rankedScore{score: score, rank: rank}
}

func (t *rankedTop) sorted() []rankedScore { return t.h }
