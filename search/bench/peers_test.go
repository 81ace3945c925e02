package bench

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/simili/simili/internal/testenv"
	"github.com/simili/simili/search/embed"
	"github.com/simili/simili/search/engine"
)

func TestParsePeerSearchReadsEveryMeasurement(t *testing.T) {
	raw, err := os.ReadFile("testdata/peer_search_2000x512.txt")
	if err != nil {
		t.Fatal(err)
	}
	r, err := ParsePeerSearch(string(raw))
	if err != nil {
		t.Fatal(err)
	}
	if r.Version != "1.15.1" || r.IVFBuildS != 1 || r.HNSWBuildS != 5 {
		t.Fatalf("version %q, IVF build %v s, HNSW build %v s", r.Version, r.IVFBuildS, r.HNSWBuildS)
	}
	count := map[string]int{}
	for _, row := range r.Rows {
		count[row.Index+" "+row.Filter]++
		if row.P50Ms <= 0 || row.P99Ms < row.P50Ms || row.RecallAt10 <= 0 || row.RecallAt10 > 1 || row.Setting == "" {
			t.Errorf("implausible row %+v", row)
		}
	}
	want := map[string]int{"Flat none": 1, "IVF none": 4, "IVF 10%": 3, "HNSW none": 4, "HNSW 10%": 2}
	for k, n := range want {
		if count[k] != n {
			t.Errorf("%s: %d rows, want %d (all: %v)", k, count[k], n, count)
		}
	}
	// The printed line "  nprobe 8: p50 0.03 ms  p99 28.33 ms  recall@10 1.000".
	for _, row := range r.Rows {
		if row.Index == "IVF" && row.Setting == "nprobe 8" && row.Filter == "none" {
			if row.P50Ms != 0.03 || row.P99Ms != 28.33 || row.RecallAt10 != 1 {
				t.Fatalf("nprobe 8 parsed as %+v", row)
			}
		}
	}
}

func TestParsePeerSearchRejectsOutputWithoutFigures(t *testing.T) {
	for _, out := range []string{"", "Traceback (most recent call last):\n  ModuleNotFoundError: No module named 'faiss'\n", "  nprobe 4: p50 0.1 ms  p99 0.2 ms  recall@10 0.9\n"} {
		if _, err := ParsePeerSearch(out); err == nil {
			t.Errorf("%q parsed without an error", out)
		}
	}
}

func TestBestPicksTheFastestSettingAtTheRecall(t *testing.T) {
	r := PeerSearchResult{Rows: []PeerSearchRow{
		{Index: "Flat", Setting: "exact", Filter: "none", P50Ms: 0.01, P99Ms: 0.02, RecallAt10: 1},
		{Index: "IVF", Setting: "nprobe 4", Filter: "none", P50Ms: 0.3, P99Ms: 0.5, RecallAt10: 0.99},
		{Index: "IVF", Setting: "nprobe 8", Filter: "none", P50Ms: 0.5, P99Ms: 0.9, RecallAt10: 0.998},
		{Index: "HNSW", Setting: "efSearch 64", Filter: "none", P50Ms: 0.6, P99Ms: 0.8, RecallAt10: 0.999},
		{Index: "HNSW", Setting: "efSearch 128", Filter: "10%", P50Ms: 2, P99Ms: 5, RecallAt10: 0.94},
	}}
	for _, tc := range []struct {
		filter  string
		recall  float64
		setting string
		reached bool
	}{
		{"none", 0.95, "nprobe 4", true},     // every setting qualifies: the lowest p99
		{"none", 0.997, "efSearch 64", true}, // exact search is never the peer's answer
		{"none", 0.9995, "efSearch 64", false},
		{"10%", 0.99, "efSearch 128", false},
		{"10%", 0.9, "efSearch 128", true},
	} {
		got, ok := r.Best(tc.filter, tc.recall)
		if got.Setting != tc.setting || ok != tc.reached {
			t.Errorf("Best(%s, %v) = %s, %v; want %s, %v", tc.filter, tc.recall, got.Setting, ok, tc.setting, tc.reached)
		}
	}
}

