package embedded

import (
	"context"
	"errors"
	"math/rand"
	"path/filepath"
	"sync"
	"testing"

	"github.com/simili/simili/library/facet"
	"github.com/simili/simili/search/vector"
)

// TestOpenReadOnlyWhileWriterHolds: a store held for writing (as by a
// running `simili index`) can still be opened for searching, and the
// reader sees what the writer had written, snapshot and log alike.
func TestOpenReadOnlyWhileWriterHolds(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "store")
	r := rand.New(rand.NewSource(1))
	w := mustOpen(t, dir, testModel)
	first := records(r, 50, 1, testModel.Dim)
	mustUpsert(t, w, first)
	if err := w.compact(); err != nil { // the first 50 go to the snapshot
		t.Fatal(err)
	}
	mustUpsert(t, w, records(r, 30, 51, testModel.Dim)) // these stay in the log
	if err := w.Delete(ctx, []int64{7}); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	if _, err := Open(dir, testModel); !errors.Is(err, ErrLocked) {
		t.Fatalf("a second writer: %v, want ErrLocked", err)
	}
	ro, err := OpenReadOnly(dir, testModel)
	if err != nil {
		t.Fatalf("OpenReadOnly while a writer holds the store: %v", err)
	}
	defer ro.Close()
	if n, err := ro.Count(ctx); err != nil || n != 79 {
		t.Fatalf("read-only count = %d, %v; want 79 (50 snapshot + 30 log - 1 deleted)", n, err)
	}
	hits, err := ro.Search(ctx, first[10].Vector, 1, facet.Filter{}, vector.SearchOptions{})
	if err != nil || len(hits) != 1 || hits[0].ID != first[10].ID || hits[0].Score < 0.999 {
		t.Fatalf("search for record %d: %+v, %v", first[10].ID, hits, err)
	}
	if err := ro.Upsert(ctx, records(r, 1, 500, testModel.Dim)); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("upsert on a read-only store: %v, want ErrReadOnly", err)
	}
	if err := ro.Delete(ctx, []int64{1}); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("delete on a read-only store: %v, want ErrReadOnly", err)
	}
	if err := ro.Close(); err != nil {
		t.Fatal(err)
	}
	// The writer is unaffected by the reader.
	mustUpsert(t, w, records(r, 1, 200, testModel.Dim))
	if n, _ := w.Count(ctx); n != 80 {
		t.Fatalf("writer count after the reader closed = %d, want 80", n)
	}

	empty, err := OpenReadOnly(filepath.Join(t.TempDir(), "never-written"), testModel)
	if err != nil {
		t.Fatalf("OpenReadOnly of a store never written: %v", err)
	}
	if n, _ := empty.Count(ctx); n != 0 {
		t.Fatalf("never-written store holds %d", n)
	}
	empty.Close()
	if _, err := OpenReadOnly(dir, vector.Model{Name: "other", Dim: 8}); !errors.Is(err, vector.ErrModelMismatch) {
		t.Fatalf("read-only open with another model: %v, want ErrModelMismatch", err)
	}
}

// TestOpenReadOnlyDuringCompactions: readers opening while the writer
// appends and compacts all the time always see a whole number of batches
// (no torn entry, no snapshot and log from different generations) and
// never fail.
func TestOpenReadOnlyDuringCompactions(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "store")
	w := mustOpen(t, dir, testModel)
	w.compactAt = 1 // compact whenever the log outgrows the snapshot
	const batch, batches = 7, 300
	r := rand.New(rand.NewSource(2))
	var wg sync.WaitGroup
	wg.Add(1)
	done := make(chan struct{})
	go func() {
		defer wg.Done()
		defer close(done)
		for i := range batches {
			if err := w.Upsert(ctx, records(r, batch, int64(1+i*batch), testModel.Dim)); err != nil {
				t.Errorf("upsert: %v", err)
				return
			}
		}
	}()
	opens, last := 0, 0
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		ro, err := OpenReadOnly(dir, testModel)
		if err != nil {
			t.Fatalf("OpenReadOnly during writes: %v", err)
		}
		n, _ := ro.Count(ctx)
		ro.Close()
		opens++
		if n%batch != 0 || n < last {
			t.Fatalf("read-only view holds %d records after %d: not whole batches of %d, or went back", n, last, batch)
		}
		last = n
	}
	wg.Wait()
	if opens < 10 {
		t.Logf("only %d read-only opens overlapped the writes", opens)
	}
	ro, err := OpenReadOnly(dir, testModel)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if n, _ := ro.Count(ctx); n != batch*batches {
		t.Fatalf("after the writes: %d records, want %d", n, batch*batches)
	}
}
