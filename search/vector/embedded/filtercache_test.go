package embedded

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/simili/simili/library/facet"
	"github.com/simili/simili/search/vector"
)

// TestFilterCacheServesRepeatsAndForgetsOnWrite runs selective filters
// twice on a settled 100k-record store: the second answer comes from the
// cached match list and equals the first; the small filter's answers equal
// the exact scan's, the coded one's recall it well; and a write retires
// the lists, so a new record is found at once and a deleted one is gone.
func TestFilterCacheServesRepeatsAndForgetsOnWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 100k-record index")
	}
	const n, dim = 100_000, 64
	ctx := context.Background()
	s := mustOpen(t, t.TempDir(), vector.Model{Name: "cache", Dim: dim})
	data := clustered(n+20, dim, 11)
	for lo := 0; lo < n; lo += 10000 {
		var recs []vector.Record
		for i := lo; i < lo+10000; i++ {
			m := facet.Meta{Model: "other", Lens: "common"}
			if inTenth(i) {
				m.Model = "tenth" // 10k matches: ranked by the sign codes
			}
			if i%50 == 7 {
				m.Lens = "rare" // 2k matches: scored exactly
			}
			recs = append(recs, vector.Record{ID: int64(i + 1), Vector: data[i*dim : (i+1)*dim], Meta: m})
		}
		mustUpsert(t, s, recs)
	}
	settleIVF(s)
	qs := data[n*dim:]
	tenth, rare := facet.Filter{Camera: "tenth"}, facet.Filter{Lens: "rare"}

	for _, f := range []facet.Filter{tenth, rare} {
		var recall float64
		for q := range 20 {
			query := qs[q*dim : (q+1)*dim]
			first, err := s.Search(ctx, query, 10, f, vector.SearchOptions{})
			if err != nil {
				t.Fatal(err)
			}
			again, err := s.Search(ctx, query, 10, f, vector.SearchOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(first, again) {
				t.Fatalf("%+v: repeated search differs:\n%v\n%v", f, first, again)
			}
			want := exactSearch(t, s, query, 10, f)
			if f == rare && !sameIDs(first, want) {
				t.Fatalf("rare lens: %v, exact %v", first, want)
			}
			recall += recallOf(first, want)
		}
		if recall /= 20; recall < 0.95 {
			t.Errorf("%+v: recall@10 %.3f", f, recall)
		}
	}
	s.mu.RLock()
	e := s.filters.get(s.writes, keyOf(tenth))
	r := s.filters.get(s.writes, keyOf(rare))
	s.mu.RUnlock()
	if e == nil || e.codes == nil || len(e.slots) != n/10 || r == nil || r.codes != nil || len(r.slots) != n/50 {
		t.Fatalf("cache entries: tenth %v, rare %v", e != nil, r != nil)
	}

	query := qs[:dim]
	mustUpsert(t, s, []vector.Record{{ID: 777_777, Vector: query, Meta: facet.Meta{Model: "tenth", Lens: "rare"}}})
	for _, f := range []facet.Filter{tenth, rare} {
		hits, err := s.Search(ctx, query, 1, f, vector.SearchOptions{})
		if err != nil || len(hits) != 1 || hits[0].ID != 777_777 {
			t.Fatalf("%+v after insert: %v %v", f, hits, err)
		}
	}
	if err := s.Delete(ctx, []int64{777_777}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []facet.Filter{tenth, rare} {
		hits, err := s.Search(ctx, query, 10, f, vector.SearchOptions{})
		if err != nil || slices.ContainsFunc(hits, func(h vector.Hit) bool { return h.ID == 777_777 }) {
			t.Fatalf("%+v after delete: %v %v", f, hits, err)
		}
	}
}

func sameIDs(a, b []vector.Hit) bool {
	return slices.EqualFunc(a, b, func(x, y vector.Hit) bool { return x.ID == y.ID })
}

func TestFilterCacheBounds(t *testing.T) {
	entry := func(camera string, slots int) *filterEntry {
		return &filterEntry{key: keyOf(facet.Filter{Camera: camera}), slots: make([]int32, slots)}
	}
	key := func(c string) filterKey { return keyOf(facet.Filter{Camera: c}) }
	tests := []struct {
		name   string
		budget int
		puts   []*filterEntry
		touch  string // got between the puts' last two
		want   []string
	}{
		{"count bound keeps the newest", 1 << 20, []*filterEntry{entry("a", 1), entry("b", 1), entry("c", 1), entry("d", 1), entry("e", 1), entry("f", 1)}, "", []string{"f", "e", "d", "c"}},
		{"byte budget", 250, []*filterEntry{entry("a", 25), entry("b", 25), entry("c", 25)}, "", []string{"c", "b"}},
		{"too big alone is not kept", 50, []*filterEntry{entry("a", 10), entry("huge", 100)}, "", []string{"a"}},
		{"a hit is kept over older ones", 1 << 20, []*filterEntry{entry("a", 1), entry("b", 1), entry("c", 1), entry("d", 1), entry("e", 1)}, "a", []string{"e", "a", "d", "c"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var fc filterCache
			for i, e := range tc.puts {
				if tc.touch != "" && i == len(tc.puts)-1 && fc.get(0, key(tc.touch)) == nil {
					t.Fatalf("%s not cached", tc.touch)
				}
				fc.put(0, e, tc.budget)
			}
			var got []string
			for _, e := range fc.entries {
				got = append(got, e.key.Camera)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("entries %v, want %v", got, tc.want)
			}
			if fc.get(1, key(tc.want[0])) != nil || len(fc.entries) != 0 {
				t.Error("entries survived a write")
			}
		})
	}

	paris := time.FixedZone("CEST", 2*3600)
	at := time.Date(2008, 7, 1, 12, 0, 0, 0, time.UTC)
	if keyOf(facet.Filter{From: at}) != keyOf(facet.Filter{From: at.In(paris)}) {
		t.Error("the same instant in two time zones makes two cache keys")
	}
}
