package embedded

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/simili/simili/library/facet"
	"github.com/simili/simili/search/vector"
	"github.com/simili/simili/search/vector/vectortest"
)

func TestConformance(t *testing.T) {
	base := t.TempDir()
	vectortest.Run(t, vectortest.Harness{
		Open: func(t *testing.T, m vector.Model) (vector.Store, error) {
			return Open(filepath.Join(base, filepath.FromSlash(t.Name())), m)
		},
	})
}

var testModel = vector.Model{Name: "test", Dim: 8}

func randVec(r *rand.Rand, dim int) []float32 {
	v := make([]float32, dim)
	var s float64
	for i := range v {
		v[i] = float32(r.NormFloat64())
		s += float64(v[i]) * float64(v[i])
	}
	for i := range v {
		v[i] /= float32(math.Sqrt(s))
	}
	return v
}

func records(r *rand.Rand, n int, first int64, dim int) []vector.Record {
	out := make([]vector.Record, n)
	for i := range out {
		out[i] = vector.Record{ID: first + int64(i), Vector: randVec(r, dim), Meta: facet.Meta{Model: fmt.Sprint("cam", i%3), Folder: "/f"}}
	}
	return out
}

func mustOpen(t testing.TB, dir string, m vector.Model) *Store {
	t.Helper()
	s, err := Open(dir, m)
	if err != nil {
		t.Fatalf("open %s: %v", dir, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func mustUpsert(t testing.TB, s *Store, recs []vector.Record) {
	t.Helper()
	if err := s.Upsert(context.Background(), recs); err != nil {
		t.Fatalf("upsert: %v", err)
	}
	if err := s.Flush(context.Background()); err != nil {
		t.Fatalf("flush: %v", err)
	}
}

func storedIDs(t *testing.T, s *Store) []int64 {
	t.Helper()
	s.mu.RLock()
	defer s.mu.RUnlock()
	ids := slices.Clone(s.idx.ids)
	slices.Sort(ids)
	return ids
}

func idRange(first int64, n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = first + int64(i)
	}
	return out
}

// crash simulates the process dying after its last Flush: files are closed
// and the lock released without the compaction Close would do.
func crash(t *testing.T, s *Store) {
	t.Helper()
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	if err := s.wal.Close(); err != nil {
		t.Fatal(err)
	}
	if err := unlockDir(s.lock); err != nil {
		t.Fatal(err)
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// TestTornLog damages the last log entry the ways a crash can and checks
// that Open keeps everything before it, drops it, and truncates the log.
func TestTornLog(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, path string, lastAt, size int64)
	}{
		{"cut last byte", func(t *testing.T, path string, _, size int64) { truncate(t, path, size-1) }},
		{"cut inside entry header", func(t *testing.T, path string, lastAt, _ int64) { truncate(t, path, lastAt+3) }},
		{"cut right after entry header", func(t *testing.T, path string, lastAt, _ int64) { truncate(t, path, lastAt+entryHeaderSize) }},
		{"payload byte flipped", func(t *testing.T, path string, _, size int64) { flip(t, path, size-5) }},
		{"zero-filled payload", func(t *testing.T, path string, lastAt, size int64) {
			writeAt(t, path, make([]byte, size-lastAt-entryHeaderSize), lastAt+entryHeaderSize)
		}},
		{"zero fill after torn entry", func(t *testing.T, path string, _, size int64) {
			flip(t, path, size-5)
			writeAt(t, path, make([]byte, 4096), size)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			r := rand.New(rand.NewSource(1))
			s := mustOpen(t, dir, testModel)
			first, last := records(r, 20, 1, testModel.Dim), records(r, 5, 100, testModel.Dim)
			mustUpsert(t, s, first)
			if err := s.Delete(context.Background(), []int64{1, 2}); err != nil {
				t.Fatal(err)
			}
			lastAt := s.walSize
			mustUpsert(t, s, last)
			crash(t, s)

			path := filepath.Join(dir, walFile)
			tt.damage(t, path, lastAt, fileSize(t, path))

			s2 := mustOpen(t, dir, testModel)
			if got, want := storedIDs(t, s2), idRange(3, 18); !slices.Equal(got, want) {
				t.Fatalf("after torn log: ids %v, want %v", got, want)
			}
			if got := fileSize(t, path); got != lastAt {
				t.Errorf("log is %d bytes, want it truncated to %d", got, lastAt)
			}
			// The store keeps working and the re-written tail survives.
			mustUpsert(t, s2, last)
			crash(t, s2)
			s3 := mustOpen(t, dir, testModel)
			if got, want := len(storedIDs(t, s3)), 23; got != want {
				t.Errorf("after rewrite: %d records, want %d", got, want)
			}
		})
	}
}

func TestCorruptLogMiddle(t *testing.T) {
	dir := t.TempDir()
	r := rand.New(rand.NewSource(2))
	s := mustOpen(t, dir, testModel)
	mustUpsert(t, s, records(r, 10, 1, testModel.Dim))
	mustUpsert(t, s, records(r, 10, 100, testModel.Dim))
	crash(t, s)
	flip(t, filepath.Join(dir, walFile), walHeaderSize+entryHeaderSize+20) // inside the first entry
	_, err := Open(dir, testModel)
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("open with a corrupt entry followed by a good one: err = %v, want ErrCorrupt", err)
	}
}

func TestCorruptSnapshot(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, path string, size int64)
	}{
		{"empty", func(t *testing.T, path string, _ int64) { truncate(t, path, 0) }},
		{"cut to 10 bytes", func(t *testing.T, path string, _ int64) { truncate(t, path, 10) }},
		{"cut in half", func(t *testing.T, path string, size int64) { truncate(t, path, size/2) }},
		{"cut checksum", func(t *testing.T, path string, size int64) { truncate(t, path, size-2) }},
		{"bad magic", func(t *testing.T, path string, _ int64) { writeAt(t, path, []byte("XXXX"), 0) }},
		{"vector byte flipped", func(t *testing.T, path string, size int64) { flip(t, path, size-20) }},
		{"huge string count", func(t *testing.T, path string, _ int64) {
			writeAt(t, path, le.AppendUint32(nil, math.MaxUint32), int64(len(snapMagic)+4+4+8+4+len(testModel.Name)))
		}},
		{"huge name length", func(t *testing.T, path string, _ int64) {
			writeAt(t, path, le.AppendUint32(nil, math.MaxUint32), int64(len(snapMagic)+4+4+8))
		}},
		{"trailing garbage", func(t *testing.T, path string, size int64) { writeAt(t, path, []byte("garbage"), size) }},
		{"other dimension", func(t *testing.T, path string, _ int64) {
			writeAt(t, path, le.AppendUint32(nil, 9), int64(len(snapMagic)+4))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s := mustOpen(t, dir, testModel)
			mustUpsert(t, s, records(rand.New(rand.NewSource(3)), 50, 1, testModel.Dim))
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, snapFile)
			tt.damage(t, path, fileSize(t, path))
			s2, err := Open(dir, testModel)
			if err == nil {
				_ = s2.Close()
				t.Fatal("open with a corrupt snapshot succeeded")
			}
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("err = %v, want ErrCorrupt", err)
			}
			// The failed Open released the lock.
			if _, err := lockDir(filepath.Join(dir, lockFile)); err != nil {
				t.Errorf("lock after failed open: %v", err)
			}
		})
	}
}

