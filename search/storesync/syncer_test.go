package storesync

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/simili/simili/library/catalog"
	"github.com/simili/simili/search/vector"
	"github.com/simili/simili/search/vector/embedded"
)

var model = vector.Model{Name: "synctest", Dim: 4}

// library makes a catalog with n embedded photos (ids 1..n) and an empty
// embedded store.
func library(t *testing.T, n int) (*catalog.Catalog, *embedded.Store) {
	t.Helper()
	ctx := t.Context()
	dir := t.TempDir()
	cat, err := catalog.Open(ctx, filepath.Join(dir, "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cat.Close() })
	for i := 1; i <= n; i++ {
		p := &catalog.Photo{Path: fmt.Sprintf("/pics/%03d.jpg", i), Size: 1, ModTime: time.Unix(int64(i), 0), Hash: fmt.Sprintf("h%03d", i), Model: "DMC-FX33"}
		if err := cat.PutPhoto(ctx, p, 1); err != nil {
			t.Fatal(err)
		}
		if p.ID != int64(i) {
			t.Fatalf("photo %d got id %d", i, p.ID)
		}
		if err := cat.PutEmbedding(ctx, p.Hash, model.Name, []float32{1, float32(i), 0, 0}); err != nil {
			t.Fatal(err)
		}
	}
	st, err := embedded.Open(filepath.Join(dir, "vectors"), model)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return cat, st
}

// lossyStore acknowledges every upsert but loses the given ids the first
// `times` times they are sent, as a store that fails to persist
// acknowledged writes (a full disk, a crash before they were durable) does.
type lossyStore struct {
	*embedded.Store
	mu    sync.Mutex
	lose  map[int64]int // id → how many more sends to lose
	calls int
}

func (s *lossyStore) Upsert(ctx context.Context, recs []vector.Record) error {
	s.mu.Lock()
	s.calls++
	var kept []vector.Record
	for _, r := range recs {
		if s.lose[r.ID] > 0 {
			s.lose[r.ID]--
			continue
		}
		kept = append(kept, r)
	}
	s.mu.Unlock()
	return s.Store.Upsert(ctx, kept)
}

// TestSyncChecksIDs reproduces issue 14 case 2's "sync reports success
// with 5,197 vectors for 5,200 photos": the work was recorded as pending
// (so no count reconciliation ran) and the store lost some acknowledged
// writes. Sync must send them again, and if the store keeps losing them,
// fail naming them instead of reporting success.
func TestSyncChecksIDs(t *testing.T) {
	tests := []struct {
		name        string
		lose        map[int64]int
		wantMissing []int64 // after the sync; nil: it succeeds
	}{
		{"lost once, sent again", map[int64]int{7: 1, 19: 1, 40: 1}, nil},
		{"lost every time", map[int64]int{7: 1, 19: 99, 40: 99}, []int64{19, 40}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			cat, st := library(t, 50)
			store := &lossyStore{Store: st, lose: tt.lose}
			s := New(cat, store, "lossy", 16, nil)
			ids, _ := cat.EmbeddedIDs(ctx, model.Name)
			if err := cat.MarkPending(ctx, "lossy", model.Name, catalog.SyncUpsert, ids); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Reconcile(ctx); err != nil {
				t.Fatal(err)
			}
			_, err := s.Push(ctx, nil)
			stored, _ := st.IDs(ctx)
			if tt.wantMissing == nil {
				if err != nil || len(stored) != 50 {
					t.Fatalf("push: %v; store holds %d of 50", err, len(stored))
				}
				return
			}
			var le *LagError
			if !errors.As(err, &le) || !slices.Equal(le.Diff.Missing, tt.wantMissing) || len(le.Diff.Extra) != 0 {
				t.Fatalf("push with a store that loses %v: err = %v; want a LagError naming %v", tt.lose, err, tt.wantMissing)
			}
			if len(stored) != 48 {
				t.Fatalf("store holds %d, want 48", len(stored))
			}
		})
	}
}

// TestDiffFindsExtraIDs checks that ids the store holds for photos the
// catalog no longer has are found by id and deleted by the sync, even
// when the counts agree (one photo lost, one deleted photo left behind).
func TestDiffFindsExtraIDs(t *testing.T) {
	ctx := t.Context()
	cat, st := library(t, 10)
	s := New(cat, st, "embedded", 0, nil)
	if _, err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Push(ctx, nil); err != nil {
		t.Fatal(err)
	}
	// The store loses photo 3, and keeps photo 99 the catalog never had.
	if err := st.Delete(ctx, []int64{3}); err != nil {
		t.Fatal(err)
	}
	if err := st.Upsert(ctx, []vector.Record{{ID: 99, Vector: []float32{0, 0, 1, 0}}}); err != nil {
		t.Fatal(err)
	}
	d, err := s.Diff(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Exact || !slices.Equal(d.Missing, []int64{3}) || !slices.Equal(d.Extra, []int64{99}) || d.Lag() != 2 {
		t.Fatalf("diff = %+v; want missing [3], extra [99], checked by id", d)
	}
	if _, err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Push(ctx, nil); err != nil {
		t.Fatal(err)
	}
	ids, _ := st.IDs(ctx)
	if !slices.Equal(ids, []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}) {
		t.Fatalf("after sync the store holds %v", ids)
	}
}

// TestRefusedRecordIsSetAside reproduces issue 14 case 3 on the store
// contract: one record the store refuses (here a vector of the wrong
// length, as a corrupt catalog row would give) must not keep the 14 valid
// photos of its batch out, nor fail every later sync. It is set aside with
// the store's reason and left out of the pending work.
func TestRefusedRecordIsSetAside(t *testing.T) {
	ctx := t.Context()
	cat, st := library(t, 15)
	bad, err := cat.Photo(ctx, 9)
	if err != nil {
		t.Fatal(err)
	}
	if err := cat.PutEmbedding(ctx, bad.Hash, model.Name, []float32{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	for run := range 2 { // the second run must not fail either
		s := New(cat, st, "embedded", 0, nil)
		if _, err := s.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Push(ctx, nil); err != nil {
			t.Fatalf("run %d: push: %v", run, err)
		}
		ids, _ := st.IDs(ctx)
		if len(ids) != 14 || slices.Contains(ids, 9) {
			t.Fatalf("run %d: store holds %v; want the 14 valid photos", run, ids)
		}
		aside, err := cat.AsideList(ctx, "embedded", model.Name, -1)
		if err != nil || len(aside) != 1 || aside[0].PhotoID != 9 || aside[0].Path != bad.Path || aside[0].Reason == "" {
			t.Fatalf("run %d: set aside %+v (%v); want photo 9 with a reason", run, aside, err)
		}
		if n, _ := s.Pending(ctx); n != 0 {
			t.Fatalf("run %d: %d pending, want 0", run, n)
		}
	}
	// Fixed (the photo changed and was embedded again): it goes in and
	// leaves the set-aside list.
	if err := cat.PutEmbedding(ctx, bad.Hash, model.Name, []float32{0, 1, 0, 0}); err != nil {
		t.Fatal(err)
	}
	s := New(cat, st, "embedded", 0, nil)
	if err := s.Upsert(ctx, 9, []float32{0, 1, 0, 0}, bad.VectorMeta()); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if aside, _ := cat.AsideList(ctx, "embedded", model.Name, -1); len(aside) != 0 {
		t.Fatalf("after the fix: set aside %+v, want none", aside)
	}
	if n, _ := st.Count(ctx); n != 15 {
		t.Fatalf("after the fix the store holds %d, want 15", n)
	}
}
