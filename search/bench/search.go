package bench

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/simili/simili/library/facet"
	"github.com/simili/simili/search/internal/matmul"
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
	// FillS is the time from an empty store to all n vectors stored and
	// searchable: the upserts (for the embedded store, its write-ahead
	// log and the index maintenance they set off), the flush, and the wait
	// for that maintenance.
	FillS float64 `json:"fill_s"`
	// IndexS is one training of the store's index over all n records
	// already stored (Reindex: train, assign, lay out, encode, calibrate),
	// which an indexing store does when a scan ends with its index trained
	// on too few of them; 0 for a store without one (Milvus builds its
	// own during FillS). It is what FAISS's IVF train+add compares with.
	IndexS float64 `json:"index_s"`
	// BuildS is FillS + IndexS: from an empty store to an index trained
	// on every record.
	BuildS float64 `json:"build_s"`
	// StealMs is CPU time the hypervisor took from this machine's CPUs
	// while the queries ran (Linux /proc/stat; 0 elsewhere). On a shared
	// VM it arrives in slices of tens of milliseconds that land on single
	// queries and dominate p99 when it is high.
	StealMs float64 `json:"cpu_steal_ms"`
	// Slowest are the ten slowest queries in the order they ran: whether
	// p99 (the tenth) comes from the first queries after the store opened
	// or from single slow ones later.
	Slowest []QueryTime `json:"slowest"`
}

// QueryTime is one query's latency and its place in the run (0: first).
type QueryTime struct {
	Query int     `json:"query"`
	Ms    float64 `json:"ms"`
}

// slowest returns the n slowest of lat, slowest first.
func slowest(lat []float64, n int) []QueryTime {
	qs := make([]QueryTime, len(lat))
	for i, v := range lat {
		qs[i] = QueryTime{i, v}
	}
	sort.SliceStable(qs, func(i, j int) bool { return qs[i].Ms > qs[j].Ms })
	return qs[:min(n, len(qs))]
}

// reindexer is a store that can train its index again over every record
// (the embedded store).
type reindexer interface {
	Reindex(ctx context.Context) error
}

// Opener opens the store under test; called twice (fill, then reopen).
type Opener func(ctx context.Context, m vector.Model) (vector.Store, error)

// drawBatch is how many vectors are drawn, then stored or scored, at a
// time.
const drawBatch = 2000

// filterCamera marks the 10% of records the filtered searches keep.
const filterCamera = "bench-10pct"