func TestLocked(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, testModel)
	_, err := Open(dir, testModel)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: err = %v, want ErrLocked", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
	mustOpen(t, dir, testModel)
}

func TestModelMismatchError(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, testModel)
	mustUpsert(t, s, records(rand.New(rand.NewSource(4)), 3, 1, testModel.Dim))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, other := range []vector.Model{{Name: "other", Dim: 8}, {Name: "test", Dim: 9}, {Name: "resnet50", Dim: 2048}} {
		_, err := Open(dir, other)
		var me *vector.MismatchError
		if !errors.As(err, &me) {
			t.Fatalf("open with %v: err = %v, want *vector.MismatchError", other, err)
		}
		if me.Have != testModel || me.Want != other || me.Where != dir {
			t.Errorf("MismatchError = %+v, want Have %v Want %v Where %s", me, testModel, other, dir)
		}
	}
	if s := mustOpen(t, dir, testModel); len(storedIDs(t, s)) != 3 {
		t.Error("original store damaged by mismatched opens")
	}
}

func TestInvalidModel(t *testing.T) {
	for _, m := range []vector.Model{{Name: "", Dim: 8}, {Name: "x", Dim: 0}, {Name: "x", Dim: -1}} {
		if _, err := Open(t.TempDir(), m); err == nil {
			t.Errorf("Open with %v succeeded", m)
		}
	}
}

