package bench

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/simili/simili/library/facet"
	"github.com/simili/simili/search/vector"
)

// SearchResult holds the search figures of one store at one size.
type SearchResult struct {
	Store      string  `json:"store"`
	N          int     `json:"n"`
	Dim        int     `json:"dim"`
	Filter     string  `json:"filter"` // "none" or "10%"
	P50Ms      float64 `json:"search_p50_ms"`
	P99Ms      float64 `json:"search_p99_ms"`
	RecallAt10 float64 `json:"recall_at_10"`
	StoreRSSMB float64 `json:"store_rss_mb"`  // resident memory the opened store adds
	RawMB      float64 `json:"raw_vector_mb"` // n × dim × 4 bytes
	OpenMs     float64 `json:"open_ms"`       // loading the store from disk
	// BuildS is the time from an empty store to a searchable index of
	// all n vectors: upserts, flush and, for an indexing store, training.
	BuildS float64 `json:"build_s"`
	// StealMs is CPU time the hypervisor took from this machine's CPUs
	// while the queries ran (Linux /proc/stat; 0 elsewhere). On a shared
	// VM it arrives in slices of tens of milliseconds that land on single
	// queries and dominate p99 when it is high.
	StealMs float64 `json:"cpu_steal_ms"`
}

// Opener opens the store under test; called twice (fill, then reopen).
type Opener func(ctx context.Context, m vector.Model) (vector.Store, error)

// filterCamera marks the 10% of records the filtered searches keep.
const filterCamera = "bench-10pct"

// Search fills a store with n clustered vectors, reopens it (timing the
// load and the memory it takes), then runs queries unfiltered and with a
// filter keeping 10% of the records, measuring latency and recall@10
// against exact brute force computed here, not by the store.
func Search(ctx context.Context, name string, open Opener, n, dim, queries int, seed int64) ([]SearchResult, error) {
	model := vector.Model{Name: fmt.Sprintf("bench%d", dim), Dim: dim}
	// The vectors are drawn batch by batch and never held whole: each batch
	// updates the exact top 10 of every query, then goes into the store.
	// At 1M × 512 holding them would add 2 GB to the store's own memory.
	gen := newClusterGen(n, dim, seed)
	qs := make([]float32, queries*dim) // drawn first: same centres, fresh points
	for q := 0; q < queries; q++ {
		gen.next(qs[q*dim : (q+1)*dim])
	}
	inFilter := func(i int) bool { return i%10 == 3 }
	truth := newTruth(qs, dim, queries)

	// build counts the store's own calls only (generation and ground
	// truth left out), as FAISS's train+add does.
	var build time.Duration
	timed := func(f func() error) error {
		t0 := time.Now()
		err := f()
		build += time.Since(t0)
		return err
	}
	var store vector.Store
	if err := timed(func() (err error) { store, err = open(ctx, model); return err }); err != nil {
		return nil, err
	}
	const batch = 2000
	data := make([]float32, batch*dim)
	for lo := 0; lo < n; lo += batch {
		hi := min(n, lo+batch)
		recs := make([]vector.Record, 0, hi-lo)
		for i := lo; i < hi; i++ {
			v := data[(i-lo)*dim : (i-lo+1)*dim]
			gen.next(v)
			m := facet.Meta{Model: "bench-other"}
			if inFilter(i) {
				m.Model = filterCamera
			}
			recs = append(recs, vector.Record{ID: int64(i + 1), Vector: v, Meta: m})
		}
		truth.add(data[:(hi-lo)*dim], lo, inFilter)
		if err := timed(func() error { return store.Upsert(ctx, recs) }); err != nil {
			store.Close()
			return nil, fmt.Errorf("fill %s: %w", name, err)
		}
	}
	if err := timed(func() error { return store.Flush(ctx) }); err != nil {
		store.Close()
		return nil, err
	}
	buildS := build.Seconds()
	if err := store.Close(); err != nil {
		return nil, err
	}

	truthAll, truthFiltered := truth.ids()
	data = nil
	runtime.GC()
	debug.FreeOSMemory()
	before := rssBytes()
	start := time.Now()
	store, err := open(ctx, model)
	if err != nil {
		return nil, fmt.Errorf("reopen %s: %w", name, err)
	}
	defer store.Close()
	openMs := float64(time.Since(start).Microseconds()) / 1000
	if c, err := store.Count(ctx); err != nil || c != n {
		return nil, fmt.Errorf("%s holds %d vectors after reopen, want %d (%v)", name, c, n, err)
	}
	// Searches and memory are measured in the steady state: background
	// work the load started (the embedded store's sign codes) finishes first.
	if w, ok := store.(waitIndexer); ok {
		if err := w.WaitIndexed(ctx); err != nil {
			return nil, err
		}
	}
	runtime.GC()
	rss := float64(rssBytes()-before) / (1 << 20)

	var out []SearchResult
	for _, f := range []struct {
		label  string
		filter facet.Filter
		truth  [][]int64
	}{
		{"none", facet.Filter{}, truthAll},
		{"10%", facet.Filter{Camera: filterCamera}, truthFiltered},
	} {
		lat := make([]float64, 0, queries)
		var recall float64
		steal0 := stealMs()
		for q := 0; q < queries; q++ {
			t0 := time.Now()
			hits, err := store.Search(ctx, qs[q*dim:(q+1)*dim], 10, f.filter, vector.SearchOptions{})
			lat = append(lat, float64(time.Since(t0).Microseconds())/1000)
			if err != nil {
				return nil, fmt.Errorf("search %s: %w", name, err)
			}
			recall += overlap(hits, f.truth[q])
		}
		sort.Float64s(lat)
		out = append(out, SearchResult{
			Store: name, N: n, Dim: dim, Filter: f.label,
			P50Ms: lat[len(lat)/2], P99Ms: lat[min(len(lat)-1, len(lat)*99/100)],
			RecallAt10: recall / float64(queries),
			StoreRSSMB: rss, RawMB: float64(n*dim*4) / (1 << 20), OpenMs: openMs, BuildS: buildS,
			StealMs: stealMs() - steal0,
		})
	}
	return out, nil
}