// Search fills a store with n clustered vectors, reopens it (timing the
// load and the memory it takes), then runs queries unfiltered and with a
// filter keeping 10% of the records, measuring latency and recall@10
// against exact brute force computed here, not by the store. The brute
// force answer is kept in truthDir (truthcache.go; "" keeps none); logf
// reports what happened to it.
func Search(ctx context.Context, name string, open Opener, n, dim, queries int, seed int64, truthDir string, logf func(string, ...any)) ([]SearchResult, error) {
	model := vector.Model{Name: fmt.Sprintf("bench%d", dim), Dim: dim}
	// The vectors are drawn batch by batch and never held whole (at 1M ×
	// 512 holding them would add 2 GB to the store's own memory), twice
	// from the same seed: once into the store, then again for the exact
	// top 10 of every query. The ground truth is computed after the build,
	// not between its batches, so the store's background training does not
	// run hidden behind it, and build_s is the store's work alone.
	inFilter := func(i int) bool { return i%10 == 3 }
	gen := newClusterGen(n, dim, seed)
	qs := make([]float32, queries*dim) // drawn first: same centres, fresh points
	for q := 0; q < queries; q++ {
		gen.next(qs[q*dim : (q+1)*dim])
	}
	key := newTruthKey(n, dim, queries)
	key.add(qs)

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
	data := make([]float32, drawBatch*dim)
	for lo := 0; lo < n; lo += drawBatch {
		hi := min(n, lo+drawBatch)
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
		key.add(data[:(hi-lo)*dim])
		if err := timed(func() error { return store.Upsert(ctx, recs) }); err != nil {
			store.Close()
			return nil, fmt.Errorf("fill %s: %w", name, err)
		}
	}
	if err := timed(func() error { return store.Flush(ctx) }); err != nil {
		store.Close()
		return nil, err
	}
	fillS := build.Seconds()
	var indexS float64
	if r, ok := store.(reindexer); ok {
		t0 := time.Now()
		if err := r.Reindex(ctx); err != nil {
			store.Close()
			return nil, fmt.Errorf("reindex %s: %w", name, err)
		}
		indexS = time.Since(t0).Seconds()
	}
	if err := store.Close(); err != nil {
		return nil, err
	}

	cached := ""
	if truthDir != "" {
		cached = key.path(truthDir)
	}
	truthAll, truthFiltered, err := loadTruth(cached, queries)
	switch {
	case err == nil:
		logf("ground truth of %d × %d from %s", n, dim, cached)
	case cached != "" && !errors.Is(err, fs.ErrNotExist):
		logf("ground truth of %d × %d: cached copy unusable, computing it again: %v", n, dim, err)
		fallthrough
	default:
		t0 := time.Now()
		truthAll, truthFiltered = exactTruth(qs, n, dim, queries, seed, data, inFilter)
		logf("ground truth of %d × %d: %.0f s", n, dim, time.Since(t0).Seconds())
		if cached != "" {
			if err := saveTruth(cached, truthAll, truthFiltered); err != nil {
				logf("ground truth of %d × %d not cached: %v", n, dim, err)
			}
		}
	}
	data = nil
	runtime.GC()
	debug.FreeOSMemory()
	before := rssBytes()
	start := time.Now()
	store, err = open(ctx, model)
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
		slow := slowest(lat, 10)
		sort.Float64s(lat)
		out = append(out, SearchResult{
			Store: name, N: n, Dim: dim, Filter: f.label,
			P50Ms: lat[len(lat)/2], P99Ms: lat[min(len(lat)-1, len(lat)*99/100)],
			RecallAt10: recall / float64(queries),
			StoreRSSMB: rss, RawMB: float64(n*dim*4) / (1 << 20), OpenMs: openMs,
			FillS: fillS, IndexS: indexS, BuildS: fillS + indexS,
			StealMs: stealMs() - steal0,
			Slowest: slow,
		})
	}
	return out, nil
}

// exactTruth draws the vectors again from seed (the queries first, as
// Search did) into buf, batch by batch, and returns every query's exact
// top 10 ids, unfiltered and among the records keep accepts.
func exactTruth(qs []float32, n, dim, queries int, seed int64, buf []float32, keep func(int) bool) (all, filtered [][]int64) {
	truth := newTruth(qs, dim, queries)
	again := newClusterGen(n, dim, seed)
	for q := 0; q < queries; q++ {
		again.next(buf[:dim])
	}
	for lo := 0; lo < n; lo += drawBatch {
		hi := min(n, lo+drawBatch)
		for i := lo; i < hi; i++ {
			again.next(buf[(i-lo)*dim : (i-lo+1)*dim])
		}
		truth.add(buf[:(hi-lo)*dim], lo, keep)
	}
	return truth.ids()
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
	scores    []float32 // queries × batch, reused
}

type hit struct {
	id int64
	s  float32
}

func newTruth(qs []float32, dim, queries int) *truth {
	return &truth{qs: qs, dim: dim, all: make([][]hit, queries), filt: make([][]hit, queries)}
}

// add scores the batch (vector j has index first+j) against every query
// with package matmul's product, then updates each query's top 10, the
// queries split over GOMAXPROCS goroutines. The ground truth must not come
// from the code under measurement: the store's searches score with other
// kernels (its exact scan, which TestSearchMeasuresAnExactStore checks
// this truth against, and its codes); matmul serves only its training, and
// is checked against float64 products. A plain loop over dot products
// took longer than every store build of the bench together (1.9 GMAC/s a
// core), gonum's Sgemm 2.6 minutes at first run (4.2).
func (t *truth) add(batch []float32, first int, keep func(int) bool) {
	dim := t.dim
	m := len(batch) / dim
	queries := len(t.all)
	if cap(t.scores) < queries*m {
		t.scores = make([]float32, queries*m)
	}
	scores := t.scores[:queries*m]
	matmul.ABt(t.qs, queries, batch, m, dim, scores)
	var wg sync.WaitGroup
	workers := max(1, min(runtime.GOMAXPROCS(0), queries))
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for q := w; q < queries; q += workers {
				row := scores[q*m : (q+1)*m]
				for j, s := range row {
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
