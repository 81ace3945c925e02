package vectortest

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/simili/simili/library/facet"
	"github.com/simili/simili/search/vector"
)

func (s *suite) testEmpty(t *testing.T) {
	st, _ := s.open(t, modelA)
	wantCount(t, st, 0)
	g := newGen(1, modelA.Dim, 4)
	for _, f := range []facet.Filter{{}, {Camera: "Canon"}, {Folder: "/"}} {
		if hits := search(t, st, g.random(), 10, f); len(hits) != 0 {
			t.Errorf("empty store, filter %+v: got %v, want no hits", f, hits)
		}
	}
}

func (s *suite) testTopK(t *testing.T, dim int) {
	m := vector.Model{Name: fmt.Sprintf("vectortest-top%d", dim), Dim: dim}
	st, _ := s.open(t, m)
	g := newGen(int64(dim), dim, 12)
	recs := g.records(500, 1)
	upsert(t, st, recs)
	wantCount(t, st, len(recs))
	ref := newModel(recs)
	r := s.newRanker(t)
	for i := range 30 {
		var q []float32
		switch i % 3 {
		case 0: // a stored photo: must come back first with score ~1
			q = recs[g.r.Intn(len(recs))].Vector
		case 1:
			q = g.vec()
		default:
			q = g.random()
		}
		for _, k := range []int{1, 10, 50} {
			r.check(fmt.Sprintf("query %d k=%d", i, k), search(t, st, q, k, facet.Filter{}), ref, q, k, facet.Filter{})
		}
	}
}

func (s *suite) testKLarger(t *testing.T) {
	st, _ := s.open(t, modelA)
	g := newGen(2, modelA.Dim, 3)
	recs := g.records(7, 100)
	upsert(t, st, recs)
	ref := newModel(recs)
	r := s.newRanker(t)
	for i := range 5 {
		q := g.vec()
		hits := search(t, st, q, 100, facet.Filter{})
		r.check(fmt.Sprintf("query %d", i), hits, ref, q, 100, facet.Filter{})
		if !s.h.Approximate && len(hits) != len(recs) {
			t.Errorf("query %d: %d hits, want all %d records", i, len(hits), len(recs))
		}
	}
}

