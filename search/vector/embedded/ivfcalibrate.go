package embedded

import (
	"cmp"
	"math/rand"
	"runtime"
	"slices"
	"sync"

	"github.com/simili/simili/search/internal/matmul"
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
// neighbour the list holding it. A search ranks only the fine lists of the
// query's nearest coarse groups (scoring every fine centroid read 10 MB per
// query at 100k×2048, as much as the probed lists), so calibration first
// picks the fewest groups that hold calibrateGroupRecall of the neighbours,
// then ranks each query's lists within those groups. The probe count for k
// results is the smallest that recalls calibrateRecall of the neighbours,
// both measured separately for the top 10 and the top 100 (the window asks
// for a few dozen).
//
// Measured (TestIVFFigures, 2026-12-02, an AVX-512 Xeon, 200 held-out
// queries), ranking every list → ranking within the calibrated groups:
// 100k×2048 p50 0.66 → 0.36 ms (8 of 36 groups, 2 probes, recall 1.000);
// 200k×512 1.06 ms at recall 0.9895 (21 probes) → 0.40 ms at 0.998 (17 of
// 42 groups, 11 probes, with samplePerList 40); 1M×512 25 ms → 8.9 ms at
// 0.9985 (38 of 63 groups, 255 of 3998 lists).
//
// Measured (TestIVFFigures, before the sample grew to 512 and the bar
// fell to 0.997): 100k×2048 took 7 of 1264 lists for recall 1.000 on
// held-out queries; 1M×512 830 of 4006 for 0.999, several times the
// latency of the old 2% (recall 0.966). Its neighbours straddled lists:
// at 200k×512, 1.9% of records sat outside their nearest list (assignment
// then searched 8 coarse groups, not every centroid), and assigning them
// exactly halved the count (85 to 46 lists); records are now assigned
// exactly (ivfassign.go): 1M×512 went from 255 to 108 lists.
const (
	// calibrateQueries and calibrateRecall: the count rests on the tail
	// (a query from a cluster split across lists misses up to 10
	// neighbours at once), so 256 queries held to 0.999 (2 misses
	// allowed) swung from 4 to 74 lists between two draws of the bench's
	// 100k×2048 data; 512 held to 0.997 gave 10 lists, recall 0.999 on
	// 1000 fresh queries. At 1M×512 512 queries still swung between 107
	// and 172 lists across trainings of one distribution; 2048 gave 137
	// where 512 gave 172 on the same index (the probe's cap, which the
	// hardest queries read: probeslack.go). Scoring the lists by the
	// matrix-product kernel keeps it affordable: 15.0 s for 2048, 3.9 s
	// for 512, both with FAISS building an index beside them.
	calibrateQueries = 2048
	calibrateRefFrac = exactAboveProbe // beyond it the exact scan answers
	calibrateRecall  = 0.997
	// calibrateMin keeps a floor under the measured count, for queries
	// unlike any record (the sample only has records as queries).
	calibrateMin = 2

	// calibrateGroupRecall of the neighbours must lie in the coarse groups
	// a search ranks lists in (a third of what calibrateRecall forgives),
	// and at least calibrateMinGroups groups are ranked.
	calibrateGroupRecall = 1 - (1-calibrateRecall)/3
	calibrateMinGroups   = 8
)

// calibration is the measured probe and coarse group counts for the top
// 10 and the top 100, and the record count they were measured at. Zero
// groups means every list is ranked.
//
// The probe count is a cap: of its lists a search reads only those whose
// centroid scores within slack·s1 of the best one's s1 (probeslack.go).
// Zero slack reads the whole count, as before slack was measured.
type calibration struct {
	probe10, probe100   int
	groups10, groups100 int
	slack10, slack100   float32
	at                  int
}

// recalibrateAt is the record count at which a calibration measured at
// `at` records is measured again. Records absorbed into the lists since
// training crowd them, and the counts go stale: 1M×512 filled through
// Upsert, calibrated at 702k records and queried at 1M, probed 117 lists
// for recall 0.993, where a calibration at 1M asks for about 150.
func recalibrateAt(at int) int { return at + at/4 }

// forK returns the probe count for k results, interpolating between the
// two measured points.
func (c calibration) forK(k int) int { return interpolate(c.probe10, c.probe100, k) }

// slackForK is forK for the slack; between the two points it is
// interpolated as the counts are.
func (c calibration) slackForK(k int) float32 {
	switch {
	case k <= 10:
		return c.slack10
	case k >= 100:
		return c.slack100
	}
	return c.slack10 + (c.slack100-c.slack10)*float32(k-10)/90
}

// groupsForK is forK for the coarse group count.
func (c calibration) groupsForK(k int) int {
	if c.groups10 <= 0 || c.groups100 <= 0 {
		return 0
	}
	return interpolate(c.groups10, c.groups100, k)
}

func interpolate(at10, at100, k int) int {
	switch {
	case k <= 10:
		return at10
	case k >= 100:
		return at100
	}
	return at10 + (at100-at10)*(k-10)/90
}

// calibrate measures the probe and group counts over the index's current
// lists. It reads x and v only (the caller holds wmu), on GOMAXPROCS
// goroutines.
func (v *ivf) calibrate(x *index) calibration {
	n, dim, nlist, nc := x.len(), x.dim, v.nlist, len(v.groups)-1
	ref := max(1, int(calibrateRefFrac*float64(nlist)))
	rng := rand.New(rand.NewSource(kmeansSeed))
	queries := rng.Perm(n)[:min(n, calibrateQueries)]
	nq := len(queries)
	vec := func(s int) []float32 { return x.vecs[s*dim : (s+1)*dim : (s+1)*dim] }
	groupOf := make([]int32, nlist)
	for g := range nc {
		for l := v.groups[g]; l < v.groups[g+1]; l++ {
			groupOf[l] = int32(g)
		}
	}

	// order[q*ref:] lists query q's ref nearest lists, best first (the
	// reference: neighbours beyond them are not sought); grank[q*nc+g] is
	// the rank of coarse group g by its centroid's score for query q.
	order := make([]int32, nq*ref)
	oscore := make([]float32, nq*ref) // the scores of order's lists
	grank := make([]int32, nq*nc)
	parallel(nq, func(lo, hi int) {
		scores := make([]float32, max(nlist, nc))
		all := make([]int32, max(nlist, nc))
		byScore := func(a, b int32) int {
			return cmp.Or(cmp.Compare(scores[b], scores[a]), cmp.Compare(a, b))
		}
		for i := lo; i < hi; i++ {
			q := vec(queries[i])
			wq := quantize(q)
			for l := range nlist {
				scores[l] = v.listScore(q, &wq, l)
				all[l] = int32(l)
			}
			slices.SortFunc(all[:nlist], byScore)
			copy(order[i*ref:(i+1)*ref], all[:ref])
			for r, l := range all[:ref] {
				oscore[i*ref+r] = scores[l]
			}
			for g := range nc {
				scores[g] = -2 // empty groups rank last, as topGroups skips them
				if v.groups[g] != v.groups[g+1] {
					scores[g] = dot(q, v.coarse[g*dim:(g+1)*dim])
				}
				all[g] = int32(g)
			}
			slices.SortFunc(all[:nc], byScore)
			for r, g := range all[:nc] {
				grank[i*nc+int(g)] = int32(r)
			}
		}
	})

	// Each list's vectors are read once for every query that has it among
	// its ref nearest, rather than once per query: 256 passes over a
	// quarter of the vectors were memory-bound (7 of 50 CPU seconds
	// building 100k×2048). The list's records are packed into panels and
	// scored against its queries six at a time by the matrix-product
	// kernel (search/internal/matmul), four times the dot loop's rate.
	// Worker w takes lists w, w+workers, …, so the result does not depend
	// on scheduling.
	inRef := make([][]int32, nlist) // list → queries that have it in ref
	for q := range nq {
		for _, l := range order[q*ref : (q+1)*ref] {
			inRef[l] = append(inRef[l], int32(q))
		}
	}
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
			var panels, rows []float32
			var out [96]float32
			for l := w; l < nlist; l += workers {
				slots, qs := v.lists[l], inRef[l]
				if len(slots) == 0 || len(qs) == 0 {
					continue
				}
				panels = matmul.PackRows(panels, dim, len(slots), func(j int) []float32 { return vec(int(slots[j])) })
				// The queries as rows, padded with zero rows to a multiple of six.
				padded := (len(qs) + 5) / 6 * 6
				if cap(rows) < padded*dim {
					rows = make([]float32, padded*dim)
				}
				rows = rows[:padded*dim]
				for i, q := range qs {
					copy(rows[i*dim:(i+1)*dim], vec(queries[q]))
				}
				clear(rows[len(qs)*dim:])
				for r0 := 0; r0 < len(qs); r0 += 6 {
					for p := 0; p*matmul.PanelWidth < len(slots); p++ {
						matmul.Kernel6x16(rows[r0*dim:], dim, panels[p*matmul.PanelWidth*dim:(p+1)*matmul.PanelWidth*dim], dim, &out)
						for r := range min(6, len(qs)-r0) {
							q := qs[r0+r]
							top := &tops[w][q]
							for j := range min(matmul.PanelWidth, len(slots)-p*matmul.PanelWidth) {
								if s := int(slots[p*matmul.PanelWidth+j]); s != queries[q] {
									top.push(out[r*16+j], int32(l))
								}
							}
						}
					}
				}
			}
		}()
	}
	wg.Wait()

	// found10[q] and found100[q]: the lists holding query q's neighbours.
	found10 := make([][]int32, nq)
	found100 := make([][]int32, nq)
	for q := range nq {
		top := rankedTop{k: 100}
		for w := range workers {
			for _, e := range tops[w][q].h {
				top.push(e.score, e.list)
			}
		}
		for j, e := range top.sorted() {
			if j < 10 {
				found10[q] = append(found10[q], e.list)
			}
			found100[q] = append(found100[q], e.list)
		}
	}
	measure := func(found [][]int32) (probes, groups int, slack float32) {
		groups = groupsHolding(found, grank, groupOf, nc)
		probes = probesFor(listRanks(found, order, grank, groupOf, ref, nc, groups), ref)
		r := reached{order: order, score: oscore, grank: grank, groupOf: groupOf, ref: ref, nc: nc, ng: groups}
		return probes, groups, r.slackFor(found, probes)
	}
	c := calibration{at: n}
	c.probe10, c.groups10, c.slack10 = measure(found10)
	c.probe100, c.groups100, c.slack100 = measure(found100)
	return c
}