// TestStaleLogAfterCompaction covers a crash between installing a new
// snapshot and resetting the log: the log must be discarded, not replayed.
func TestStaleLogAfterCompaction(t *testing.T) {
	dir := t.TempDir()
	r := rand.New(rand.NewSource(5))
	s := mustOpen(t, dir, testModel)
	mustUpsert(t, s, records(r, 30, 1, testModel.Dim))
	if err := s.Delete(context.Background(), []int64{5}); err != nil {
		t.Fatal(err)
	}
	// Compact by hand up to the rename, then die.
	path := filepath.Join(dir, snapFile)
	if _, err := writeSnapshot(path+tmpSuffix, testModel, s.gen+1, s.idx); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+tmpSuffix, path); err != nil {
		t.Fatal(err)
	}
	crash(t, s)
	s2 := mustOpen(t, dir, testModel)
	if got := len(storedIDs(t, s2)); got != 29 {
		t.Errorf("%d records, want 29", got)
	}
	if got := fileSize(t, filepath.Join(dir, walFile)); got != walHeaderSize {
		t.Errorf("stale log is %d bytes, want reset to %d", got, walHeaderSize)
	}
}

func TestCompactsWhenLogOutgrowsSnapshot(t *testing.T) {
	dir := t.TempDir()
	r := rand.New(rand.NewSource(6))
	s := mustOpen(t, dir, testModel)
	s.compactAt = 1
	for i := range 10 {
		mustUpsert(t, s, records(r, 20, int64(i*100), testModel.Dim))
	}
	if s.gen < 2 {
		t.Errorf("generation %d after 10 growing batches, want compactions", s.gen)
	}
	if s.walSize > s.snapSize {
		t.Errorf("log %d bytes exceeds snapshot %d after compaction", s.walSize, s.snapSize)
	}
	want := storedIDs(t, s)
	crash(t, s)
	s2 := mustOpen(t, dir, testModel)
	if got := storedIDs(t, s2); !slices.Equal(got, want) {
		t.Errorf("after reopen: %d ids, want %d", len(got), len(want))
	}
}

func TestCloseCompacts(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, testModel)
	mustUpsert(t, s, records(rand.New(rand.NewSource(7)), 40, 1, testModel.Dim))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got := fileSize(t, filepath.Join(dir, walFile)); got != walHeaderSize {
		t.Errorf("log after Close is %d bytes, want %d", got, walHeaderSize)
	}
	if want := int64(len(snapMagic)+4+4+8+4+len(testModel.Name)+4+5*4+len("cam0cam1cam2/f")+8+4) + 40*(snapRecordFixed+4*int64(testModel.Dim)); fileSize(t, filepath.Join(dir, snapFile)) != want {
		t.Errorf("snapshot is %d bytes, want %d", fileSize(t, filepath.Join(dir, snapFile)), want)
	}
	ctx := context.Background()
	if _, err := s.Search(ctx, make([]float32, testModel.Dim), 1, facet.Filter{}, vector.SearchOptions{}); !errors.Is(err, ErrClosed) {
		t.Errorf("search after close: err = %v, want ErrClosed", err)
	}
	if err := s.Upsert(ctx, records(rand.New(rand.NewSource(7)), 1, 1, testModel.Dim)); !errors.Is(err, ErrClosed) {
		t.Errorf("upsert after close: err = %v, want ErrClosed", err)
	}
}

