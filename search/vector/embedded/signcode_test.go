package embedded

import (
	"context"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/simili/simili/library/facet"
	"github.com/simili/simili/search/vector"
)

// codedStore opens a store of n clustered 64-d records (10% of them
// Model "tenth") with a settled IVF index, so that a 10% filter has more
// than codedMinMatches matches and goes through the sign codes.
func codedStore(t *testing.T, n int) (*Store, []float32) {
	t.Helper()
	const dim = 64
	s := mustOpen(t, t.TempDir(), vector.Model{Name: "codes", Dim: dim})
	data := clustered(n+100, dim, 5)
	for lo := 0; lo < n; lo += 10000 {
		recs := make([]vector.Record, 0, 10000)
		for i := lo; i < min(n, lo+10000); i++ {
			m := facet.Meta{Model: "other"}
			if inTenth(i) {
				m.Model = "tenth"
			}
			recs = append(recs, vector.Record{ID: int64(i + 1), Vector: data[i*dim : (i+1)*dim], Meta: m})
		}
		mustUpsert(t, s, recs)
	}
	settleIVF(s)
	if s.idx.ivf == nil || s.idx.ivf.codes == nil {
		t.Fatal("no sign codes after training")
	}
	return s, data[n*dim:]
}

// checkCodes compares every slot's code with one computed afresh.
func checkCodes(t *testing.T, s *Store) {
	t.Helper()
	s.mu.RLock()
	defer s.mu.RUnlock()
	c := s.idx.ivf.codes
	fresh := newSignCodes(c.mean, s.idx.len())
	fresh.encodeAll(s.idx)
	if !slices.Equal(c.bits, fresh.bits) || !slices.Equal(c.scale, fresh.scale) {
		t.Fatalf("codes out of step with the vectors: %d/%d bytes, %d/%d scales",
			len(c.bits), len(fresh.bits), len(c.scale), len(fresh.scale))
	}
}

// codedRecall runs queries with the 10% filter and returns recall@10
// against the exact scan; every returned score must be exact.
func codedRecall(t *testing.T, s *Store, qs []float32) float64 {
	t.Helper()
	const dim = 64
	f := facet.Filter{Camera: "tenth"}
	var recall float64
	nq := len(qs) / dim
	for q := range nq {
		query := qs[q*dim : (q+1)*dim]
		hits, err := s.Search(context.Background(), query, 10, f, vector.SearchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want := exactSearch(t, s, query, 10, f)
		recall += recallOf(hits, want)
		for _, h := range hits {
			v, ok := s.vectorOf(h.ID)
			if !ok {
				t.Fatalf("hit %d not in the store", h.ID)
			}
			if exact := dot(unit(query), v); math.Abs(float64(exact-h.Score)) > 1e-5 {
				t.Fatalf("hit %d scored %v, exact %v", h.ID, h.Score, exact)
			}
		}
	}
	return recall / float64(nq)
}

func unit(q []float32) []float32 {
	sc, _ := unitScale(q)
	out := make([]float32, len(q))
	for i := range q {
		out[i] = q[i] * sc
	}
	return out
}

func (s *Store) vectorOf(id int64) ([]float32, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	sl, ok := s.idx.slot[id]
	if !ok {
		return nil, false
	}
	return s.idx.vecs[int(sl)*s.idx.dim : int(sl+1)*s.idx.dim], true
}

func TestFilteredSearchThroughSignCodes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 100k-record index")
	}
	s, qs := codedStore(t, 100_000)
	checkCodes(t, s)
	if r := codedRecall(t, s, qs); r < 0.95 {
		t.Fatalf("recall@10 with a 10%% filter through the codes = %.3f, want ≥ 0.95", r)
	} else {
		t.Logf("recall@10 %.3f", r)
	}

	// Writes after training: new records, replaced vectors, deletions.
	const dim = 64
	extra := clustered(5000, dim, 9)
	var recs []vector.Record
	for i := range 3000 { // new
		recs = append(recs, vector.Record{ID: int64(200_000 + i), Vector: extra[i*dim : (i+1)*dim], Meta: facet.Meta{Model: "tenth"}})
	}
	for i := 3000; i < 5000; i++ { // replaced
		recs = append(recs, vector.Record{ID: int64(10*i + 4), Vector: extra[i*dim : (i+1)*dim], Meta: facet.Meta{Model: "tenth"}})
	}
	mustUpsert(t, s, recs)
	var gone []int64
	for i := range 2000 {
		gone = append(gone, int64(37*i+1))
	}
	if err := s.Delete(context.Background(), gone); err != nil {
		t.Fatal(err)
	}
	checkCodes(t, s)
	if r := codedRecall(t, s, qs); r < 0.95 {
		t.Fatalf("after writes: recall@10 = %.3f, want ≥ 0.95", r)
	}
	// A new record that is the query itself must come first.
	q := qs[:dim]
	mustUpsert(t, s, []vector.Record{{ID: 999_999, Vector: q, Meta: facet.Meta{Model: "tenth"}}})
	hits, err := s.Search(context.Background(), q, 1, facet.Filter{Camera: "tenth"}, vector.SearchOptions{})
	if err != nil || len(hits) != 1 || hits[0].ID != 999_999 {
		t.Fatalf("query's own record: %v %v", hits, err)
	}
}

func TestSignCodeTableMatchesDirectSum(t *testing.T) {
	for _, dim := range []int{64, 1000} {
		t.Run(fmt.Sprint(dim), func(t *testing.T) {
			data := clustered(3, dim, 3)
			mean := data[2*dim:]
			c := newSignCodes(mean, 0)
			v, q := data[:dim], data[dim:2*dim]
			c.set(0, v)
			var want float64
			for d := range dim {
				sign := -1.0
				if v[d] > mean[d] {
					sign = 1
				}
				want += sign * float64(q[d])
			}
			tab, step, base := c.table(q)
			got := float64(estimate(tab, c.bits))*float64(step) - float64(base)
			// Each of the dim/8 entries is rounded to half a step.
			if tol := float64(dim/8) * float64(step) / 2; math.Abs(got-want) > tol {
				t.Fatalf("estimate %v, direct sum %v (tolerance %v)", got, want, tol)
			}
		})
	}
}
