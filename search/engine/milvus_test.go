package engine

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/simili/simili/internal/testenv"
	"github.com/simili/simili/library/catalog"
	"github.com/simili/simili/library/facet"
	"github.com/simili/simili/library/scan"
	"github.com/simili/simili/search/vector"
	"github.com/simili/simili/search/vector/milvus"
)

// Environment of the Milvus integration tests: the server's address, and
// the script that stops and starts it (only for TestMilvusOutage).
const (
	milvusAddrEnv = "SIMILI_MILVUS_ADDR"
	milvusCtlEnv  = "SIMILI_MILVUS_CTL"
)

// milvusStore returns a store URL with a collection prefix of the test's
// own, dropped when the test ends, or skips when no server is configured.
func milvusStore(t *testing.T, m vector.Model) string {
	t.Helper()
	addr := os.Getenv(milvusAddrEnv)
	if addr == "" {
		testenv.Skipf(t, "%s not set: no Milvus server to test against (start one with scripts/milvus-server.sh start DIR)", milvusAddrEnv)
	}
	url := fmt.Sprintf("milvus://%s?prefix=e%d&index=HNSW", addr, time.Now().UnixNano())
	t.Cleanup(func() {
		cfg, err := milvus.ParseURL(url)
		if err != nil {
			t.Error(err)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		s, err := milvus.Open(ctx, cfg, m)
		if err != nil {
			t.Errorf("re-open to drop the test collection: %v", err)
			return
		}
		defer s.Close()
		if err := s.DropCollection(ctx); err != nil {
			t.Errorf("drop the test collection: %v", err)
		}
	})
	return url
}

// topPaths returns the paths of the k nearest neighbours of photo id.
func topPaths(t *testing.T, e *Engine, id int64, k int) []string {
	t.Helper()
	ms, err := e.SimilarToPhoto(t.Context(), id, SimilarQuery{K: k})
	if err != nil {
		t.Fatalf("%s: similar to photo %d: %v", e.StoreKey(), id, err)
	}
	return paths(ms)
}

// overlapWithEmbedded is the mean share of the embedded store's exact
// top-k, over every photo of the library, that e's store also returns.
// Photos are matched by path, so e may use another catalog.
func overlapWithEmbedded(t *testing.T, exact, e *Engine, k int) float64 {
	t.Helper()
	ref, err := exact.cat.List(t.Context(), catalog.Query{})
	if err != nil {
		t.Fatal(err)
	}
	mine, err := e.cat.List(t.Context(), catalog.Query{})
	if err != nil {
		t.Fatal(err)
	}
	idOf := make(map[string]int64, len(mine))
	for _, p := range mine {
		idOf[p.Path] = p.ID
	}
	var sum float64
	for _, p := range ref {
		id, ok := idOf[p.Path]
		if !ok {
			t.Fatalf("%s is not in %s's catalog", p.Path, e.StoreKey())
		}
		want := topPaths(t, exact, p.ID, k)
		got := map[string]bool{}
		for _, path := range topPaths(t, e, id, k) {
			got[path] = true
		}
		hit := 0
		for _, path := range want {
			if got[path] {
				hit++
			}
		}
		sum += float64(hit) / float64(len(want))
	}
	return sum / float64(len(ref))
}

// TestMilvusMatchesEmbedded fills a Milvus collection from the catalog of
// the holidays library (no model runs, for a sync as for a rebuild) and
// checks its HNSW neighbours and retrieval quality against the embedded
// store's exact search.
func TestMilvusMatchesEmbedded(t *testing.T) {
	exact, dir := holidaysEngine(t)
	cfg := exact.Config()
	cfg.Store = milvusStore(t, exact.VectorModel())
	mv, err := Open(t.Context(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer mv.Close()
	photos, err := mv.cat.Count(t.Context(), facet.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, rebuild := range []bool{false, true} {
		n, err := mv.Sync(t.Context(), rebuild, nil)
		if err != nil {
			t.Fatalf("sync (rebuild %v): %v", rebuild, err)
		}
		count, err := mv.store.Count(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if n != photos || count != photos {
			t.Fatalf("sync (rebuild %v) pushed %d, Milvus holds %d; want %d, the catalog's count", rebuild, n, count, photos)
		}
		if mv.embedder != nil {
			t.Fatalf("sync (rebuild %v) loaded the model", rebuild)
		}
	}
	overlap := overlapWithEmbedded(t, exact, mv, 10)
	t.Logf("Milvus HNSW top-10 overlap with the embedded store's exact top-10: %.4f over %d photos", overlap, photos)
	if overlap < 0.95 {
		t.Errorf("recall@10 against exact search %.4f, want ≥ 0.95", overlap)
	}
	want, err := exact.Evaluate(t.Context(), dir, IndexOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := mv.Evaluate(t.Context(), dir, IndexOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("eval: embedded mAP %.4f top-1 %.4f; Milvus mAP %.4f top-1 %.4f", want.MAP, want.Top1, got.MAP, got.Top1)
	if d := got.MAP - want.MAP; d < -0.01 || d > 0.01 {
		t.Errorf("Milvus mAP %.4f, embedded %.4f: want within 0.01", got.MAP, want.MAP)
	}
}

// milvusCtl runs the server control script (scripts/milvus-server.sh).
func milvusCtl(t *testing.T, ctl, action string) {
	t.Helper()
	start := time.Now()
	out, err := exec.Command(ctl, action).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", ctl, action, err, out)
	}
	t.Logf("milvus server %s took %v", action, time.Since(start).Round(time.Millisecond))
}

// TestMilvusOutage stops the real Milvus server halfway through indexing and
// checks that nothing is lost: the run finishes with the rest pending in the
// catalog, and after the restart a sync brings Milvus level with the catalog
// and its searches match the embedded store again. It stops the server
// other tests use, so it runs only in make test-milvus, after the other Milvus tests.
func TestMilvusOutage(t *testing.T) {
	ctl := os.Getenv(milvusCtlEnv)
	if ctl == "" {
		testenv.Skipf(t, "%s not set: this test stops and restarts the Milvus server, so it runs only in `make test-milvus` with %[1]s set to scripts/milvus-server.sh", milvusCtlEnv)
	}
	exact, dir := holidaysEngine(t)
	cfg := testConfig(t, t.TempDir())
	cfg.Store = milvusStore(t, exact.VectorModel())
	cfg.SyncBatch = 32 // so some photos reach Milvus before the outage
	eng, err := Open(t.Context(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()

	stopped := false
	restarted := false
	defer func() {
		if stopped && !restarted { // leave the server up for whoever comes next
			milvusCtl(t, ctl, "start")
		}
	}()
	res, err := eng.Index(t.Context(), []string{dir}, IndexOptions{Progress: func(p scan.Progress) {
		// The progress callback runs on the scan's own goroutine, so the
		// scan waits while the server goes down.
		if !stopped && p.Processed >= 130 {
			stopped = true
			milvusCtl(t, ctl, "stop")
		}
	}})
	if err != nil {
		t.Fatalf("index with the server gone: %v", err)
	}
	if !stopped {
		t.Fatal("the index run ended before the server was stopped")
	}
	t.Logf("index during the outage: processed %d, failed %d, pending %d, store: %v", res.Processed, res.Failed, res.Pending, res.StoreOffline)
	if res.Processed != 261 || res.Failed != 0 {
		t.Fatalf("processed %d, failed %d; want all 261 catalogued, 0 failed", res.Processed, res.Failed)
	}
	if res.StoreOffline == nil || res.Pending == 0 {
		t.Fatalf("StoreOffline %v, pending %d: want the outage reported with the photos it left pending", res.StoreOffline, res.Pending)
	}
	if pending, err := eng.Pending(t.Context()); err != nil || pending != res.Pending {
		t.Fatalf("catalog says %d pending (%v), the run said %d", pending, err, res.Pending)
	}

	milvusCtl(t, ctl, "start")
	restarted = true
	var pushed int
	deadline := time.Now().Add(3 * time.Minute)
	for {
		pushed, err = eng.Sync(t.Context(), false, nil)
		if err == nil || time.Now().After(deadline) {
			break
		}
		t.Logf("sync after the restart: %v; retrying", err)
		time.Sleep(2 * time.Second)
	}
	if err != nil {
		t.Fatalf("sync after the restart: %v", err)
	}
	photos, err := eng.cat.Count(t.Context(), facet.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	count, err := eng.store.Count(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	pending, err := eng.Pending(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("after the restart: sync pushed %d; Milvus holds %d, catalog %d, pending %d", pushed, count, photos, pending)
	if count != photos || pending != 0 {
		t.Fatalf("Milvus holds %d vectors, catalog %d photos, %d pending; want equal counts and nothing pending", count, photos, pending)
	}
	overlap := overlapWithEmbedded(t, exact, eng, 10)
	t.Logf("top-10 overlap with the embedded store after the outage: %.4f", overlap)
	if overlap < 0.95 {
		t.Errorf("recall@10 against the embedded store %.4f, want ≥ 0.95", overlap)
	}
}