// testFilterSemantics pins the meaning of each filter field with hand-written
// expectations (not facet.Filter.Match, so a shared bug cannot hide).
func (s *suite) testFilterSemantics(t *testing.T) {
	st, _ := s.open(t, modelA)
	at := func(d int) time.Time { return time.Date(2023, 3, d, 10, 0, 0, 0, time.UTC) }
	g := newGen(3, modelA.Dim, 2)
	metas := map[int64]facet.Meta{
		1: {TakenAt: at(1), Make: "Canon", Model: "Canon EOS R5", Lens: "RF24-105mm", Folder: "/a/b"},
		2: {TakenAt: at(2), Make: "NIKON", Model: "Z 6", Lens: "Z 24-70", Folder: "/a/b/c"},
		3: {TakenAt: at(3), Make: "FUJIFILM", Model: "X-T4", Lens: "XF35mm", Folder: "/a/bc"},
		4: {Make: "Canon", Model: "Canon EOS 5D", Lens: "RF24-105mm", Folder: "/a"},
		5: {TakenAt: at(4), Make: "Apple", Model: "iPhone", Folder: "/a/b", HasGPS: true},
		6: {TakenAt: at(5), Make: "Canon", Model: "Canon EOS R5", Lens: "XF35mm", Folder: "/x/a/b"},
		7: {TakenAt: at(6), Make: "X-T4", Model: "Other", Lens: "Z 24-70", Folder: "/ab"},
	}
	var recs []vector.Record
	for id := int64(1); id <= int64(len(metas)); id++ {
		recs = append(recs, vector.Record{ID: id, Vector: g.vec(), Meta: metas[id]})
	}
	upsert(t, st, recs)
	tests := []struct {
		name string
		f    facet.Filter
		want []int64
	}{
		{"none", facet.Filter{}, []int64{1, 2, 3, 4, 5, 6, 7}},
		{"from inclusive", facet.Filter{From: at(2)}, []int64{2, 3, 5, 6, 7}},
		{"to inclusive", facet.Filter{To: at(2)}, []int64{1, 2}},
		{"from+to inclusive", facet.Filter{From: at(2), To: at(3)}, []int64{2, 3}},
		{"from == to", facet.Filter{From: at(3), To: at(3)}, []int64{3}},
		{"from one second late", facet.Filter{From: at(3).Add(time.Second), To: at(4)}, []int64{5}},
		{"to one second early", facet.Filter{From: at(2), To: at(3).Add(-time.Second)}, []int64{2}},
		{"range in another zone", facet.Filter{From: at(2).In(time.FixedZone("UTC+5", 5*3600)), To: at(2).In(time.FixedZone("UTC-8", -8*3600))}, []int64{2}},
		{"camera model", facet.Filter{Camera: "Canon EOS R5"}, []int64{1, 6}},
		{"camera make", facet.Filter{Camera: "Canon"}, []int64{1, 4, 6}},
		{"camera as model or make", facet.Filter{Camera: "X-T4"}, []int64{3, 7}},
		{"camera case-sensitive", facet.Filter{Camera: "canon"}, nil},
		{"camera not prefix", facet.Filter{Camera: "Canon EOS"}, nil},
		{"lens", facet.Filter{Lens: "XF35mm"}, []int64{3, 6}},
		{"lens not prefix", facet.Filter{Lens: "RF"}, nil},
		{"folder and subfolders", facet.Filter{Folder: "/a/b"}, []int64{1, 2, 5}},
		{"folder trailing slash", facet.Filter{Folder: "/a/b/"}, []int64{1, 2, 5}},
		{"folder sibling with same prefix", facet.Filter{Folder: "/a/bc"}, []int64{3}},
		{"folder parent", facet.Filter{Folder: "/a"}, []int64{1, 2, 3, 4, 5}},
		{"folder root", facet.Filter{Folder: "/"}, []int64{1, 2, 3, 4, 5, 6, 7}},
		{"folder leaf", facet.Filter{Folder: "/a/b/c"}, []int64{2}},
		{"folder unknown", facet.Filter{Folder: "/nope"}, nil},
		{"camera+folder", facet.Filter{Camera: "Canon", Folder: "/a"}, []int64{1, 4}},
		{"camera+date", facet.Filter{Camera: "Canon", From: at(1)}, []int64{1, 6}},
		{"lens+folder+date", facet.Filter{Lens: "Z 24-70", Folder: "/a", To: at(6)}, []int64{2}},
		{"all fields", facet.Filter{From: at(1), To: at(5), Camera: "Canon EOS R5", Lens: "RF24-105mm", Folder: "/a/b"}, []int64{1}},
		{"contradiction", facet.Filter{Camera: "Canon", Lens: "Z 24-70"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := g.vec()
			hits := search(t, st, q, 100, tt.f)
			if err := sameIDs(hits, tt.want); err != nil {
				t.Errorf("filter %+v: %v", tt.f, err)
			}
		})
	}
}