// groupsHolding returns the fewest coarse groups whose lists hold
// calibrateGroupRecall of the neighbours found[q] (by list) of every query
// q, at least calibrateMinGroups.
func groupsHolding(found [][]int32, grank, groupOf []int32, nc int) int {
	need := make([]int, nc) // neighbours in the group of each rank
	total := 0
	for q, lists := range found {
		for _, l := range lists {
			need[grank[q*nc+int(groupOf[l])]]++
			total++
		}
	}
	got := 0
	for r, c := range need {
		got += c
		if float64(got) >= calibrateGroupRecall*float64(total) {
			return min(nc, max(calibrateMinGroups, r+1))
		}
	}
	return nc
}

// listRanks returns, per query, how many of its neighbours found[q] sit in
// the list of each rank when a search ranks only the lists of its ng
// nearest coarse groups: entry ref counts those it cannot reach within
// ref probes.
func listRanks(found [][]int32, order, grank, groupOf []int32, ref, nc, ng int) [][]int {
	hists := make([][]int, len(found))
	at := make(map[int32]int, ref)
	for q, lists := range found {
		clear(at)
		r := 0
		for _, l := range order[q*ref : (q+1)*ref] {
			if grank[q*nc+int(groupOf[l])] < int32(ng) {
				at[l] = r
				r++
			}
		}
		h := make([]int, ref+1)
		for _, l := range lists {
			if r, ok := at[l]; ok {
				h[r]++
			} else {
				h[ref]++
			}
		}
		hists[q] = h
	}
	return hists
}

// probesFor returns the smallest probe count whose lists hold
// calibrateRecall of the neighbours counted in hists (one per query, by
// list rank, ranks from ref on unreachable), at least calibrateMin.
func probesFor(hists [][]int, ref int) int {
	sum := make([]int, ref)
	total := 0
	for _, h := range hists {
		for r, c := range h {
			if r < ref {
				sum[r] += c
			}
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

// rankedTop keeps the k best scores with the list each came from. k is
// small, so a sorted slice with insertion beats a heap.
type rankedTop struct {
	k int
	h []rankedScore // best first
}

type rankedScore struct {
	score float32
	list  int32
}

func (t *rankedTop) push(score float32, list int32) {
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
	t.h[i] = rankedScore{score: score, list: list}
}

func (t *rankedTop) sorted() []rankedScore { return t.h }