func TestCompareJudgesEachTarget(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	peers := &PeersReport{
		Index: &PeerIndexResult{PhotosPerSec: 40, CPUSecPerPhoto: 0.05},
		Search: []PeerSearchResult{{N: 100_000, Dim: 2048, IVFBuildS: 30, Rows: []PeerSearchRow{
			{Index: "IVF", Setting: "nprobe 8", Filter: "none", P50Ms: 0.8, P99Ms: 1.1, RecallAt10: 1},
			{Index: "HNSW", Setting: "efSearch 128", Filter: "10%", P50Ms: 3, P99Ms: 5.9, RecallAt10: 0.94},
		}}},
	}
	r := Report{
		CPUs: 2, IndexPhotos: 200, Peers: peers,
		IndexPhotosPerSecSqueeze: f(51), IndexCPUSecPerPhotoSqueeze: f(0.04),
		IndexPhotosPerSecResNet50: f(20), IndexPhotosPerSecResNet50Int8: f(41),
		Search: []SearchResult{
			{N: 100_000, Dim: 2048, Filter: "none", P50Ms: 0.7, P99Ms: 1.2, RecallAt10: 0.997, FillS: 45, IndexS: 20, BuildS: 65},
			{N: 100_000, Dim: 2048, Filter: "10%", P50Ms: 2.9, P99Ms: 4.1, RecallAt10: 0.994},
			{N: 10_000, Dim: 512, Filter: "none", P50Ms: 0.1, P99Ms: 0.2, RecallAt10: 1},
		},
		PeakRSSMB: 9000, Seconds: 300,
	}
	lines := Compare(r)
	find := func(prefix string) (Comparison, bool) {
		for _, c := range lines {
			if strings.HasPrefix(c.Work, prefix) {
				return c, true
			}
		}
		return Comparison{}, false
	}
	for _, tc := range []struct {
		work  string
		met   bool
		ratio float64
	}{
		{"index 200 generated 12-MP JPEGs", true, 51.0 / 40},
		{"index: ResNet50 float (random weights)", false, 0},
		{"index: ResNet50 int8 (random weights)", true, 0},
		{"search 100000 × 2048, none filter", false, 1.1 / 1.2}, // p99 above FAISS's
		{"search 100000 × 2048, 10% filter", true, 5.9 / 4.1},   // FAISS's recall is lower: ahead
		{"build the index", true, 30.0 / 20},                    // the training over stored vectors, not the fill
		{"simili bench: peak memory", false, 0},
		{"simili bench: wall time (without the peers)", true, 0},
	} {
		c, ok := find(tc.work)
		if !ok {
			t.Errorf("no line for %q in %+v", tc.work, lines)
			continue
		}
		if c.Met != tc.met || (tc.ratio != 0 && (c.Ratio < tc.ratio-1e-9 || c.Ratio > tc.ratio+1e-9)) {
			t.Errorf("%s: met %v ratio %v; want %v, %v", tc.work, c.Met, c.Ratio, tc.met, tc.ratio)
		}
	}
	if len(lines) != 8 {
		t.Errorf("%d lines, want 8: %+v", len(lines), lines)
	}
	for _, c := range lines {
		if strings.Contains(c.Work, "10000 × 512") {
			t.Errorf("a size the peers did not run and the issue names no target for got a line: %+v", c)
		}
	}
}

