package embedded_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/simili/simili/search/bench"
	"github.com/simili/simili/search/vector"
	"github.com/simili/simili/search/vector/embedded"
)

// TestBenchHarness runs search/bench's Search (the `simili bench` search
// figures: fill through Upsert, Close, timed reopen, p50/p99/recall@10 with
// no filter and a 10% filter) against this store at the sizes in
// SIMILI_IVF_E2E, e.g. "100000x2048". Skipped unless set.
func TestBenchHarness(t *testing.T) {
	spec := os.Getenv("SIMILI_IVF_E2E")
	if spec == "" {
		t.Skip("set SIMILI_IVF_E2E=NxDIM[,…] to run")
	}
	for _, size := range strings.Split(spec, ",") {
		var n, dim int
		if _, err := fmt.Sscanf(size, "%dx%d", &n, &dim); err != nil {
			t.Fatalf("bad size %q", size)
		}
		dir := filepath.Join(t.TempDir(), size)
		rows, err := bench.Search(context.Background(), "embedded", func(_ context.Context, m vector.Model) (vector.Store, error) {
			return embedded.Open(dir, m)
		}, n, dim, 200, int64(n+dim), "", t.Logf)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			t.Logf("%d×%d filter %-4s p50 %.2f ms p99 %.2f ms recall@10 %.4f rss %.0f MB / raw %.0f MB (%.3f×) open %.0f ms",
				r.N, r.Dim, r.Filter, r.P50Ms, r.P99Ms, r.RecallAt10, r.StoreRSSMB, r.RawMB, r.StoreRSSMB/r.RawMB, r.OpenMs)
		}
	}
}
