package embedded

import (
	"cmp"
	"math"
	"slices"
)

// A fixed probe count pays for the hardest queries on every query. Where
// a query's cluster sits whole in one list, its best centroid stands out
// and one or two lists hold its neighbours; where the cluster is split
// across lists that each hold a little of it, no centroid stands out and
// the neighbours are spread over dozens of lists whose scores crowd the
// best one. So a search reads, of its probe count's best lists, only those
// whose centroid scores at least s1 − slack·s1, s1 the best list's score:
// few lists where one stands out, up to the count where none does. The
// slack is measured with the count (calibrate): the smallest that keeps
// calibrateRecall of the sampled neighbours within reach.
//
// Measured on 1M×512 clustered vectors (3998 lists, 400 held-out queries,
// every list ranked, probe_gap analysis 2026-12-03): recall 0.997 took a
// fixed 85 lists, or a slack of 0.47 with the same cap, which read 11.9
// lists on average (p50 2, p90 39, p99 85). A slack in absolute score
// (s1 − d) did worse: 16.5 lists on average, p99 316 without the cap.

// probe says which lists a search reads: of the `lists` whose centroids
// score highest, those within slack·s1 of the best score s1 (all of them
// when slack < 0), their count then multiplied by widen (a filter's
// filterWiden/sel) up to `lists`.
type probe struct {
	lists int
	slack float32
	widen float64
}

// trim returns, of best (the probe's lists with their scores, in any
// order), the ones p reads, best first. It reorders best.
func (p probe) trim(best []cand) []cand {
	if p.slack < 0 || len(best) <= calibrateMin {
		return best
	}
	slices.SortFunc(best, func(a, b cand) int { return cmp.Or(cmp.Compare(b.score, a.score), cmp.Compare(a.id, b.id)) })
	s1 := best[0].score
	if s1 <= 0 {
		return best // no centroid is near: read the whole count
	}
	cut := s1 - p.slack*s1
	n := calibrateMin
	for n < len(best) && best[n].score >= cut {
		n++
	}
	if p.widen > 1 {
		n = int(math.Min(float64(len(best)), math.Ceil(float64(n)*p.widen)))
	}
	return best[:n]
}

// reached is what calibrate knows of each sampled query's lists: order[q*
// ref:] its ref nearest lists best first with their scores, grank the
// rank of each coarse group, and ng the coarse groups a search ranks lists
// in (those of lower rank).
type reached struct {
	order   []int32
	score   []float32
	grank   []int32
	groupOf []int32
	ref, nc int
	ng      int
}

// slackFor returns the smallest slack with which a search capped at probes
// lists reaches calibrateRecall of the neighbours found[q] (the list of
// each), and math.MaxFloat32 (read the whole count) if none does.
func (r reached) slackFor(found [][]int32, probes int) float32 {
	inf := float32(math.Inf(1))
	var gaps []float32
	type seen struct {
		rank  int
		score float32
	}
	at := make(map[int32]seen, probes)
	for q, lists := range found {
		clear(at)
		rank := 0
		var s1 float32
		for j, l := range r.order[q*r.ref : (q+1)*r.ref] {
			if rank == probes {
				break
			}
			if r.grank[q*r.nc+int(r.groupOf[l])] < int32(r.ng) {
				if rank == 0 {
					s1 = r.score[q*r.ref+j]
				}
				at[l] = seen{rank, r.score[q*r.ref+j]}
				rank++
			}
		}
		for _, l := range lists {
			e, ok := at[l]
			switch {
			case !ok:
				gaps = append(gaps, inf) // beyond the cap: no slack reaches it
			case e.rank < calibrateMin || s1 <= 0:
				gaps = append(gaps, 0) // read whatever the slack
			default:
				gaps = append(gaps, (s1-e.score)/s1)
			}
		}
	}
	if len(gaps) == 0 {
		return 0
	}
	slices.Sort(gaps)
	g := gaps[max(0, int(math.Ceil(calibrateRecall*float64(len(gaps))))-1)]
	if math.IsInf(float64(g), 1) {
		return math.MaxFloat32
	}
	return g
}
