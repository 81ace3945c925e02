package storesync

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"

	"github.com/simili/simili/library/facet"
	"github.com/simili/simili/search/vector"
	"github.com/simili/simili/search/vector/embedded"
)

// flakyStore is a store whose server can go away: while down, every call
// fails with vector.ErrUnavailable, as the Milvus store's calls do when the
// server is unreachable.
type flakyStore struct {
	*embedded.Store
	mu   sync.Mutex
	down bool
}

func (s *flakyStore) setDown(d bool) { s.mu.Lock(); s.down = d; s.mu.Unlock() }

func (s *flakyStore) away() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		return fmt.Errorf("connect to milvus://test: connection refused: %w", vector.ErrUnavailable)
	}
	return nil
}

func (s *flakyStore) Upsert(ctx context.Context, recs []vector.Record) error {
	if err := s.away(); err != nil {
		return err
	}
	return s.Store.Upsert(ctx, recs)
}

func (s *flakyStore) Delete(ctx context.Context, ids []int64) error {
	if err := s.away(); err != nil {
		return err
	}
	return s.Store.Delete(ctx, ids)
}

func (s *flakyStore) Count(ctx context.Context) (int, error) {
	if err := s.away(); err != nil {
		return 0, err
	}
	return s.Store.Count(ctx)
}

func (s *flakyStore) IDs(ctx context.Context) ([]int64, error) {
	if err := s.away(); err != nil {
		return nil, err
	}
	return s.Store.IDs(ctx)
}

func (s *flakyStore) Flush(ctx context.Context) error {
	if err := s.away(); err != nil {
		return err
	}
	return s.Store.Flush(ctx)
}

// TestStoreAwayLosesNothing: a store that goes away in the middle of a run
// loses nothing. The run goes on without errors, everything it could not
// send (upserts and a delete) is pending in the catalog, a sync while the
// store is still away fails as unavailable and keeps it all, and the sync
// of a later run, once the store is back, delivers exactly the catalog.
func TestStoreAwayLosesNothing(t *testing.T) {
	ctx := t.Context()
	const n, batch = 40, 8
	cat, st := library(t, n)
	fs := &flakyStore{Store: st}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	vec := func(id int64) []float32 { return []float32{1, float32(id), 0, 0} } // as library() stored them

	run := New(cat, fs, "flaky", batch, quiet)
	for id := int64(1); id <= 16; id++ { // two whole batches reach the store
		if err := run.Upsert(ctx, id, vec(id), facet.Meta{Model: "DMC-FX33"}); err != nil {
			t.Fatal(err)
		}
	}
	if c, _ := fs.Count(ctx); c != 16 {
		t.Fatalf("store holds %d before the outage, want 16", c)
	}

	fs.setDown(true)
	for id := int64(17); id <= n; id++ {
		if err := run.Upsert(ctx, id, vec(id), facet.Meta{Model: "DMC-FX33"}); err != nil {
			t.Fatalf("upsert while the store is away: %v (the scan must go on)", err)
		}
	}
	// Photo 3 leaves the library (its file was deleted) during the outage.
	if err := cat.DeletePhotos(ctx, []int64{3}); err != nil {
		t.Fatal(err)
	}
	if err := run.Delete(ctx, []int64{3}); err != nil {
		t.Fatalf("delete while the store is away: %v", err)
	}
	if err := run.Flush(ctx); err != nil {
		t.Fatalf("flush while the store is away: %v", err)
	}
	if !errors.Is(run.Offline(), vector.ErrUnavailable) {
		t.Fatalf("Offline() = %v, want the unavailable error", run.Offline())
	}
	if p, err := run.Pending(ctx); err != nil || p != n-16+1 {
		t.Fatalf("pending = %d, %v; want %d upserts + 1 delete", p, err, n-16)
	}

	if _, err := New(cat, fs, "flaky", batch, quiet).Push(ctx, nil); !errors.Is(err, vector.ErrUnavailable) {
		t.Fatalf("sync while the store is away: %v, want ErrUnavailable", err)
	}
	if p, _ := run.Pending(ctx); p != n-16+1 {
		t.Fatalf("a failed sync changed pending to %d", p)
	}

	fs.setDown(false)
	later := New(cat, fs, "flaky", batch, quiet)
	applied, err := later.Push(ctx, nil)
	if err != nil {
		t.Fatalf("sync after the store came back: %v", err)
	}
	if applied < n-16+1 {
		t.Errorf("sync applied %d operations, want at least %d", applied, n-16+1)
	}
	if p, _ := later.Pending(ctx); p != 0 {
		t.Fatalf("%d still pending after the sync", p)
	}
	ids, err := fs.IDs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var want []int64
	for id := int64(1); id <= n; id++ {
		if id != 3 {
			want = append(want, id)
		}
	}
	if !slices.Equal(ids, want) {
		t.Fatalf("store ids after the sync:\n%v\nwant 1..%d without 3", ids, n)
	}
	// The vectors are the catalog's: a photo's own vector finds it first.
	for _, id := range []int64{17, 29, 40} {
		hits, err := fs.Search(ctx, vec(id), 1, facet.Filter{}, vector.SearchOptions{})
		if err != nil || len(hits) == 0 || hits[0].ID != id {
			t.Fatalf("search for photo %d's vector: %+v, %v", id, hits, err)
		}
	}
	if err := later.Verify(ctx); err != nil {
		t.Fatalf("verify after the sync: %v", err)
	}
}
