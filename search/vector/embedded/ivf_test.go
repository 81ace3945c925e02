package embedded

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/simili/simili/library/facet"
	"github.com/simili/simili/search/vector"
)

var ivfModel = vector.Model{Name: "ivftest", Dim: 32}

// ivfRecs returns n clustered records with ids first.. and metadata that
// 10% (Model "tenth"), 1% (Lens "rare") and folders can filter on.
func ivfRecs(n int, first int64, seed int64) []vector.Record {
	data := clustered(n, ivfModel.Dim, seed)
	recs := make([]vector.Record, n)
	for i := range recs {
		m := facet.Meta{Model: "other", Folder: fmt.Sprintf("/p/%d", i%4)}
		if inTenth(i) {
			m.Model = "tenth"
		}
		if i%100 == 7 {
			m.Lens = "rare"
		}
		recs[i] = vector.Record{ID: first + int64(i), Vector: data[i*ivfModel.Dim : (i+1)*ivfModel.Dim], Meta: m}
	}
	return recs
}

// settleIVF runs any due index maintenance now, as the background
// goroutine would.
func settleIVF(s *Store) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	for work := s.ivfWork(); work != nil; work = s.ivfWork() {
		work()
	}
}

// checkIVF verifies every slot is in exactly one list at the position the
// slot→list maps record.
func checkIVF(t *testing.T, s *Store) {
	t.Helper()
	s.mu.RLock()
	defer s.mu.RUnlock()
	x, v := s.idx, s.idx.ivf
	if v == nil {
		t.Fatal("no IVF index")
	}
	if len(v.of) != x.len() || len(v.pos) != x.len() {
		t.Fatalf("IVF maps %d/%d slots, index has %d", len(v.of), len(v.pos), x.len())
	}
	seen := make([]bool, x.len())
	for l, list := range v.lists {
		for p, sl := range list {
			if seen[sl] {
				t.Fatalf("slot %d in two lists", sl)
			}
			seen[sl] = true
			if int(v.of[sl]) != l || int(v.pos[sl]) != p {
				t.Fatalf("slot %d at list %d pos %d, maps say %d/%d", sl, l, p, v.of[sl], v.pos[sl])
			}
		}
	}
	for sl, ok := range seen {
		if !ok {
			t.Fatalf("slot %d in no list", sl)
		}
	}
}

// exactSearch is the reference: the exact scan over the same index.
func exactSearch(t *testing.T, s *Store, q []float32, k int, f facet.Filter) []vector.Hit {
	t.Helper()
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.idx.compile(f)
	if !ok {
		return nil
	}
	sc, _ := unitScale(q)
	qq := make([]float32, len(q))
	for i := range q {
		qq[i] = q[i] * sc
	}
	hits, err := s.idx.search(context.Background(), qq, k, c)
	if err != nil {
		t.Fatal(err)
	}
	return hits
}

// openIVF opens a store in dir holding n clustered records with a settled
// IVF index.
func openIVF(t *testing.T, dir string, n int) (*Store, []vector.Record) {
	t.Helper()
	s := mustOpen(t, dir, ivfModel)
	recs := ivfRecs(n, 1, 7)
	for lo := 0; lo < n; lo += 5000 {
		mustUpsert(t, s, recs[lo:min(n, lo+5000)])
	}
	settleIVF(s)
	checkIVF(t, s)
	return s, recs
}