// testFilterRanking checks that filtering happens with ranking, not after
// it: a selective filter must still yield k hits when k records pass.
func (s *suite) testFilterRanking(t *testing.T) {
	st, _ := s.open(t, modelA)
	g := newGen(4, modelA.Dim, 8)
	recs := g.records(500, 10)
	upsert(t, st, recs)
	ref := newModel(recs)
	dated := recs[0].Meta.TakenAt
	for i := 0; dated.IsZero(); i++ {
		dated = recs[i].Meta.TakenAt
	}
	filters := []facet.Filter{
		{From: day(100)},
		{To: day(60)},
		{From: day(30), To: day(200)},
		{From: dated, To: dated},
		{Camera: "Canon"},
		{Camera: "X-T4"},
		{Camera: "NIKON Z 6"},
		{Lens: "XF35mmF1.4 R"},
		{Folder: "/photos/2023/trip"},
		{Folder: "/photos/2023"},
		{Folder: "/other"},
		{Camera: "Canon", Folder: "/photos/2023/trip"},
		{Camera: "Canon EOS R5", Lens: "RF24-105mm F4 L IS USM", From: day(10), To: day(300)},
		{Camera: "Apple", Folder: "/photos/20230", From: day(0)},
		{Camera: "FUJIFILM", Lens: "NIKKOR Z 24-70mm f/4 S"}, // passes nothing
	}
	r := s.newRanker(t)
	for i, f := range filters {
		passing := len(ref.top(nil, math.MaxInt, f))
		for j := range 4 {
			q := g.vec()
			for _, k := range []int{5, 20} {
				hits := search(t, st, q, k, f)
				r.check(fmt.Sprintf("filter %d %+v query %d k=%d", i, f, j, k), hits, ref, q, k, f)
				if !s.h.Approximate && len(hits) != min(k, passing) {
					t.Errorf("filter %+v k=%d: %d hits, want %d (%d records pass)", f, k, len(hits), min(k, passing), passing)
				}
			}
		}
	}
}

// testLiteralStrings makes sure filter values are data, never syntax: quotes,
// backslashes, LIKE wildcards and expression fragments match themselves only.
func (s *suite) testLiteralStrings(t *testing.T) {
	st, _ := s.open(t, modelA)
	g := newGen(5, modelA.Dim, 2)
	values := []string{
		`a" or 1==1`, `a`, `a' or '1'='1`, `it's`, `"`, `'`, `\`, `back\slash`, `back\\slash`,
		`back\"slash`, `50%`, `500`, `5_0`, `%`, `_`, `*`, `.*`, `[a]`, `a)`, `x || true`,
		`日本語カメラ`, `Ñikon 📷`, "tab\there", "new\nline", `${x}`, `a"`, `a" `,
	}
	var recs []vector.Record
	for i, v := range values {
		id := int64(1000 + i)
		recs = append(recs,
			vector.Record{ID: id, Vector: g.vec(), Meta: facet.Meta{Model: v, Make: "m" + fmt.Sprint(i), Folder: "/lit/m"}},
			vector.Record{ID: id + 100, Vector: g.vec(), Meta: facet.Meta{Make: v, Model: "k" + fmt.Sprint(i), Folder: "/lit/k"}},
			vector.Record{ID: id + 200, Vector: g.vec(), Meta: facet.Meta{Lens: v, Folder: "/lit/l"}},
			vector.Record{ID: id + 300, Vector: g.vec(), Meta: facet.Meta{Folder: "/lit/" + v}},
			vector.Record{ID: id + 400, Vector: g.vec(), Meta: facet.Meta{Folder: "/lit/" + v + "/sub"}},
		)
	}
	upsert(t, st, recs)
	for i, v := range values {
		id := int64(1000 + i)
		t.Run(fmt.Sprintf("%d", i), func(t *testing.T) {
			q := g.vec()
			cases := []struct {
				f    facet.Filter
				want []int64
			}{
				{facet.Filter{Camera: v}, []int64{id, id + 100}},
				{facet.Filter{Lens: v}, []int64{id + 200}},
				{facet.Filter{Folder: "/lit/" + v}, []int64{id + 300, id + 400}},
				{facet.Filter{Folder: "/lit/" + v + "/sub"}, []int64{id + 400}},
				{facet.Filter{Camera: v, Folder: "/lit/k"}, []int64{id + 100}},
			}
			for _, c := range cases {
				if err := sameIDs(search(t, st, q, 50, c.f), c.want); err != nil {
					t.Errorf("value %q filter %+v: %v", v, c.f, err)
				}
			}
		})
	}
}

