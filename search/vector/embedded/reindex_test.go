package embedded

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/simili/simili/library/facet"
	"github.com/simili/simili/search/vector"
)

// grownIVF returns a store of 20,000 records trained on all of them, then
// grown by 10,000 written after the training (absorbed, not trained on).
func grownIVF(t *testing.T) *Store {
	t.Helper()
	s, _ := openIVF(t, t.TempDir(), 20_000)
	mustUpsert(t, s, ivfRecs(10_000, 20_001, 8))
	settleIVF(s)
	if b := s.idx.ivf.built; b != 20_000 {
		t.Fatalf("index trained on %d records before Optimize, want 20000 (the store retrained by itself)", b)
	}
	return s
}

func TestOptimizeRetrainsAnIndexTrainedOnTooFewRecords(t *testing.T) {
	s := grownIVF(t)
	ctx := context.Background()
	before := s.idx.ivf
	if err := s.Optimize(ctx); err != nil {
		t.Fatal(err)
	}
	s.mu.RLock()
	v := s.idx.ivf
	s.mu.RUnlock()
	if v == before || v.built != 30_000 {
		t.Fatalf("after Optimize the index was trained on %d records (new index: %v), want all 30000", v.built, v != before)
	}
	if v.cal == (calibration{}) || v.cal.at != 30_000 {
		t.Fatalf("after Optimize the probe counts were measured at %d records, want 30000", v.cal.at)
	}
	checkIVF(t, s)

	// Trained on every record now: nothing to do, the index stays.
	if err := s.Optimize(ctx); err != nil {
		t.Fatal(err)
	}
	if s.idx.ivf != v {
		t.Fatal("Optimize retrained an index trained on every record")
	}

	// Searches find what an exact scan finds.
	queries := ivfRecs(20_100, 1, 7)[20_000:] // held out, around the same centres
	var recall float64
	for _, q := range queries {
		got, err := s.Search(ctx, q.Vector, 10, facet.Filter{}, vector.SearchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		recall += recallOf(got, exactSearch(t, s, q.Vector, 10, facet.Filter{}))
	}
	if r := recall / float64(len(queries)); r < 0.95 {
		t.Fatalf("recall@10 after Optimize %.3f, want ≥ 0.95", r)
	}
}

func TestReindexAlwaysTrainsAgainAndSurvivesReopen(t *testing.T) {
	s, _ := openIVF(t, t.TempDir(), 20_000)
	dir := s.dir
	before := s.idx.ivf
	if err := s.Reindex(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s.idx.ivf == before || s.idx.ivf.built != 20_000 {
		t.Fatal("Reindex kept the old index")
	}
	checkIVF(t, s)
	nlist := s.idx.ivf.nlist
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	r := mustOpen(t, dir, ivfModel)
	defer r.Close()
	if r.idx.ivf == nil || r.idx.ivf.nlist != nlist || r.idx.ivf.built != 20_000 {
		t.Fatalf("reopened store has index %+v, want the reindexed one (%d lists)", r.idx.ivf, nlist)
	}
	checkIVF(t, r)
}

func TestReindexEdgeCases(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name  string
		store func(t *testing.T) *Store
		ctx   context.Context
		want  error
	}{
		{"too small for an index", func(t *testing.T) *Store {
			s := mustOpen(t, t.TempDir(), ivfModel)
			mustUpsert(t, s, ivfRecs(100, 1, 1))
			return s
		}, context.Background(), nil},
		{"cancelled before it starts", grownIVF, cancelled, context.Canceled},
		{"read-only", func(t *testing.T) *Store {
			w, _ := openIVF(t, t.TempDir(), 20_000)
			dir := w.dir
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			s, err := OpenReadOnly(dir, ivfModel)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}, context.Background(), ErrReadOnly},
		{"closed", func(t *testing.T) *Store {
			s := mustOpen(t, t.TempDir(), ivfModel)
			s.Close()
			return s
		}, context.Background(), ErrClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.store(t)
			defer s.Close()
			for _, call := range []func(context.Context) error{s.Reindex, s.Optimize} {
				if err := call(tt.ctx); !errors.Is(err, tt.want) {
					t.Fatalf("got %v, want %v", err, tt.want)
				}
			}
			if tt.want == nil {
				if s.idx.ivf != nil {
					t.Fatal("a store too small for an index got one")
				}
			}
		})
	}
}

// TestReindexGivesUpWaitingWhenCancelled holds the writer lock as a long
// training does: Reindex and Optimize must return with the context's error
// when it ends, not block until the lock is free.
func TestReindexGivesUpWaitingWhenCancelled(t *testing.T) {
	s := grownIVF(t)
	defer s.Close()
	s.wmu.Lock() // a training in progress
	for _, call := range []func(context.Context) error{s.Reindex, s.Optimize, s.WaitIndexed} {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		done := make(chan error, 1)
		go func() { done <- call(ctx) }()
		select {
		case err := <-done:
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("got %v, want the context's deadline", err)
			}
		case <-time.After(5 * time.Second):
			s.wmu.Unlock() // let the stuck call and Close finish
			t.Fatal("still waiting for the writer lock 5 s after its context ended")
		}
		cancel()
	}
	s.wmu.Unlock()
}

// TestReindexCancelledMidwayLosesNothing cancels the wait a moment after
// the training starts: whether or not it was still running, Close then
// saves a store that reopens with every record and a consistent index.
func TestReindexCancelledMidwayLosesNothing(t *testing.T) {
	s := grownIVF(t)
	dir := s.dir
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Millisecond)
	defer cancel()
	if err := s.Reindex(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Reindex: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	r := mustOpen(t, dir, ivfModel)
	defer r.Close()
	if n, _ := r.Count(context.Background()); n != 30_000 {
		t.Fatalf("reopened store holds %d records, want 30000", n)
	}
	if err := r.WaitIndexed(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkIVF(t, r)
}