func TestIVFRecallAndFilters(t *testing.T) {
	s, recs := openIVF(t, t.TempDir(), 30_000)
	byID := make(map[int64]facet.Meta, len(recs))
	for _, r := range recs {
		byID[r.ID] = r.Meta
	}
	// Held-out points around the same centres, as search/bench queries.
	queries := ivfRecs(30_100, 1, 7)[30_000:]
	tests := []struct {
		name      string
		f         facet.Filter
		opt       vector.SearchOptions
		minRecall float64
	}{
		{"no filter", facet.Filter{}, vector.SearchOptions{}, 0.95},
		{"no filter nprobe=all", facet.Filter{}, vector.SearchOptions{Nprobe: 1 << 20}, 1},
		{"10% filter", facet.Filter{Camera: "tenth"}, vector.SearchOptions{}, 0.95},
		{"1% filter (exact path)", facet.Filter{Lens: "rare"}, vector.SearchOptions{}, 1},
		{"25% folder", facet.Filter{Folder: "/p/2"}, vector.SearchOptions{}, 0.95},
		{"10% filter nprobe=60", facet.Filter{Camera: "tenth"}, vector.SearchOptions{Nprobe: 60}, 0.7},
		{"unknown camera", facet.Filter{Camera: "nope"}, vector.SearchOptions{}, 1},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var recall float64
			for _, q := range queries {
				got, err := s.Search(ctx, q.Vector, 10, tt.f, tt.opt)
				if err != nil {
					t.Fatal(err)
				}
				want := exactSearch(t, s, q.Vector, 10, tt.f)
				for i, h := range got {
					if !tt.f.Match(byID[h.ID]) {
						t.Fatalf("hit %d (id %d) does not match filter %+v", i, h.ID, tt.f)
					}
					if i > 0 && better(cand{h.Score, h.ID}, cand{got[i-1].Score, got[i-1].ID}) {
						t.Fatalf("hits out of order at %d: %+v", i, got)
					}
				}
				if len(got) != len(want) {
					t.Fatalf("%d hits, want %d", len(got), len(want))
				}
				recall += recallOf(got, want)
			}
			if recall /= float64(len(queries)); recall < tt.minRecall {
				t.Errorf("recall@10 %.3f, want ≥ %.2f", recall, tt.minRecall)
			}
		})
	}
}

func TestIVFUpdatesVisible(t *testing.T) {
	ctx := context.Background()
	s, recs := openIVF(t, t.TempDir(), 25_000)
	fresh := ivfRecs(10, 100_000, 3)
	moved := vector.Record{ID: recs[5].ID, Vector: fresh[9].Vector, Meta: recs[5].Meta}
	steps := []struct {
		name  string
		apply func(t *testing.T)
		query []float32
		want  int64 // id expected as the top hit; 0 = the deleted id must not appear
		gone  int64
	}{
		{"insert goes to the tail", func(t *testing.T) { mustUpsert(t, s, fresh[:9]) }, fresh[3].Vector, fresh[3].ID, 0},
		{"update moves the vector", func(t *testing.T) { mustUpsert(t, s, []vector.Record{moved}) }, fresh[9].Vector, moved.ID, 0},
		{"delete hides it", func(t *testing.T) {
			if err := s.Delete(ctx, []int64{fresh[3].ID, recs[0].ID}); err != nil {
				t.Fatal(err)
			}
		}, fresh[3].Vector, 0, fresh[3].ID},
		{"deleted original record", func(t *testing.T) {}, recs[0].Vector, 0, recs[0].ID},
		{"after absorb", func(t *testing.T) {
			s.wmu.Lock()
			s.absorbIVF()
			s.wmu.Unlock()
		}, fresh[7].Vector, fresh[7].ID, 0},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			st.apply(t)
			checkIVF(t, s)
			hits, err := s.Search(ctx, st.query, 10, facet.Filter{}, vector.SearchOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if st.want != 0 && (len(hits) == 0 || hits[0].ID != st.want || hits[0].Score < 0.9999) {
				t.Errorf("top hit %+v, want id %d with score 1", hits[:min(1, len(hits))], st.want)
			}
			for _, h := range hits {
				if h.ID == st.gone {
					t.Errorf("deleted id %d returned", st.gone)
				}
			}
		})
	}
}

func TestIVFMaintenance(t *testing.T) {
	s, _ := openIVF(t, t.TempDir(), ivfMin)
	built := s.idx.ivf
	// A tail below the absorb threshold stays.
	mustUpsert(t, s, ivfRecs(absorbAt(ivfMin+100)-1, 1_000_000, 4))
	s.wmu.Lock()
	due := s.ivfWork() != nil
	s.wmu.Unlock()
	if due {
		t.Errorf("maintenance due with a tail of %d below the absorb threshold", len(built.lists[built.tail()]))
	}
	// Past it, the tail is absorbed by the same index.
	mustUpsert(t, s, ivfRecs(10, 2_000_000, 5))
	settleIVF(s)
	checkIVF(t, s)
	if s.idx.ivf != built || len(built.lists[built.tail()]) != 0 {
		t.Errorf("tail of %d not absorbed into the same index", len(built.lists[built.tail()]))
	}
	// Changing more records than it was built over retrains.
	mustUpsert(t, s, ivfRecs(built.built+1, 3_000_000, 6))
	settleIVF(s)
	checkIVF(t, s)
	if s.idx.ivf == built || s.idx.ivf.built != s.idx.len() {
		t.Errorf("index not retrained after the store more than doubled")
	}
	// Dropping removes it and its file.
	if err := s.Drop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s.idx.ivf != nil {
		t.Error("IVF index survives Drop")
	}
	if _, err := os.Stat(filepath.Join(s.dir, ivfFile)); !os.IsNotExist(err) {
		t.Errorf("IVF file after Drop: %v", err)
	}
}

