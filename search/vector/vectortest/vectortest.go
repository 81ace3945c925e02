// Package vectortest is the conformance suite every vector.Store
// implementation runs, so the embedded store and Milvus are interchangeable
// behind the vector.Store interface.
//
// Use it from a store's tests:
//
//	func TestConformance(t *testing.T) {
//		vectortest.Run(t, vectortest.Harness{Open: openForTest})
//	}
package vectortest

import (
	"fmt"
	"math"
	"sync"
	"testing"

	"github.com/simili/simili/library/facet"
	"github.com/simili/simili/search/vector"
)

// Harness tells the suite how to reach the store under test.
type Harness struct {
	// Open opens (or re-opens, after Close) the store bound to m at a
	// location that is stable for the whole test t (t.TempDir-based for
	// embedded; a per-test collection prefix for Milvus). The first Open in
	// a test must yield an empty store. Opening the same location with
	// another model is part of the suite.
	Open func(t *testing.T, m vector.Model) (vector.Store, error)
	// Approximate is true when the store's index may be approximate: ranking
	// checks then require recall >= MinRecall instead of the exact top-k.
	// Filter semantics are always checked exactly.
	Approximate bool
	// Parallel runs the cases concurrently. Safe when every test's Open
	// reaches its own location; it keeps a networked store's round trips
	// from adding up.
	Parallel bool
}

// MinRecall is the recall an approximate store must reach against the
// brute-force top-k.
const MinRecall = 0.9

// scoreTol is how far a reported score may be from the cosine computed in
// float32 by the test.
const scoreTol = 1e-4

// Run runs the conformance suite as sub-tests of t.
func Run(t *testing.T, h Harness) {
	if h.Open == nil {
		t.Fatal("vectortest: Harness.Open is nil")
	}
	s := &suite{h: h}
	tests := []struct {
		name string
		fn   func(t *testing.T)
	}{
		{"EmptyStore", s.testEmpty},
		{"TopK/dim16", func(t *testing.T) { s.testTopK(t, 16) }},
		{"TopK/dim64", func(t *testing.T) { s.testTopK(t, 64) }},
		{"KLargerThanCount", s.testKLarger},
		{"FilterSemantics", s.testFilterSemantics},
		{"FilterRanking", s.testFilterRanking},
		{"FilterLiteralStrings", s.testLiteralStrings},
		{"UpsertReplaces", s.testUpsertReplaces},
		{"Delete", s.testDelete},
		{"Count", s.testCount},
		{"Drop", s.testDrop},
		{"Persistence", s.testPersistence},
		{"WrongDimension", s.testWrongDimension},
		{"ModelMismatch", s.testModelMismatch},
		{"Concurrent", s.testConcurrent},
		{"IDs", s.testIDs},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if h.Parallel {
				t.Parallel()
			}
			tt.fn(t)
		})
	}
}

type suite struct{ h Harness }

// modelA and modelB are two embedding spaces that must never mix.
var (
	modelA = vector.Model{Name: "vectortest-a", Dim: 16}
	modelB = vector.Model{Name: "vectortest-b", Dim: 24}
)

// open opens the store and registers its Close; the returned func closes it
// early (for re-open tests) and is safe to call more than once.
func (s *suite) open(t *testing.T, m vector.Model) (vector.Store, func()) {
	t.Helper()
	st, err := s.h.Open(t, m)
	if err != nil {
		t.Fatalf("open %v: %v", m, err)
	}
	if got := st.Model(); got != m {
		t.Fatalf("Model() = %v, want %v", got, m)
	}
	return st, track(t, st)
}

// track registers st's Close with t and returns it as an idempotent func, so
// a test can close early (to re-open) without a double Close at cleanup.
func track(t *testing.T, st vector.Store) func() {
	var once sync.Once
	closeFn := func() {
		once.Do(func() {
			if err := st.Close(); err != nil {
				t.Errorf("close %v: %v", st.Model(), err)
			}
		})
	}
	t.Cleanup(closeFn)
	return closeFn
}

// upsert writes recs in batches of 100 and flushes so they are searchable.
func upsert(t *testing.T, st vector.Store, recs []vector.Record) {
	t.Helper()
	ctx := t.Context()
	for i := 0; i < len(recs); i += 100 {
		if err := st.Upsert(ctx, recs[i:min(i+100, len(recs))]); err != nil {
			t.Fatalf("upsert records %d..: %v", i, err)
		}
	}
	flush(t, st)
}

func flush(t *testing.T, st vector.Store) {
	t.Helper()
	if err := st.Flush(t.Context()); err != nil {
		t.Fatalf("flush: %v", err)
	}
}

