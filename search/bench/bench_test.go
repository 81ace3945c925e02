package bench

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/simili/simili/search/vector"
	"github.com/simili/simili/search/vector/embedded"
)

func TestSyntheticPhotoIsDetailedAndDeterministic(t *testing.T) {
	a := SyntheticPhoto(320, 240, 7)
	b := SyntheticPhoto(320, 240, 7)
	c := SyntheticPhoto(320, 240, 8)
	same, differ := true, false
	var mean, sq float64
	for i := range a.Pix {
		same = same && a.Pix[i] == b.Pix[i]
		differ = differ || a.Pix[i] != c.Pix[i]
		v := float64(a.Pix[i])
		mean += v
		sq += v * v
	}
	n := float64(len(a.Pix))
	std := math.Sqrt(sq/n - (mean/n)*(mean/n))
	if !same || !differ {
		t.Fatalf("same seed identical: %v; other seed differs: %v", same, differ)
	}
	if std < 20 {
		t.Fatalf("pixel spread %.1f: too flat to stand for a photo", std)
	}
}

func TestClusteredVectorsAreUnitLength(t *testing.T) {
	v := ClusteredVectors(100, 16, 1)
	for i := 0; i < 100; i++ {
		var s float64
		for _, x := range v[i*16 : (i+1)*16] {
			s += float64(x) * float64(x)
		}
		if math.Abs(s-1) > 1e-4 {
			t.Fatalf("vector %d has squared norm %v", i, s)
		}
	}
}

func TestSearchMeasuresAnExactStore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	rows, err := Search(context.Background(), "embedded", func(_ context.Context, m vector.Model) (vector.Store, error) {
		return embedded.Open(dir, m)
	}, 3000, 32, 20, 1, "", t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Filter != "none" || rows[1].Filter != "10%" {
		t.Fatalf("rows = %+v", rows)
	}
	for _, r := range rows {
		// The embedded store is exact: anything below 1 is a bug in the
		// store or in this benchmark's ground truth.
		if r.RecallAt10 != 1 || r.P99Ms < r.P50Ms || r.N != 3000 || r.RawMB <= 0 {
			t.Fatalf("row = %+v", r)
		}
		// The ten slowest, slowest first, each a different query of the
		// 20: the slowest is p99 at 20 queries, the tenth the median.
		if len(r.Slowest) != 10 || r.Slowest[0].Ms != r.P99Ms || r.Slowest[9].Ms != r.P50Ms {
			t.Fatalf("slowest = %+v (p50 %v, p99 %v)", r.Slowest, r.P50Ms, r.P99Ms)
		}
		seen := map[int]bool{}
		for i, q := range r.Slowest {
			if q.Query < 0 || q.Query >= 20 || seen[q.Query] || (i > 0 && q.Ms > r.Slowest[i-1].Ms) {
				t.Fatalf("slowest = %+v", r.Slowest)
			}
			seen[q.Query] = true
		}
	}
}

func TestSlowest(t *testing.T) {
	got := slowest([]float64{1, 5, 3, 5, 2}, 3)
	want := []QueryTime{{1, 5}, {3, 5}, {2, 3}}
	if !slices.Equal(got, want) {
		t.Fatalf("slowest = %v, want %v", got, want)
	}
	if got := slowest([]float64{4}, 10); len(got) != 1 || got[0] != (QueryTime{0, 4}) {
		t.Fatalf("one query: %v", got)
	}
}

// TestSearchCachesItsGroundTruth runs the same row twice with a cache
// folder: the second run takes the ground truth from it and still finds
// the exact store exact; a damaged copy is computed again, and another
// draw (seed) never reuses the first one's answer.
func TestSearchCachesItsGroundTruth(t *testing.T) {
	cache := t.TempDir()
	run := func(seed int64) ([]SearchResult, []string) {
		t.Helper()
		var logs []string
		dir := filepath.Join(t.TempDir(), "store")
		rows, err := Search(context.Background(), "embedded", func(_ context.Context, m vector.Model) (vector.Store, error) {
			return embedded.Open(dir, m)
		}, 3000, 32, 20, seed, cache, func(f string, a ...any) { logs = append(logs, fmt.Sprintf(f, a...)) })
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if r.RecallAt10 != 1 {
				t.Fatalf("recall %v against the %v ground truth (log %q)", r.RecallAt10, seed, logs)
			}
		}
		return rows, logs
	}
	says := func(logs []string, what string) bool {
		for _, l := range logs {
			if strings.Contains(l, what) {
				return true
			}
		}
		return false
	}
	if _, logs := run(1); !says(logs, "ground truth of 3000 × 32: ") || says(logs, " from ") {
		t.Fatalf("first run: %q", logs)
	}
	if _, logs := run(1); !says(logs, " from ") {
		t.Fatalf("second run did not use the cache: %q", logs)
	}
	if _, logs := run(2); says(logs, " from ") {
		t.Fatalf("another seed reused the first seed's ground truth: %q", logs)
	}
	files, _ := filepath.Glob(filepath.Join(cache, "truth-*.bin"))
	if len(files) != 2 {
		t.Fatalf("%d cached answers, want 2 (one per draw)", len(files))
	}
	for _, f := range files {
		if err := os.WriteFile(f, []byte(truthMagic+"garbage"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, logs := run(1); !says(logs, "unusable") {
		t.Fatalf("a damaged cached copy was not reported and recomputed: %q", logs)
	}
}