// TestRunPeersOnGeneratedPhotos runs the real peer_index.py on three
// generated 12-MP photos in the peers' virtual environment (made in the
// cache on first use, from PyPI).
func TestRunPeersOnGeneratedPhotos(t *testing.T) {
	if testing.Short() {
		t.Skip("makes a virtual environment and runs Python")
	}
	dir := testenv.SharedPath(t, "tools", "peers")
	model := testenv.SqueezeNet(t)
	cache := os.Getenv("SIMILI_CACHE_DIR")
	if cache == "" {
		c, err := os.UserCacheDir()
		if err != nil {
			t.Fatal(err)
		}
		cache = filepath.Join(c, "simili")
	}
	photos := t.TempDir()
	if err := EnsurePhotos(context.Background(), photos, 3); err != nil {
		t.Fatal(err)
	}
	o := PeerOptions{Dir: dir, Venv: filepath.Join(cache, "peers-venv"), Model: model, Workers: 2, Log: t.Logf}
	rep, err := RunPeers(context.Background(), o, photos, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Index == nil || rep.Index.Photos != 3 || rep.Index.PhotosPerSec <= 0 || rep.Index.CPUSecPerPhoto <= 0 {
		t.Fatalf("peer index result %+v", rep.Index)
	}
	if len(rep.IndexPairs) != 0 {
		t.Errorf("rounds %+v without Simili's run", rep.IndexPairs)
	}

	// With Simili's runs: rounds back to back, the order alternating, as
	// the log shows them; then the same with the second model file on the
	// peer's side (a copy of the float model stands in for the int8 one).
	o.IndexRounds = 3
	second := filepath.Join(t.TempDir(), "stand-in-int8.onnx")
	data, err := os.ReadFile(model)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(second, data, 0o644); err != nil {
		t.Fatal(err)
	}
	o.Int8Model = second
	var order []string
	o.Log = func(format string, args ...any) {
		switch line := fmt.Sprintf(format, args...); {
		case strings.HasPrefix(line, "peers: peer_index.py "+photos):
			order = append(order, "peer "+line[strings.LastIndex(line, " ")+1:])
		case strings.Contains(line, "Simili's index run"):
			order = append(order, "simili")
		}
		t.Logf(format, args...)
	}
	run := func(first float64) func(context.Context) (IndexResult, error) {
		calls := first
		return func(context.Context) (IndexResult, error) {
			calls++
			return IndexResult{Photos: 3, PhotosPerSec: calls, CPUSecPerPhoto: 0.1}, nil
		}
	}
	rep, err = RunPeers(context.Background(), o, photos, run(0), run(10))
	if err != nil {
		t.Fatal(err)
	}
	f, q := "peer "+filepath.Base(model), "peer stand-in-int8.onnx"
	want := []string{"simili", f, f, "simili", "simili", f, "simili", q, q, "simili", "simili", q}
	if !slices.Equal(order, want) {
		t.Errorf("runs in the order %v, want %v", order, want)
	}
	for name, rounds := range map[string][]IndexPair{"float": rep.IndexPairs, "int8": rep.IndexPairsInt8} {
		if len(rounds) != 3 {
			t.Fatalf("%s: %d rounds, want 3", name, len(rounds))
		}
		first := 0.0
		if name == "int8" {
			first = 10
		}
		for i, p := range rounds {
			if p.PeerFirst != (i == 1) || p.Simili.PhotosPerSec != first+float64(i+1) || p.Peer.Photos != 3 || p.Ratio != p.Simili.PhotosPerSec/p.Peer.PhotosPerSec {
				t.Errorf("%s round %d: %+v", name, i, p)
			}
		}
	}
	if m := medianPair(rep.IndexPairs); rep.Index == nil || *rep.Index != m.Peer {
		t.Errorf("Index %+v, want the median float round's peer %+v", rep.Index, m.Peer)
	}
}

func TestCompareIndexPairs(t *testing.T) {
	pair := func(s, sCPU, p, pCPU float64) IndexPair {
		return IndexPair{Simili: IndexResult{PhotosPerSec: s, CPUSecPerPhoto: sCPU}, Peer: PeerIndexResult{PhotosPerSec: p, CPUSecPerPhoto: pCPU}, Ratio: s / p}
	}
	tests := []struct {
		name  string
		pairs []IndexPair
		ratio float64
		met   bool
	}{
		{"median of three", []IndexPair{pair(30, 0.06, 40, 0.05), pair(52, 0.04, 40, 0.05), pair(28, 0.07, 40, 0.05)}, 0.75, false},
		{"ahead in the median round", []IndexPair{pair(30, 0.06, 40, 0.05), pair(52, 0.04, 40, 0.05), pair(55, 0.04, 40, 0.05)}, 1.3, true},
		{"faster but more CPU", []IndexPair{pair(52, 0.06, 40, 0.05)}, 1.3, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rate, cpu := 99.0, 0.001 // the profiled run's figures: not the compared ones
			r := Report{IndexPhotos: 200, IndexPhotosPerSecSqueeze: &rate, IndexCPUSecPerPhotoSqueeze: &cpu,
				Peers: &PeersReport{IndexPairs: tt.pairs}}
			c := Compare(r)[0]
			if math.Abs(c.Ratio-tt.ratio) > 1e-9 || c.Met != tt.met {
				t.Errorf("ratio %v met %v, want %v %v (%+v)", c.Ratio, c.Met, tt.ratio, tt.met, c)
			}
			// The same rounds with the int8 model give a row of their own.
			r.Peers.IndexPairsInt8 = tt.pairs
			rows := Compare(r)
			if len(rows) < 2 || !strings.Contains(rows[1].Work, "int8") || math.Abs(rows[1].Ratio-tt.ratio) > 1e-9 || rows[1].Met != tt.met {
				t.Errorf("int8 row %+v", rows[1:])
			}
		})
	}
}

// TestIndexProfilesTheRun indexes real photos with SqueezeNet and checks
// the figures and the CPU profile --cpuprofile publishes.
func TestIndexProfilesTheRun(t *testing.T) {
	if _, err := embed.FindRuntime(); err != nil {
		testenv.Skipf(t, "ONNX Runtime not installed (run `make onnxruntime`): %v", err)
	}
	model := testenv.SqueezeNet(t)
	photos := t.TempDir()
	src := testenv.Holidays(t)
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	copied := 0
	for _, e := range entries {
		if copied == 6 || !strings.HasSuffix(e.Name(), ".jpg") {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(photos, e.Name()), raw, 0o644); err != nil {
			t.Fatal(err)
		}
		copied++
	}
	root := t.TempDir()
	cfg := engine.Config{DataDir: filepath.Join(root, "data"), CacheDir: filepath.Join(root, "cache"),
		Model: "squeezenet", ModelFile: model, Store: "embedded", Workers: 2, ThumbSize: 160}
	var prof bytes.Buffer
	res, err := Index(context.Background(), cfg, photos, &prof)
	if err != nil {
		t.Fatal(err)
	}
	if res.Photos != copied || res.PhotosPerSec <= 0 || res.CPUSecPerPhoto <= 0 {
		t.Fatalf("result %+v for %d photos", res, copied)
	}
	// A pprof profile is gzip-compressed protobuf.
	if b := prof.Bytes(); len(b) < 100 || b[0] != 0x1f || b[1] != 0x8b {
		t.Fatalf("profile of %d bytes is not a gzip'd pprof profile", prof.Len())
	}
}
