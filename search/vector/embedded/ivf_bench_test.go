package embedded

import (
	"context"
	"fmt"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/simili/simili/library/facet"
	"github.com/simili/simili/search/vector"
)

// clustered returns n unit vectors around n/50 random centres, the shape
// search/bench uses (bench.ClusteredVectors), generated the same way so
// figures compare.
func clustered(n, dim int, seed int64) []float32 {
	rng := rand.New(rand.NewSource(seed))
	k := max(10, n/50)
	centres := make([]float32, k*dim)
	for i := range centres {
		centres[i] = float32(rng.NormFloat64())
	}
	out := make([]float32, n*dim)
	for i := range n {
		c := centres[rng.Intn(k)*dim:]
		v := out[i*dim : (i+1)*dim]
		var s float64
		for j := range v {
			v[j] = c[j] + float32(rng.NormFloat64()*0.6)
			s += float64(v[j]) * float64(v[j])
		}
		for j := range v {
			v[j] /= float32(math.Sqrt(s))
		}
	}
	return out
}

// inTenth marks the records a 10% filter keeps (as search/bench does).
func inTenth(i int) bool { return i%10 == 3 }

// fillClustered loads n clustered records (plus `queries` held-out query
// vectors, returned) straight into s's index, bypassing the log.
func fillClustered(s *Store, n, queries int) [][]float32 {
	dim := s.model.Dim
	data := clustered(n+queries, dim, 42)
	x := s.idx
	for i := range n {
		m := facet.Meta{Model: "other"}
		if inTenth(i) {
			m.Model = "tenth"
		}
		x.put(int64(i+1), data[i*dim:(i+1)*dim], 1, x.compact(m))
	}
	qs := make([][]float32, queries)
	for q := range qs {
		qs[q] = slices.Clone(data[(n+q)*dim : (n+q+1)*dim])
	}
	return qs
}

// TestIVFFigures reports latency, recall@10 and open time of the IVF path
// at sizes given by SIMILI_IVF_BENCH, e.g. "100000x2048,1000000x512" (and
// optionally SIMILI_IVF_NPROBE="0,20,40" to sweep nprobe). Skipped unless
// set: it needs gigabytes of memory and minutes.
func TestIVFFigures(t *testing.T) {
	spec := os.Getenv("SIMILI_IVF_BENCH")
	if spec == "" {
		t.Skip("set SIMILI_IVF_BENCH=NxDIM[,…] to run")
	}
	probes := []int{0}
	if p := os.Getenv("SIMILI_IVF_NPROBE"); p != "" {
		probes = nil
		for _, f := range strings.Split(p, ",") {
			v, _ := strconv.Atoi(f)
			probes = append(probes, v)
		}
	}
	for _, size := range strings.Split(spec, ",") {
		var n, dim int
		if _, err := fmt.Sscanf(size, "%dx%d", &n, &dim); err != nil {
			t.Fatalf("bad size %q", size)
		}
		t.Run(size, func(t *testing.T) { ivfFigures(t, n, dim, probes) })
	}
}

func ivfFigures(t *testing.T, n, dim int, probes []int) {
	const queries = 200
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "store")
	m := vector.Model{Name: "bench", Dim: dim}
	s, err := Open(dir, m)
	if err != nil {
		t.Fatal(err)
	}
	qs := fillClustered(s, n, queries)
	start := time.Now()
	s.wmu.Lock()
	s.rebuildIVF()
	trained := time.Since(start)
	s.calibrateIVF()
	calibrated := time.Since(start)
	err = s.compact() // fillClustered bypassed the log, so Close would not
	s.wmu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("train %v + calibrate %v + save = %v (nlist %d, probes %+v)", trained.Round(time.Millisecond),
		(calibrated - trained).Round(time.Millisecond), time.Since(start).Round(time.Millisecond), s.idx.ivf.nlist, s.idx.ivf.cal)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start = time.Now()
	s, err = Open(dir, m)
	if err != nil {
		t.Fatal(err)
	}
	openTime := time.Since(start)
	defer s.Close()
	if err := s.WaitIndexed(ctx); err != nil { // the sign codes
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if s.idx.ivf == nil {
		t.Fatal("IVF index not loaded on open")
	}
	start = time.Now()
	if _, err := readIVF(filepath.Join(dir, ivfFile), s.gen, n, dim); err != nil {
		t.Fatal(err)
	}
	t.Logf("of which reading vectors.ivf: %v", time.Since(start).Round(time.Millisecond))
	raw := float64(n * dim * 4)
	t.Logf("open %v; heap %.0f MB for %.0f MB raw (%.3f×)", openTime.Round(time.Millisecond),
		float64(after.HeapAlloc-before.HeapAlloc)/1e6, raw/1e6, float64(after.HeapAlloc-before.HeapAlloc)/raw)

	for _, f := range []struct {
		label string
		f     facet.Filter
	}{{"none", facet.Filter{}}, {"10%", facet.Filter{Camera: "tenth"}}} {
		truth := make([][]vector.Hit, queries)
		c, _ := s.idx.compile(f.f)
		for q := range qs {
			if truth[q], err = s.idx.search(ctx, qs[q], 10, c); err != nil {
				t.Fatal(err)
			}
		}
		for _, np := range probes {
			lat := make([]time.Duration, queries)
			var recall float64
			for q := range qs {
				t0 := time.Now()
				hits, err := s.Search(ctx, qs[q], 10, f.f, vector.SearchOptions{Nprobe: np})
				lat[q] = time.Since(t0)
				if err != nil {
					t.Fatal(err)
				}
				recall += recallOf(hits, truth[q])
			}
			slices.Sort(lat)
			t.Logf("%d×%d filter %-4s nprobe %4d (default %d): p50 %6.2f ms p99 %6.2f ms recall@10 %.4f",
				n, dim, f.label, np, s.idx.ivf.probes(0, 10, s.idx.selectivity(&c)).lists,
				float64(lat[queries/2].Microseconds())/1000, float64(lat[queries*99/100].Microseconds())/1000, recall/queries)
		}
	}
}

func recallOf(hits, truth []vector.Hit) float64 {
	if len(truth) == 0 {
		return 1
	}
	got := 0
	for _, h := range hits {
		for _, w := range truth {
			if h.ID == w.ID {
				got++
				break
			}
		}
	}
	return float64(got) / float64(len(truth))
}