func TestIVFPersists(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		damage func(t *testing.T, path string)
		loaded bool
	}{
		{"intact", func(*testing.T, string) {}, true},
		{"missing", func(t *testing.T, path string) {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"byte flipped", func(t *testing.T, path string) { flip(t, path, 100) }, false},
		{"truncated", func(t *testing.T, path string) { truncate(t, path, 50) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s, _ := openIVF(t, dir, 21_000)
			mustUpsert(t, s, ivfRecs(5, 500_000, 8)) // a tail, absorbed on save
			q := ivfRecs(1, 1, 11)[0].Vector
			want, err := s.Search(ctx, q, 10, facet.Filter{}, vector.SearchOptions{})
			if err != nil {
				t.Fatal(err)
			}
			nlist := s.idx.ivf.nlist
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			tt.damage(t, filepath.Join(dir, ivfFile))
			s2, err := Open(dir, ivfModel)
			if err != nil {
				t.Fatal(err)
			}
			defer s2.Close()
			s2.mu.RLock()
			v := s2.idx.ivf
			s2.mu.RUnlock()
			if tt.loaded && (v == nil || v.nlist != nlist || len(v.lists[v.tail()]) != 0) {
				t.Fatalf("saved index not loaded (%v)", v != nil)
			}
			got, err := s2.Search(ctx, q, 10, facet.Filter{}, vector.SearchOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if tt.loaded && !slices.Equal(got, want) {
				t.Errorf("after reopen %v, want %v", got, want)
			}
			if !tt.loaded && recallOf(got, exactSearch(t, s2, q, 10, facet.Filter{})) < 0.9 {
				t.Errorf("without a saved index: %v", got)
			}
			settleIVF(s2)
			checkIVF(t, s2)
		})
	}
}

// TestIVFConcurrent searches while writes cross the threshold and the
// background build runs (meaningful under -race).
func TestIVFConcurrent(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t, t.TempDir(), ivfModel)
	recs := ivfRecs(ivfMin+5000, 1, 12)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := s.Search(ctx, recs[i%100].Vector, 5, facet.Filter{Camera: "tenth"}, vector.SearchOptions{}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for lo := 0; lo < len(recs); lo += 2500 {
		mustUpsert(t, s, recs[lo:min(len(recs), lo+2500)])
		if err := s.Delete(ctx, []int64{int64(lo + 1)}); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	settleIVF(s)
	checkIVF(t, s)
}

func TestIndexedBySize(t *testing.T) {
	tests := []struct {
		n, dim int
		want   bool
	}{
		{ivfMin - 1, 32, false},
		{ivfMin, 32, true},
		{10_000, 512, false},
		{ivfMinWide - 1, 2048, false},
		{ivfMinWide, 2048, true},
		{10_000, 1024, true},
	}
	for _, tt := range tests {
		if got := indexed(tt.n, tt.dim); got != tt.want {
			t.Errorf("indexed(%d, %d) = %v, want %v", tt.n, tt.dim, got, tt.want)
		}
	}
}

// TestWideVectorsIndexedEarly: 6000 records of 2048 dimensions get an IVF
// index (an exact scan would read 48 MB per query) that still finds the
// exact neighbours of held-out queries.
func TestWideVectorsIndexedEarly(t *testing.T) {
	const n, dim = 6000, 2048
	m := vector.Model{Name: "wide", Dim: dim}
	s := mustOpen(t, t.TempDir(), m)
	data := clustered(n+50, dim, 5)
	recs := make([]vector.Record, n)
	for i := range recs {
		recs[i] = vector.Record{ID: int64(i + 1), Vector: data[i*dim : (i+1)*dim]}
	}
	mustUpsert(t, s, recs)
	settleIVF(s)
	checkIVF(t, s)
	if s.idx.ivf.cal == (calibration{}) {
		t.Error("index not calibrated")
	}
	ctx := context.Background()
	var recall float64
	for q := range 50 {
		qv := data[(n+q)*dim : (n+q+1)*dim]
		got, err := s.Search(ctx, qv, 10, facet.Filter{}, vector.SearchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		recall += recallOf(got, exactSearch(t, s, qv, 10, facet.Filter{}))
	}
	if recall /= 50; recall < 0.99 {
		t.Errorf("recall@10 %.3f, want ≥ 0.99", recall)
	}
}

// TestIVFLayoutAfterCompactionPersists: a training that renumbers the
// records after the last compaction, with no write since, must still be
// saved consistently with the snapshot (Close compacts again), or the
// reopened lists would hold the wrong records.
func TestIVFLayoutAfterCompactionPersists(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, ivfModel)
	recs := ivfRecs(21_000, 1, 7)
	for lo := 0; lo < len(recs); lo += 5000 {
		mustUpsert(t, s, recs[lo:min(len(recs), lo+5000)])
	}
	settleIVF(s)
	s.wmu.Lock()
	err := s.compact() // the log is folded, then a retraining renumbers
	if err == nil {
		s.rebuildIVF()
	}
	s.wmu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := mustOpen(t, dir, ivfModel)
	defer s2.Close()
	s2.mu.RLock()
	defer s2.mu.RUnlock()
	x, v := s2.idx, s2.idx.ivf
	if v == nil {
		t.Fatal("saved index not loaded")
	}
	all := make([]int32, x.len())
	for i := range all {
		all[i] = int32(i)
	}
	nearest := v.assignAll(x, all)
	wrong := 0
	for s, l := range v.of {
		if l != nearest[s] {
			wrong++
		}
	}
	if wrong > 0 {
		t.Fatalf("%d of %d records in a list not their nearest after reopen", wrong, x.len())
	}
}

// TestIVFLaysAbsorbedRecordsOutAgain: records absorbed into the lists
// after training are laid out contiguously again once they are many, the
// codes follow the new slots, and the order survives a reopen.
func TestIVFLaysAbsorbedRecordsOutAgain(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, _ := openIVF(t, dir, 30_000)
	s.mu.RLock()
	built := s.idx.ivf.built
	s.mu.RUnlock()
	fresh := ivfRecs(6000, 100_000, 21) // more than relayoutAt(36k), less than a retraining
	for lo := 0; lo < len(fresh); lo += 1000 {
		mustUpsert(t, s, fresh[lo:lo+1000])
	}
	settleIVF(s)
	checkIVF(t, s)
	s.mu.RLock()
	x, v := s.idx, s.idx.ivf
	if v.built != built {
		s.mu.RUnlock()
		t.Fatalf("index retrained at %d records; the test wants absorbs", v.built)
	}
	// Absorbs after the last layout may have left a few out of order.
	if v.moved >= relayoutAt(x.len()) || len(v.lists[v.tail()]) != 0 {
		s.mu.RUnlock()
		t.Fatalf("after maintenance %d records out of order, tail %d", v.moved, len(v.lists[v.tail()]))
	}
	if v.i8 == nil || (v.codes == nil) == codable(x.dim) {
		s.mu.RUnlock()
		t.Fatal("codes not computed again after the layout")
	}
	for sl := range x.len() {
		want := newInt8Codes(x.dim, 0)
		want.set(0, x.vecs[sl*x.dim:(sl+1)*x.dim])
		if !slices.Equal(v.i8.codes[sl*x.dim:(sl+1)*x.dim], want.codes) {
			s.mu.RUnlock()
			t.Fatalf("slot %d's byte code is not its vector's", sl)
		}
		if v.codes != nil {
			sign := newSignCodes(v.codes.mean, 0)
			sign.set(0, x.vecs[sl*x.dim:(sl+1)*x.dim])
			if !slices.Equal(v.codes.bits[sl*v.codes.nb:(sl+1)*v.codes.nb], sign.bits) {
				s.mu.RUnlock()
				t.Fatalf("slot %d's sign code is not its vector's", sl)
			}
		}
	}
	s.mu.RUnlock()
	q := fresh[17].Vector
	want := exactSearch(t, s, q, 10, facet.Filter{})
	got, err := s.Search(ctx, q, 10, facet.Filter{}, vector.SearchOptions{Nprobe: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("probing every list: %v, exact %v", got, want)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := mustOpen(t, dir, ivfModel)
	defer s2.Close()
	settleIVF(s2)
	checkIVF(t, s2)
	got, err = s2.Search(ctx, q, 10, facet.Filter{}, vector.SearchOptions{Nprobe: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("after reopen: %v, exact %v", got, want)
	}
}