func count(t *testing.T, st vector.Store) int {
	t.Helper()
	n, err := st.Count(t.Context())
	if err != nil {
		t.Fatalf("count: %v", err)
	}
	return n
}

func wantCount(t *testing.T, st vector.Store, want int) {
	t.Helper()
	if got := count(t, st); got != want {
		t.Fatalf("Count() = %d, want %d", got, want)
	}
}

func search(t *testing.T, st vector.Store, q []float32, k int, f facet.Filter) []vector.Hit {
	t.Helper()
	hits, err := st.Search(t.Context(), q, k, f, vector.SearchOptions{})
	if err != nil {
		t.Fatalf("search k=%d filter=%+v: %v", k, f, err)
	}
	return hits
}

// ranker compares store answers with the brute-force reference. Exact stores
// must return the reference top-k; approximate ones must reach MinRecall over
// all the queries of a test (see finish).
type ranker struct {
	t             *testing.T
	approx        bool
	found, wanted int
}

func (s *suite) newRanker(t *testing.T) *ranker {
	r := &ranker{t: t, approx: s.h.Approximate}
	t.Cleanup(r.finish)
	return r
}

// check asserts the invariants every store must keep (no duplicates, best
// first, at most k, only live records passing f, true scores) and then the
// ranking itself.
func (r *ranker) check(label string, got []vector.Hit, ref model, q []float32, k int, f facet.Filter) {
	t := r.t
	t.Helper()
	want := ref.top(q, k, f)
	if len(got) > k {
		t.Errorf("%s: %d hits for k=%d", label, len(got), k)
	}
	seen := map[int64]bool{}
	for i, h := range got {
		rec, ok := ref[h.ID]
		switch {
		case seen[h.ID]:
			t.Errorf("%s: hit %d: duplicate id %d", label, i, h.ID)
		case !ok:
			t.Errorf("%s: hit %d: id %d is not (or no longer) stored", label, i, h.ID)
		case !f.Match(rec.Meta):
			t.Errorf("%s: hit %d: id %d with %+v does not pass filter %+v", label, i, h.ID, rec.Meta, f)
		default:
			if d := dot(q, rec.Vector); math.Abs(float64(d-h.Score)) > scoreTol {
				t.Errorf("%s: hit %d: id %d score %.6f, want cosine %.6f", label, i, h.ID, h.Score, d)
			}
		}
		seen[h.ID] = true
		if i > 0 && h.Score > got[i-1].Score+1e-6 {
			t.Errorf("%s: hit %d (score %.6f) ranks below a worse hit (%.6f)", label, i, h.Score, got[i-1].Score)
		}
	}
	if r.approx {
		r.wanted += len(want)
		for _, w := range want {
			if seen[w.id] {
				r.found++
			}
		}
		return
	}
	if len(got) != len(want) {
		t.Errorf("%s: %d hits, want %d (filter %+v, k=%d)", label, len(got), len(want), f, k)
		return
	}
	// Compare by score position so exact ties may come in either order.
	for i := range want {
		if math.Abs(float64(got[i].Score-want[i].score)) > scoreTol {
			t.Errorf("%s: hit %d is id %d score %.6f, want id %d score %.6f", label, i, got[i].ID, got[i].Score, want[i].id, want[i].score)
			return
		}
	}
}

func (r *ranker) finish() {
	if !r.approx || r.wanted == 0 {
		return
	}
	if recall := float64(r.found) / float64(r.wanted); recall < MinRecall {
		r.t.Errorf("recall %.3f (%d of %d), want >= %.2f", recall, r.found, r.wanted, MinRecall)
	}
}

// idSet returns hit IDs as a set for filter-semantics comparisons.
func idSet(hits []vector.Hit) map[int64]bool {
	out := make(map[int64]bool, len(hits))
	for _, h := range hits {
		out[h.ID] = true
	}
	return out
}

func sameIDs(got []vector.Hit, want []int64) error {
	g := idSet(got)
	if len(g) != len(got) {
		return fmt.Errorf("duplicate ids in %v", got)
	}
	missing, extra := []int64{}, []int64{}
	w := map[int64]bool{}
	for _, id := range want {
		w[id] = true
		if !g[id] {
			missing = append(missing, id)
		}
	}
	for _, h := range got {
		if !w[h.ID] {
			extra = append(extra, h.ID)
		}
	}
	if len(missing)+len(extra) > 0 {
		return fmt.Errorf("missing ids %v, unexpected ids %v", missing, extra)
	}
	return nil
}
