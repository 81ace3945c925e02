package embedded

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
	"unsafe"

	"github.com/simili/simili/library/facet"
	"github.com/simili/simili/search/vector"
)

const (
	benchN   = 100_000
	benchDim = 512
)

// fillBench loads n random records straight into s's index (the log is not
// what is being measured) with metadata shaped like a real library.
func fillBench(s *Store, n int) {
	r := rand.New(rand.NewSource(1))
	x := s.idx
	v := make([]float32, s.model.Dim)
	for i := range n {
		for j := range v {
			v[j] = float32(r.NormFloat64())
		}
		sc, _ := unitScale(v)
		m := facet.Meta{
			TakenAt: time.Unix(1_500_000_000+int64(r.Intn(300_000_000)), 0),
			Make:    fmt.Sprint("make", i%7),
			Model:   fmt.Sprint("model", i%10),
			Lens:    fmt.Sprint("lens", i%13),
			Folder:  fmt.Sprintf("/photos/%d/%02d", 2010+i%15, i%12),
		}
		x.put(int64(i+1), v, sc, x.compact(m))
	}
}

// indexBytes is the memory the index holds: the backing arrays plus an
// estimate for the ID map (Go's swiss map: ~16 bytes per slot at ≤7/8 load).
func indexBytes(x *index) int64 {
	b := int64(cap(x.vecs))*4 + int64(cap(x.ids))*8 + int64(cap(x.metas))*int64(unsafe.Sizeof(meta{}))
	return b + int64(len(x.slot))*16*8/7
}

// BenchmarkSearch measures one exact top-k search over 100k 512-d vectors
// (SqueezeNet-sized) with GOMAXPROCS workers.
func BenchmarkSearch(b *testing.B) {
	s := mustOpen(b, b.TempDir(), vector.Model{Name: "bench", Dim: benchDim})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fillBench(s, benchN)
	runtime.GC()
	runtime.ReadMemStats(&after)
	raw := float64(benchN * benchDim * 4)
	heap := float64(after.HeapAlloc - before.HeapAlloc)
	b.Logf("N=%d dim=%d GOMAXPROCS=%d: raw vectors %.1f MB, index %.1f MB, heap growth %.1f MB (%.1f%% over raw)",
		benchN, benchDim, runtime.GOMAXPROCS(0), raw/1e6, float64(indexBytes(s.idx))/1e6, heap/1e6, 100*(heap-raw)/raw)

	q := randVec(rand.New(rand.NewSource(2)), benchDim)
	ctx := context.Background()
	cases := []struct {
		name string
		k    int
		f    facet.Filter
	}{
		{"k=10", 10, facet.Filter{}},
		{"k=100", 100, facet.Filter{}},
		{"k=10/camera", 10, facet.Filter{Camera: "model3"}},
		{"k=10/folder+date", 10, facet.Filter{Folder: "/photos/2015", From: time.Unix(1_600_000_000, 0)}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Search(ctx, q, c.k, c.f, vector.SearchOptions{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(heap/1e6, "MB-heap")
		})
	}
}

// BenchmarkOpen measures loading a compacted 100k×512 store from disk.
func BenchmarkOpen(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "store")
	m := vector.Model{Name: "bench", Dim: benchDim}
	s, err := Open(dir, m)
	if err != nil {
		b.Fatal(err)
	}
	fillBench(s, benchN)
	s.wmu.Lock()
	err = s.compact() // fillBench bypassed the log, so Close would not
	s.wmu.Unlock()
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fileSizeB(b, filepath.Join(dir, snapFile)))

	// Memory of a freshly loaded store: arrays are sized exactly on load.
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	loaded, err := Open(dir, m)
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	raw := float64(benchN * benchDim * 4)
	heap := float64(after.HeapAlloc - before.HeapAlloc)
	b.Logf("loaded store: heap %.1f MB for %.1f MB of raw vectors (%.1f%% overhead)", heap/1e6, raw/1e6, 100*(heap-raw)/raw)
	if err := loaded.Close(); err != nil {
		b.Fatal(err)
	}

	b.ResetTimer()
	for b.Loop() {
		s, err := Open(dir, m)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

func fileSizeB(b *testing.B, path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return st.Size()
}
