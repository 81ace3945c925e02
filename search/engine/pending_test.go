package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/simili/simili/internal/testenv"
	"github.com/simili/simili/library/catalog"
	"github.com/simili/simili/search/vector"
	"github.com/simili/simili/search/vector/embedded"
)

// TestIndexSendsWorkLeftPending checks that vectors kept pending while the
// store was away reach it on the next index run, without `simili sync`.
// The store is the real embedded one behind an opener that can fail the way
// an unreachable server does; TestMilvusOutage does this with a real server.
func TestIndexSendsWorkLeftPending(t *testing.T) {
	requireRuntime(t)
	src := testenv.Holidays(t)
	dir := t.TempDir()
	const photos = 12
	names, err := filepath.Glob(filepath.Join(src, "*.jpg"))
	if err != nil || len(names) < photos {
		t.Fatalf("%d photos in %s (%v); want at least %d", len(names), src, err, photos)
	}
	for _, path := range names[:photos] {
		name := filepath.Base(path)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	eng, err := Open(t.Context(), testConfig(t, t.TempDir()), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	var down atomic.Bool
	down.Store(true)
	m, cfg := eng.VectorModel(), eng.Config()
	eng.store = newLazyStore(m, func(ctx context.Context) (vector.Store, error) {
		if down.Load() {
			return nil, fmt.Errorf("test server is down: %w", vector.ErrUnavailable)
		}
		return openStore(ctx, cfg, m, "")
	})
	eng.store.retryWait = 0

	res, err := eng.Index(t.Context(), []string{dir}, IndexOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Processed != photos || res.Pending != photos || res.StoreOffline == nil {
		t.Fatalf("store down: processed %d, pending %d, offline %v; want %d, %d and the outage reported", res.Processed, res.Pending, res.StoreOffline, photos, photos)
	}

	down.Store(false)
	res, err = eng.Index(t.Context(), []string{dir}, IndexOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n, err := eng.store.Count(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if res.Processed != 0 || res.Pending != 0 || res.StoreOffline != nil || n != photos {
		t.Fatalf("store back: processed %d, pending %d, offline %v, store holds %d; want 0, 0, nil, %d", res.Processed, res.Pending, res.StoreOffline, n, photos)
	}
}

// TestEmptyStoreSaysToSync checks that searching a store the library was
// never synced to names the fix instead of reporting no matches.
func TestEmptyStoreSaysToSync(t *testing.T) {
	exact, _ := holidaysEngine(t)
	eng, err := Open(t.Context(), exact.Config(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	dir, m := t.TempDir(), eng.VectorModel()
	eng.store = newLazyStore(m, func(context.Context) (vector.Store, error) { return embedded.Open(dir, m) })
	_, err = eng.SimilarToPhoto(t.Context(), 1, SimilarQuery{K: 3})
	if err == nil || !strings.Contains(err.Error(), "simili sync") {
		t.Fatalf("search of an empty store: %v; want an error that says to run simili sync", err)
	}

	// While an index runs, its vectors are on their way: say so rather
	// than send the user to a sync that the index's lock would refuse.
	id, err := eng.cat.BeginScan(t.Context(), nil, m.Name)
	if err != nil {
		t.Fatal(err)
	}
	_, err = eng.SimilarToPhoto(t.Context(), 1, SimilarQuery{K: 3})
	if endErr := eng.cat.EndScan(t.Context(), catalog.ScanRecord{ID: id, State: "cancelled"}); endErr != nil {
		t.Fatal(endErr)
	}
	if err == nil || !strings.Contains(err.Error(), "an index is running") {
		t.Fatalf("search of an empty store during an index: %v; want an error that says an index is running", err)
	}
}