func overlap(hits []vector.Hit, truth []int64) float64 {
	if len(truth) == 0 {
		return 1
	}
	want := make(map[int64]bool, len(truth))
	for _, id := range truth {
		want[id] = true
	}
	got := 0
	for _, h := range hits {
		if want[h.ID] {
			got++
		}
	}
	return float64(got) / float64(len(truth))
}

// truth is the exact top 10 (ids 1-based) of each query, unfiltered and
// under the filter, updated batch by batch as the vectors are drawn.
type truth struct {
	qs        []float32
	dim       int
	all, filt [][]hit
}

type hit struct {
	id int64
	s  float32
}

func newTruth(qs []float32, dim, queries int) *truth {
	return &truth{qs: qs, dim: dim, all: make([][]hit, queries), filt: make([][]hit, queries)}
}

// add scores the batch (vector j has index first+j) against every query,
// the queries split over GOMAXPROCS goroutines.
func (t *truth) add(batch []float32, first int, keep func(int) bool) {
	dim := t.dim
	m := len(batch) / dim
	queries := len(t.all)
	var wg sync.WaitGroup
	workers := max(1, min(runtime.GOMAXPROCS(0), queries))
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for q := w; q < queries; q += workers {
				qv := t.qs[q*dim : (q+1)*dim]
				for j := 0; j < m; j++ {
					s := dot(qv, batch[j*dim:(j+1)*dim])
					h := hit{int64(first + j + 1), s}
					t.all[q] = pushTop10(t.all[q], h)
					if keep(first + j) {
						t.filt[q] = pushTop10(t.filt[q], h)
					}
				}
			}
		}()
	}
	wg.Wait()
}

func pushTop10(top []hit, h hit) []hit {
	if len(top) == 10 && h.s <= top[9].s {
		return top
	}
	top = append(top, h)
	sort.Slice(top, func(a, b int) bool { return top[a].s > top[b].s })
	if len(top) > 10 {
		top = top[:10]
	}
	return top
}

func (t *truth) ids() (all, filtered [][]int64) {
	conv := func(hs [][]hit) [][]int64 {
		out := make([][]int64, len(hs))
		for q, top := range hs {
			for _, h := range top {
				out[q] = append(out[q], h.id)
			}
		}
		return out
	}
	return conv(t.all), conv(t.filt)
}

// rssBytes reads this process's resident set size.
// stealMs returns the machine's cumulative steal time in milliseconds: the
// eighth value of /proc/stat's cpu line, in USER_HZ ticks (100 per second
// on Linux's supported architectures).
func stealMs() float64 {
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	fields := strings.Fields(line)
	if len(fields) < 9 || fields[0] != "cpu" {
		return 0
	}
	ticks, _ := strconv.ParseFloat(fields[8], 64)
	return ticks * 10
}

func rssBytes() int64 {
	raw, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(raw))
	if len(fields) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(fields[1], 10, 64)
	return pages * int64(os.Getpagesize())
}
