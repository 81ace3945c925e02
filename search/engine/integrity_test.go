package engine

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/simili/simili/internal/testenv"
	"github.com/simili/simili/library/facet"
	"github.com/simili/simili/search/storesync"
)

// copyHolidays copies n holidays photos, from the first'th on, into dir.
func copyHolidays(t *testing.T, dir string, first, n int) {
	t.Helper()
	src := testenv.Holidays(t)
	names, err := filepath.Glob(filepath.Join(src, "*.jpg"))
	if err != nil || len(names) < first+n {
		t.Fatalf("%d photos in %s (%v); want at least %d", len(names), src, err, first+n)
	}
	for _, path := range names[first : first+n] {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(path)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// killEnv tells the test binary, run again as a child, to index a folder
// and kill itself with SIGKILL part-way through.
const killEnv = "SIMILI_TEST_KILL_INDEX"

// TestKilledIndexChild is the child of TestKilledIndexLeavesNoSilentGap:
// it indexes with the library's default batching and SIGKILLs its own
// process once a few new photos are catalogued, before their vectors went
// to the store, as kill -9 does.
func TestKilledIndexChild(t *testing.T) {
	root := os.Getenv(killEnv)
	if root == "" {
		t.Skip("child process of TestKilledIndexLeavesNoSilentGap only")
	}
	cfg := testConfig(t, root)
	cfg.Workers = 1
	eng, err := Open(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Every photo is committed to the catalog as soon as it is done; its
	// vector goes to the store in batches. Kill once three new photos are
	// in the catalog.
	go func() {
		for {
			if n, err := eng.cat.Count(context.Background(), facet.Filter{}); err == nil && n >= 15 {
				syscall.Kill(os.Getpid(), syscall.SIGKILL)
			}
			time.Sleep(time.Millisecond)
		}
	}()
	_, err = eng.Index(context.Background(), []string{filepath.Join(root, "photos")}, IndexOptions{})
	t.Fatalf("index ended without being killed: %v", err)
}

// TestKilledIndexLeavesNoSilentGap reproduces issue 14 case 2: kill -9
// during an incremental index leaves photos catalogued and embedded that
// the store never received. Stats must count them (by id), a search must
// say the store lags, and sync must deliver them and check by id.
func TestKilledIndexLeavesNoSilentGap(t *testing.T) {
	requireRuntime(t)
	root := t.TempDir()
	photos := filepath.Join(root, "photos")
	if err := os.MkdirAll(photos, 0o755); err != nil {
		t.Fatal(err)
	}
	copyHolidays(t, photos, 0, 12)
	ctx := t.Context()
	eng, err := Open(ctx, testConfig(t, root), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Index(ctx, []string{photos}, IndexOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := eng.Close(); err != nil {
		t.Fatal(err)
	}

	copyHolidays(t, photos, 12, 8)
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledIndexChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), killEnv+"="+root)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child: %v, want killed by SIGKILL\n%s", err, out)
	}

	eng, err = Open(ctx, testConfig(t, root), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	catalogued, err := eng.cat.CountEmbedded(ctx, eng.VectorModel().Name)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := eng.store.Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if catalogued <= 12 || stored >= catalogued {
		t.Fatalf("after the kill: %d photos embedded, %d in the store; want more than 12 and a gap (the scenario did not happen)", catalogued, stored)
	}
	gap := catalogued - stored
	st, err := eng.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Pending != gap || st.Missing != gap || !st.PendingChecked {
		t.Errorf("stats after the kill: pending %d (missing %d, checked by id %v); want %d checked by id", st.Pending, st.Missing, st.PendingChecked, gap)
	}
	if lag, err := eng.StoreLag(ctx); err != nil || lag != gap {
		t.Errorf("StoreLag = %d, %v; want %d", lag, err, gap)
	}

	if _, err := eng.Sync(ctx, false, nil); err != nil {
		t.Fatalf("sync: %v", err)
	}
	if stored, err = eng.store.Count(ctx); err != nil || stored != catalogued {
		t.Fatalf("after sync the store holds %d (%v), want %d", stored, err, catalogued)
	}
	if st, err = eng.Stats(ctx); err != nil || st.Pending != 0 {
		t.Fatalf("stats after sync: pending %d (%v), want 0", st.Pending, err)
	}
	if err := storesync.New(eng.cat, eng.store, eng.StoreKey(), 0, nil).Verify(ctx); err != nil {
		t.Fatalf("verify after sync: %v", err)
	}
}

// TestScanRefusedByTheStoreLockIsNotLeftRunning reproduces issue 14 case
// 6's second half: an index refused because another process has the
// embedded store open stayed "running" in stats for ever.
func TestScanRefusedByTheStoreLockIsNotLeftRunning(t *testing.T) {
	requireRuntime(t)
	root := t.TempDir()
	photos := filepath.Join(root, "photos")
	if err := os.MkdirAll(photos, 0o755); err != nil {
		t.Fatal(err)
	}
	copyHolidays(t, photos, 0, 2)
	ctx := t.Context()
	holder, err := Open(ctx, testConfig(t, root), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	if err := holder.StoreStatus(ctx); err != nil {
		t.Fatal(err)
	}
	eng, err := Open(ctx, testConfig(t, root), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	if _, err := eng.Index(ctx, []string{photos}, IndexOptions{}); err == nil || !strings.Contains(err.Error(), "locked") {
		t.Fatalf("index while another engine holds the store: %v, want a lock error", err)
	}
	st, err := eng.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.LastScan != nil && st.LastScan.State == "running" {
		t.Fatalf("the refused scan is shown as %+v", *st.LastScan)
	}
}

// TestMilvusTwoLibrariesOnOneCollection reproduces issue 14 case 4 on the
// real server: two libraries with the same collection prefix overwrote
// each other's photos (catalog ids are per catalog), so a photo found
// another library's photo at score 1.0. The second library is refused
// with a message that says how to share the server, and the first one's
// search is untouched.
func TestMilvusTwoLibrariesOnOneCollection(t *testing.T) {
	requireRuntime(t)
	ctx := t.Context()
	var a, b *Engine
	var url string
	for i, eng := range []**Engine{&a, &b} {
		root := t.TempDir()
		photos := filepath.Join(root, "photos")
		if err := os.MkdirAll(photos, 0o755); err != nil {
			t.Fatal(err)
		}
		copyHolidays(t, photos, 3*i, 3)
		cfg := testConfig(t, root)
		if url == "" {
			probe, err := Open(ctx, cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			url = milvusStore(t, probe.VectorModel())
			probe.Close()
		}
		cfg.Store = url
		e, err := Open(ctx, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { e.Close() })
		*eng = e
		_, err = e.Index(ctx, []string{photos}, IndexOptions{})
		switch {
		case i == 0 && err != nil:
			t.Fatalf("first library: %v", err)
		case i == 1 && (err == nil || !strings.Contains(err.Error(), "belongs to another Simili library") || !strings.Contains(err.Error(), "prefix=")):
			t.Fatalf("second library on the same collection: %v; want a refusal that names ?prefix=", err)
		}
	}
	for id := int64(1); id <= 3; id++ {
		p, err := a.cat.Photo(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		ms, err := a.similarToVector(ctx, mustEmbedding(t, a, p.Hash), SimilarQuery{K: 1})
		if err != nil || len(ms) != 1 || ms[0].Photo.Path != p.Path {
			t.Fatalf("first library, photo %d: %+v, %v; want itself first", id, ms, err)
		}
	}
}

func mustEmbedding(t *testing.T, e *Engine, hash string) []float32 {
	t.Helper()
	v, ok, err := e.cat.Embedding(t.Context(), hash, e.VectorModel().Name)
	if err != nil || !ok {
		t.Fatalf("embedding of %s: %v, %v", hash, ok, err)
	}
	return v
}