func TestVectorsNormalised(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t, t.TempDir(), testModel)
	r := rand.New(rand.NewSource(8))
	recs := records(r, 50, 1, testModel.Dim)
	for i := range recs[0].Vector {
		recs[0].Vector[i] *= 7 // a store must not trust callers to normalise
	}
	mustUpsert(t, s, recs)
	q := randVec(r, testModel.Dim)
	want, err := s.Search(ctx, q, 10, facet.Filter{}, vector.SearchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	scaled := slices.Clone(q)
	for i := range scaled {
		scaled[i] *= 0.01
	}
	got, err := s.Search(ctx, scaled, 10, facet.Filter{}, vector.SearchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if got[i].ID != want[i].ID || math.Abs(float64(got[i].Score-want[i].Score)) > 1e-5 {
			t.Fatalf("scaled query hit %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	self, err := s.Search(ctx, recs[0].Vector, 1, facet.Filter{}, vector.SearchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(self) != 1 || self[0].ID != 1 || math.Abs(float64(self[0].Score-1)) > 1e-5 {
		t.Errorf("unnormalised record searched by itself: %+v, want id 1 score 1", self)
	}
}

func TestRejectsBadInput(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t, t.TempDir(), testModel)
	r := rand.New(rand.NewSource(9))
	good := records(r, 3, 1, testModel.Dim)
	nan := slices.Clone(good[0].Vector)
	nan[2] = float32(math.NaN())
	inf := slices.Clone(good[0].Vector)
	inf[0] = float32(math.Inf(1))
	tests := []struct {
		name   string
		batch  []vector.Record
		dimErr bool
	}{
		{"short vector last", append(slices.Clone(good), vector.Record{ID: 9, Vector: good[0].Vector[:3]}), true},
		{"NaN", append(slices.Clone(good), vector.Record{ID: 9, Vector: nan}), false},
		{"Inf", []vector.Record{{ID: 9, Vector: inf}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Upsert(ctx, tt.batch)
			if err == nil {
				t.Fatal("upsert succeeded")
			}
			if got := errors.Is(err, vector.ErrDimension); got != tt.dimErr {
				t.Errorf("errors.Is(%v, ErrDimension) = %v, want %v", err, got, tt.dimErr)
			}
			if n, _ := s.Count(ctx); n != 0 {
				t.Errorf("a refused batch stored %d records; batches are all or nothing", n)
			}
		})
	}
	q := slices.Clone(nan)
	if _, err := s.Search(ctx, q, 5, facet.Filter{}, vector.SearchOptions{}); err == nil {
		t.Error("search with NaN query succeeded")
	}
	mustUpsert(t, s, good)
	for _, k := range []int{0, -1} {
		hits, err := s.Search(ctx, good[0].Vector, k, facet.Filter{}, vector.SearchOptions{})
		if err != nil || len(hits) != 0 {
			t.Errorf("k=%d: hits %v err %v, want none", k, hits, err)
		}
	}
}

func TestSearchCancelled(t *testing.T) {
	s := mustOpen(t, t.TempDir(), testModel)
	mustUpsert(t, s, records(rand.New(rand.NewSource(10)), 10, 1, testModel.Dim))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Search(ctx, make([]float32, testModel.Dim), 5, facet.Filter{}, vector.SearchOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

// TestCompiledFilterMatchesReference checks the integer-compiled filter the
// scan uses against facet.Filter.Match on random metadata and filters.
func TestCompiledFilterMatchesReference(t *testing.T) {
	r := rand.New(rand.NewSource(11))
	x := newIndex(1, 0)
	strs := []string{"", "Canon", "EOS", "/a", "/a/b", "/a/bc", "/a/b/c", "L"}
	pick := func() string { return strs[r.Intn(len(strs))] }
	when := func() time.Time {
		if r.Intn(5) == 0 {
			return time.Time{}
		}
		return time.Unix(int64(1_600_000_000+r.Intn(20)), int64(r.Intn(1e9)))
	}
	var metas []facet.Meta
	for range 300 {
		m := facet.Meta{TakenAt: when(), Make: pick(), Model: pick(), Lens: pick(), Folder: pick()}
		metas = append(metas, m)
		x.put(int64(len(metas)), []float32{1}, 1, x.compact(m))
	}
	for i := range 3000 {
		f := facet.Filter{From: when(), To: when(), Camera: pick(), Lens: pick(), Folder: pick()}
		if i%7 == 0 {
			f.Camera = "never seen"
		}
		c, ok := x.compile(f)
		for j, m := range metas {
			got := ok && (c.all || c.match(&x.metas[j]))
			if want := f.Match(m); got != want {
				t.Fatalf("filter %+v on %+v: compiled %v, Match %v", f, m, got, want)
			}
		}
	}
}

// TestParallelScan uses enough records for several workers and checks the
// merged heaps against a brute-force ranking.
func TestParallelScan(t *testing.T) {
	const n, dim, k = 3*minPerWorker + 17, 4, 25
	r := rand.New(rand.NewSource(12))
	x := newIndex(dim, n)
	vecs := make([][]float32, n)
	for i := range n {
		vecs[i] = randVec(r, dim)
		x.put(int64(i), vecs[i], 1, x.compact(facet.Meta{Lens: fmt.Sprint(i % 2)}))
	}
	q := randVec(r, dim)
	for _, f := range []facet.Filter{{}, {Lens: "1"}} {
		c, _ := x.compile(f)
		got, err := x.search(context.Background(), q, k, c)
		if err != nil {
			t.Fatal(err)
		}
		var want []cand
		for i, v := range vecs {
			if f.Lens == "" || fmt.Sprint(i%2) == f.Lens {
				want = append(want, cand{dot(q, v), int64(i)})
			}
		}
		slices.SortFunc(want, func(a, b cand) int {
			if better(a, b) {
				return -1
			}
			return 1
		})
		if len(got) != k {
			t.Fatalf("filter %+v: %d hits, want %d", f, len(got), k)
		}
		for i := range got {
			if got[i].ID != want[i].id || got[i].Score != want[i].score {
				t.Fatalf("filter %+v: hit %d = %+v, want %+v", f, i, got[i], want[i])
			}
		}
	}
}

func TestSwapDeleteKeepsSlicesDense(t *testing.T) {
	x := newIndex(2, 0)
	for i := range 5 {
		x.put(int64(i), []float32{float32(i), 0}, 1, meta{taken: int64(i)})
	}
	x.remove(1)
	x.remove(4) // the last slot
	x.remove(42)
	if len(x.vecs) != 3*2 || len(x.ids) != 3 || len(x.metas) != 3 || len(x.slot) != 3 {
		t.Fatalf("sizes vecs %d ids %d metas %d slots %d, want 6 3 3 3", len(x.vecs), len(x.ids), len(x.metas), len(x.slot))
	}
	for id, s := range x.slot {
		if x.ids[s] != id || x.vecs[int(s)*2] != float32(id) || x.metas[s].taken != id {
			t.Errorf("slot %d for id %d holds id %d vec %v taken %d", s, id, x.ids[s], x.vecs[int(s)*2], x.metas[s].taken)
		}
	}
}

func truncate(t *testing.T, path string, size int64) {
	t.Helper()
	if err := os.Truncate(path, size); err != nil {
		t.Fatal(err)
	}
}

func flip(t *testing.T, path string, at int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, at); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x5a
	if _, err := f.WriteAt(b, at); err != nil {
		t.Fatal(err)
	}
}

func writeAt(t *testing.T, path string, b []byte, at int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, at); err != nil {
		t.Fatal(err)
	}
}