func (s *suite) testUpsertReplaces(t *testing.T) {
	st, _ := s.open(t, modelA)
	g := newGen(6, modelA.Dim, 6)
	recs := g.records(200, 1)
	for i := range recs {
		recs[i].Meta.Model = "OldCam"
	}
	upsert(t, st, recs)
	ref := newModel(recs)

	target := recs[17]
	old := target.Vector
	repl := vector.Record{ID: target.ID, Vector: g.random(), Meta: facet.Meta{Model: "NewCam", Folder: "/new", TakenAt: day(400)}}
	upsert(t, st, []vector.Record{repl})
	ref.put([]vector.Record{repl})
	wantCount(t, st, len(recs))

	if hits := search(t, st, repl.Vector, 1, facet.Filter{}); len(hits) != 1 || hits[0].ID != repl.ID || hits[0].Score < 1-scoreTol {
		t.Errorf("search by new vector: got %v, want id %d with score 1", hits, repl.ID)
	}
	r := s.newRanker(t)
	// The old vector is gone: target may only appear with its new score.
	r.check("old vector", search(t, st, old, 20, facet.Filter{}), ref, old, 20, facet.Filter{})
	for _, h := range search(t, st, old, len(recs), facet.Filter{Camera: "OldCam"}) {
		if h.ID == repl.ID {
			t.Errorf("old meta still matches: id %d found with Camera=OldCam", h.ID)
		}
	}
	if err := sameIDs(search(t, st, old, 10, facet.Filter{Camera: "NewCam"}), []int64{repl.ID}); err != nil {
		t.Errorf("new meta: %v", err)
	}
	if err := sameIDs(search(t, st, old, 10, facet.Filter{Folder: "/new", From: day(399)}), []int64{repl.ID}); err != nil {
		t.Errorf("new folder and date: %v", err)
	}

	// Upserting the same batch twice is idempotent; a batch may repeat an ID
	// and the last one wins.
	upsert(t, st, recs[:50])
	upsert(t, st, recs[:50])
	dup := []vector.Record{
		{ID: recs[3].ID, Vector: g.random(), Meta: facet.Meta{Model: "first"}},
		{ID: recs[3].ID, Vector: g.random(), Meta: facet.Meta{Model: "second"}},
	}
	upsert(t, st, dup)
	ref.put(recs[:50])
	ref.put(dup)
	wantCount(t, st, len(recs))
	if err := sameIDs(search(t, st, dup[1].Vector, 10, facet.Filter{Camera: "second"}), []int64{recs[3].ID}); err != nil {
		t.Errorf("repeated id in batch, last wins: %v", err)
	}
	if hits := search(t, st, dup[1].Vector, 10, facet.Filter{Camera: "first"}); len(hits) != 0 {
		t.Errorf("repeated id in batch: earlier record still matches: %v", hits)
	}
	q := g.vec()
	r.check("after re-upsert", search(t, st, q, 30, facet.Filter{}), ref, q, 30, facet.Filter{})
}

func (s *suite) testDelete(t *testing.T) {
	ctx := t.Context()
	st, _ := s.open(t, modelA)
	g := newGen(7, modelA.Dim, 6)
	recs := g.records(300, 5)
	upsert(t, st, recs)
	ref := newModel(recs)

	var gone []int64
	for i := 0; i < len(recs); i += 4 {
		gone = append(gone, recs[i].ID)
	}
	withUnknown := append(append([]int64{}, gone...), -1, 4, 1<<50) // 4 and 1<<50 were never stored
	if err := st.Delete(ctx, withUnknown); err != nil {
		t.Fatalf("delete with unknown ids: %v", err)
	}
	if err := st.Delete(ctx, nil); err != nil {
		t.Errorf("delete nothing: %v", err)
	}
	if err := st.Delete(ctx, []int64{1 << 51, 2}); err != nil {
		t.Errorf("delete only unknown ids: %v", err)
	}
	if err := st.Delete(ctx, gone[:10]); err != nil { // already deleted
		t.Errorf("delete twice: %v", err)
	}
	flush(t, st)
	ref.del(gone)
	wantCount(t, st, len(ref))

	r := s.newRanker(t)
	for i := 0; i < len(gone); i += 10 {
		q := recordByID(recs, gone[i]).Vector // the deleted photo's own vector
		r.check(fmt.Sprintf("deleted %d", gone[i]), search(t, st, q, 10, facet.Filter{}), ref, q, 10, facet.Filter{})
	}

	// A deleted ID can come back.
	back := vector.Record{ID: gone[0], Vector: g.random(), Meta: facet.Meta{Lens: "back"}}
	upsert(t, st, []vector.Record{back})
	ref.put([]vector.Record{back})
	wantCount(t, st, len(ref))
	if err := sameIDs(search(t, st, back.Vector, 5, facet.Filter{Lens: "back"}), []int64{back.ID}); err != nil {
		t.Errorf("re-inserted after delete: %v", err)
	}

	// Delete everything one way or another.
	if err := st.Delete(ctx, ref.ids()); err != nil {
		t.Fatalf("delete all: %v", err)
	}
	flush(t, st)
	wantCount(t, st, 0)
	if hits := search(t, st, g.vec(), 10, facet.Filter{}); len(hits) != 0 {
		t.Errorf("all deleted: got hits %v", hits)
	}
}

