package embedded

import (
	"math"
	"slices"
	"testing"
)

func TestProbeTrim(t *testing.T) {
	scores := []float32{0.49, 1.0, 0.1, 0.6, 0.9, 0.5} // ids 0..5
	best := func(sc []float32) []cand {
		c := make([]cand, len(sc))
		for i, s := range sc {
			c[i] = cand{score: s, id: int64(i)}
		}
		return c
	}
	tests := []struct {
		name   string
		scores []float32
		p      probe
		want   []int64
	}{
		{"no slack reads every list", scores, probe{lists: 6, slack: -1, widen: 1}, []int64{0, 1, 2, 3, 4, 5}},
		{"zero slack reads calibrateMin", scores, probe{lists: 6, slack: 0, widen: 1}, []int64{1, 4}},
		{"half the best score", scores, probe{lists: 6, slack: 0.5, widen: 1}, []int64{1, 4, 3, 5}},
		{"widened for a filter", scores, probe{lists: 6, slack: 0.5, widen: 1.25}, []int64{1, 4, 3, 5, 0}},
		{"widened past the count", scores, probe{lists: 6, slack: 0.5, widen: 4}, []int64{1, 4, 3, 5, 0, 2}},
		{"the largest slack reads the count", scores, probe{lists: 6, slack: math.MaxFloat32, widen: 1}, []int64{1, 4, 3, 5, 0, 2}},
		{"no centroid near", []float32{-0.1, -0.3, -0.2}, probe{lists: 3, slack: 0, widen: 1}, []int64{0, 2, 1}},
		{"fewer lists than calibrateMin", []float32{0.3}, probe{lists: 1, slack: 0, widen: 1}, []int64{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []int64
			for _, c := range tt.p.trim(best(tt.scores)) {
				got = append(got, c.id)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("trim = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSlackFor(t *testing.T) {
	// One coarse group ranked first holds lists 0–3, a second lists 4–5;
	// a search ranks lists in the first only (ng 1). Every query ranks
	// lists 0, 4, 1, 2, 3, 5 with these scores.
	order := []int32{0, 4, 1, 2, 3, 5}
	score := []float32{1.0, 0.95, 0.8, 0.6, 0.3, 0.2}
	groupOf := []int32{0, 0, 0, 0, 1, 1}
	// sample builds queries whose neighbours sit in the given lists; with
	// s1 ≤ 0 every query's best list scores -0.5.
	sample := func(lists []int32, negative bool) reached {
		r := reached{groupOf: groupOf, ref: len(order), nc: 2, ng: 1}
		for range lists {
			r.order = append(r.order, order...)
			sc := score
			if negative {
				sc = []float32{-0.5, -0.6, -0.7, -0.8, -0.9, -1}
			}
			r.score = append(r.score, sc...)
			r.grank = append(r.grank, 0, 1)
		}
		return r
	}
	// each returns n queries with one neighbour each, in list l.
	each := func(n int, l int32) []int32 { return slices.Repeat([]int32{l}, n) }
	tests := []struct {
		name   string
		lists  []int32 // one query per entry, its one neighbour's list
		neg    bool
		probes int
		want   float32
	}{
		{"within calibrateMin ranks", each(10, 1), false, 4, 0},
		{"third reachable list", slices.Concat(each(5, 0), each(5, 2)), false, 4, 0.4},
		{"fourth reachable list", each(10, 3), false, 4, 0.7},
		{"beyond the cap", each(10, 3), false, 3, math.MaxFloat32},
		{"outside the ranked groups", each(10, 4), false, 4, math.MaxFloat32},
		{"a few misses allowed", slices.Concat(each(997, 2), each(3, 3)), false, 4, 0.4},
		{"one miss too many", slices.Concat(each(996, 2), each(4, 3)), false, 4, 0.7},
		{"no centroid near", each(10, 3), true, 4, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			found := make([][]int32, len(tt.lists))
			for q, l := range tt.lists {
				found[q] = []int32{l}
			}
			got := sample(tt.lists, tt.neg).slackFor(found, tt.probes)
			if math.Abs(float64(got-tt.want)) > 1e-6 {
				t.Errorf("slackFor = %v, want %v", got, tt.want)
			}
		})
	}
}