func recordByID(recs []vector.Record, id int64) vector.Record {
	for _, r := range recs {
		if r.ID == id {
			return r
		}
	}
	panic(fmt.Sprintf("vectortest: no record %d", id))
}

func (s *suite) testCount(t *testing.T) {
	ctx := t.Context()
	st, _ := s.open(t, modelA)
	g := newGen(8, modelA.Dim, 3)
	recs := g.records(120, 1)
	steps := []struct {
		name string
		do   func() error
		want int
	}{
		{"insert 50", func() error { return st.Upsert(ctx, recs[:50]) }, 50},
		{"insert 70 more", func() error { return st.Upsert(ctx, recs[50:]) }, 120},
		{"re-upsert 30", func() error { return st.Upsert(ctx, recs[:30]) }, 120},
		{"delete 20", func() error { return st.Delete(ctx, idsOf(hitsOf(recs[:20]))) }, 100},
		{"empty upsert", func() error { return st.Upsert(ctx, nil) }, 100},
	}
	for _, step := range steps {
		if err := step.do(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		flush(t, st)
		if got := count(t, st); got != step.want {
			t.Errorf("after %s: Count() = %d, want %d", step.name, got, step.want)
		}
	}
}

func (s *suite) testDrop(t *testing.T) {
	ctx := t.Context()
	st, closeFn := s.open(t, modelA)
	g := newGen(9, modelA.Dim, 3)
	recs := g.records(150, 1)
	upsert(t, st, recs)
	if err := st.Drop(ctx); err != nil {
		t.Fatalf("drop: %v", err)
	}
	flush(t, st)
	wantCount(t, st, 0)
	if hits := search(t, st, recs[0].Vector, 10, facet.Filter{}); len(hits) != 0 {
		t.Errorf("after drop: got hits %v", hits)
	}
	// The store is usable after Drop, and Drop survives a re-open.
	fresh := g.records(20, 10_000)
	upsert(t, st, fresh)
	wantCount(t, st, len(fresh))
	closeFn()
	st, _ = s.open(t, modelA)
	wantCount(t, st, len(fresh))
	r := s.newRanker(t)
	q := recs[0].Vector
	r.check("after drop and reopen", search(t, st, q, 10, facet.Filter{}), newModel(fresh), q, 10, facet.Filter{})
}

func (s *suite) testPersistence(t *testing.T) {
	ctx := t.Context()
	st, closeFn := s.open(t, modelA)
	g := newGen(10, modelA.Dim, 8)
	recs := g.records(300, 1)
	upsert(t, st, recs)
	ref := newModel(recs)
	repl := g.records(20, 1) // same IDs as recs[:20], new vectors and meta
	upsert(t, st, repl)
	ref.put(repl)
	gone := []int64{recs[40].ID, recs[41].ID, recs[299].ID}
	if err := st.Delete(ctx, gone); err != nil {
		t.Fatalf("delete: %v", err)
	}
	flush(t, st)
	ref.del(gone)

	type query struct {
		q []float32
		f facet.Filter
	}
	var queries []query
	for i := range 12 {
		f := facet.Filter{}
		if i%3 == 1 {
			f = facet.Filter{Camera: "Canon", From: day(50)}
		} else if i%3 == 2 {
			f = facet.Filter{Folder: "/photos/2023/trip"}
		}
		queries = append(queries, query{g.vec(), f})
	}
	before := make([][]vector.Hit, len(queries))
	for i, q := range queries {
		before[i] = search(t, st, q.q, 15, q.f)
	}
	closeFn()

	for round := range 2 { // re-open twice: a clean reopen must not lose or duplicate data
		st, closeFn = s.open(t, modelA)
		wantCount(t, st, len(ref))
		r := s.newRanker(t)
		for i, q := range queries {
			got := search(t, st, q.q, 15, q.f)
			r.check(fmt.Sprintf("round %d query %d", round, i), got, ref, q.q, 15, q.f)
			if !s.h.Approximate {
				if err := sameIDs(got, idsOf(before[i])); err != nil {
					t.Errorf("round %d query %d: results changed across reopen: %v", round, i, err)
				}
			}
		}
		// Writes after a reopen persist too.
		more := g.records(5, 50_000+int64(round)*100)
		upsert(t, st, more)
		ref.put(more)
		for i, q := range queries {
			before[i] = search(t, st, q.q, 15, q.f)
		}
		closeFn()
	}
	st, _ = s.open(t, modelA)
	wantCount(t, st, len(ref))
}

func idsOf(hits []vector.Hit) []int64 {
	out := make([]int64, len(hits))
	for i, h := range hits {
		out[i] = h.ID
	}
	return out
}

func (s *suite) testWrongDimension(t *testing.T) {
	ctx := t.Context()
	st, _ := s.open(t, modelA)
	g := newGen(11, modelA.Dim, 2)
	good := g.records(3, 1)
	upsert(t, st, good)
	for _, n := range []int{0, 1, modelA.Dim - 1, modelA.Dim + 1, 2 * modelA.Dim} {
		bad := make([]float32, n)
		for i := range bad {
			bad[i] = 1 / float32(math.Sqrt(float64(n)))
		}
		err := st.Upsert(ctx, []vector.Record{{ID: 999, Vector: bad}})
		if !errors.Is(err, vector.ErrDimension) {
			t.Errorf("upsert %d-d vector into %v: err = %v, want ErrDimension", n, modelA, err)
		}
		err = st.Upsert(ctx, []vector.Record{{ID: 998, Vector: g.vec()}, {ID: 999, Vector: bad}})
		if !errors.Is(err, vector.ErrDimension) {
			t.Errorf("upsert batch with one %d-d vector: err = %v, want ErrDimension", n, err)
		}
		_, err = st.Search(ctx, bad, 5, facet.Filter{}, vector.SearchOptions{})
		if !errors.Is(err, vector.ErrDimension) {
			t.Errorf("search with %d-d query: err = %v, want ErrDimension", n, err)
		}
	}
	flush(t, st)
	// A refused record is never stored; the good one of a mixed batch may be.
	if n := count(t, st); n < len(good) || n > len(good)+1 {
		t.Errorf("Count() = %d after refused upserts, want %d (or %d)", n, len(good), len(good)+1)
	}
	for _, h := range search(t, st, good[0].Vector, 10, facet.Filter{}) {
		if h.ID == 999 {
			t.Errorf("refused record 999 is searchable")
		}
	}
}

// testModelMismatch opens a location that holds model A with model B. The
// store must refuse with ErrModelMismatch or behave as an empty B store, and
// the two models' records must never mix in either direction.
func (s *suite) testModelMismatch(t *testing.T) {
	stA, closeA := s.open(t, modelA)
	gA := newGen(12, modelA.Dim, 4)
	recsA := gA.records(50, 1)
	upsert(t, stA, recsA)
	refA := newModel(recsA)
	qA := gA.vec()
	wantA := search(t, stA, qA, 10, facet.Filter{})
	closeA()

	gB := newGen(13, modelB.Dim, 4)
	stB, err := s.h.Open(t, modelB)
	switch {
	case err != nil:
		if !errors.Is(err, vector.ErrModelMismatch) {
			t.Fatalf("open %v where %v is stored: err = %v, want ErrModelMismatch", modelB, modelA, err)
		}
		var me *vector.MismatchError
		if errors.As(err, &me) && (me.Have != modelA || me.Want != modelB) {
			t.Errorf("MismatchError have %v want %v, expected have %v want %v", me.Have, me.Want, modelA, modelB)
		}
	default:
		closeB := track(t, stB)
		if got := stB.Model(); got != modelB {
			t.Errorf("Model() = %v, want %v", got, modelB)
		}
		wantCount(t, stB, 0)
		if hits := search(t, stB, gB.random(), 100, facet.Filter{}); len(hits) != 0 {
			t.Errorf("%v store returns %v's records: %v", modelB, modelA, hits)
		}
		// Same IDs as A's records, different vectors: only B's may come back.
		recsB := gB.records(30, 1)
		upsert(t, stB, recsB)
		q := gB.vec()
		r := s.newRanker(t)
		r.check("model B", search(t, stB, q, 40, facet.Filter{}), newModel(recsB), q, 40, facet.Filter{})
		wantCount(t, stB, len(recsB))
		closeB()
	}

	// Back to A: its records are intact (or, if B replaced them, gone), and
	// never mixed with B's.
	stA2, err := s.h.Open(t, modelA)
	if err != nil {
		if errors.Is(err, vector.ErrModelMismatch) {
			return // B took the location over; refusing A is consistent.
		}
		t.Fatalf("re-open %v: %v", modelA, err)
	}
	track(t, stA2)
	switch n := count(t, stA2); n {
	case len(recsA):
		got := search(t, stA2, qA, 10, facet.Filter{})
		r := s.newRanker(t)
		r.check("model A after B", got, refA, qA, 10, facet.Filter{})
		if !s.h.Approximate {
			if err := sameIDs(got, idsOf(wantA)); err != nil {
				t.Errorf("model A results changed after opening B: %v", err)
			}
		}
	case 0:
		if hits := search(t, stA2, qA, 10, facet.Filter{}); len(hits) != 0 {
			t.Errorf("empty %v store returns hits %v", modelA, hits)
		}
	default:
		t.Errorf("%v Count() = %d after opening %v, want %d (or 0)", modelA, n, modelB, len(recsA))
	}
}

// testConcurrent runs writers and readers at once; run it under -race.
// Afterwards the store must hold exactly what the writers wrote.
func (s *suite) testConcurrent(t *testing.T) {
	ctx := t.Context()
	st, _ := s.open(t, modelA)
	g := newGen(14, modelA.Dim, 6)
	seed := g.records(200, 1)
	upsert(t, st, seed)
	ref := newModel(seed)

	const writers, batches, batch, readers, searches = 3, 8, 25, 3, 30
	work := make([][][]vector.Record, writers)
	for w := range work {
		for b := range batches {
			work[w] = append(work[w], g.records(batch, int64(100_000*(w+1)+b*1000)))
		}
	}
	queries := make([][]float32, readers*searches)
	for i := range queries {
		queries[i] = g.vec()
	}
	filters := []facet.Filter{{}, {Camera: "Canon"}, {Folder: "/photos/2023"}, {From: day(30)}}

	var wg sync.WaitGroup
	errs := make(chan error, writers*batches+readers*searches+writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b, recs := range work[w] {
				if err := st.Upsert(ctx, recs); err != nil {
					errs <- fmt.Errorf("writer %d batch %d: %w", w, b, err)
					return
				}
				if b%3 == 2 { // delete half of the previous batch
					prev := work[w][b-1]
					ids := make([]int64, 0, len(prev)/2)
					for _, r := range prev[:len(prev)/2] {
						ids = append(ids, r.ID)
					}
					if err := st.Delete(ctx, ids); err != nil {
						errs <- fmt.Errorf("writer %d delete: %w", w, err)
						return
					}
				}
			}
			if err := st.Flush(ctx); err != nil {
				errs <- fmt.Errorf("writer %d flush: %w", w, err)
			}
		}()
	}
	for rd := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range searches {
				q := queries[rd*searches+i]
				f := filters[i%len(filters)]
				hits, err := st.Search(ctx, q, 10, f, vector.SearchOptions{})
				if err != nil {
					errs <- fmt.Errorf("reader %d search %d: %w", rd, i, err)
					return
				}
				if len(hits) > 10 {
					errs <- fmt.Errorf("reader %d: %d hits for k=10", rd, len(hits))
				}
				for j := 1; j < len(hits); j++ {
					if hits[j].Score > hits[j-1].Score+1e-6 {
						errs <- fmt.Errorf("reader %d: hits out of order: %v", rd, hits)
						break
					}
				}
				if _, err := st.Count(ctx); err != nil {
					errs <- fmt.Errorf("reader %d count: %w", rd, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}

	for w := range work {
		for b, recs := range work[w] {
			ref.put(recs)
			if b%3 == 2 {
				for _, r := range work[w][b-1][:batch/2] {
					delete(ref, r.ID)
				}
			}
		}
	}
	flush(t, st)
	wantCount(t, st, len(ref))
	r := s.newRanker(t)
	for i, q := range queries[:10] {
		f := filters[i%len(filters)]
		r.check(fmt.Sprintf("after concurrent writes, query %d", i), search(t, st, q, 10, f), ref, q, 10, f)
	}
}

// hitsOf turns records into hits so idsOf can list their IDs.
func hitsOf(recs []vector.Record) []vector.Hit {
	out := make([]vector.Hit, len(recs))
	for i, r := range recs {
		out[i] = vector.Hit{ID: r.ID}
	}
	return out
}

// testIDs checks vector.IDLister: the ids come back exactly, in ascending
// order, after upserts in shuffled order, deletes, re-inserts, a re-open
// and a drop. The sync relies on it to find what a store lost.
func (s *suite) testIDs(t *testing.T) {
	ctx := t.Context()
	st, closeFn := s.open(t, modelA)
	g := newGen(12, modelA.Dim, 4)
	recs := g.records(700, 1)
	rand.New(rand.NewPCG(12, 0)).Shuffle(len(recs), func(i, j int) { recs[i], recs[j] = recs[j], recs[i] })
	for i := range recs {
		if i%7 == 0 {
			recs[i].ID += 1 << 40 // far apart, as a sparse id space would be
		}
	}
	upsert(t, st, recs[:400])
	upsert(t, st, recs[400:])
	ref := newModel(recs)
	var gone []int64
	for i := 0; i < len(recs); i += 3 {
		gone = append(gone, recs[i].ID)
	}
	if err := st.Delete(ctx, gone); err != nil {
		t.Fatalf("delete: %v", err)
	}
	ref.del(gone)
	upsert(t, st, []vector.Record{recs[0]}) // a deleted id comes back
	ref.put([]vector.Record{recs[0]})
	flush(t, st)
	check := func(label string, st vector.Store, want []int64) {
		t.Helper()
		l, ok := st.(vector.IDLister)
		if !ok {
			t.Fatalf("%T does not implement vector.IDLister", st)
		}
		got, err := l.IDs(ctx)
		if err != nil {
			t.Fatalf("%s: IDs: %v", label, err)
		}
		want = slices.Sorted(slices.Values(want))
		if !slices.Equal(got, want) {
			t.Errorf("%s: IDs() returned %d ids, want %d (first got %v, first want %v)", label, len(got), len(want), got[:min(5, len(got))], want[:min(5, len(want))])
		}
	}
	check("after upserts and deletes", st, ref.ids())
	closeFn()
	st, _ = s.open(t, modelA)
	check("after re-open", st, ref.ids())
	if err := st.Drop(ctx); err != nil {
		t.Fatalf("drop: %v", err)
	}
	check("after drop", st, nil)
}
