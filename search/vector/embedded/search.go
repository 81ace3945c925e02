package embedded

import (
	"context"
	"runtime"
	"slices"
	"sync"

	"github.com/simili/simili/library/facet"
	"github.com/simili/simili/search/vector"
)

// minPerWorker keeps small scans on one goroutine: below this many records
// the goroutine start-up costs more than the parallel scan saves.
const minPerWorker = 16384

// cfilter is a facet.Filter resolved against the interner, so the scan
// compares integers instead of strings.
type cfilter struct {
	all      bool
	dated    bool
	from, to int64
	camera   uint32 // 0 = any (the empty string is never a filter value)
	lens     uint32
	folders  []bool // by string id; nil = any folder
}

// compile resolves f; ok is false when no record can pass (e.g. a camera
// name the store has never seen), so the scan can be skipped.
func (x *index) compile(f facet.Filter) (c cfilter, ok bool) {
	if f.IsZero() {
		return cfilter{all: true}, true
	}
	c.from, c.to, c.dated = f.TimeBounds()
	if c.dated && c.from > c.to {
		return c, false
	}
	if f.Camera != "" {
		if c.camera, ok = x.strs.lookup(f.Camera); !ok {
			return c, false
		}
	}
	if f.Lens != "" {
		if c.lens, ok = x.strs.lookup(f.Lens); !ok {
			return c, false
		}
	}
	if f.Folder != "" {
		c.folders = make([]bool, len(x.strs.strs))
		some := false
		for id, s := range x.strs.strs {
			if facet.InFolder(s, f.Folder) {
				c.folders[id], some = true, true
			}
		}
		if !some {
			return c, false
		}
	}
	return c, true
}

func (c *cfilter) match(m *meta) bool {
	if c.dated && (m.flags&flagDated == 0 || m.taken < c.from || m.taken > c.to) {
		return false
	}
	if c.camera != 0 && m.maker != c.camera && m.model != c.camera {
		return false
	}
	if c.lens != 0 && m.lens != c.lens {
		return false
	}
	return c.folders == nil || c.folders[m.folder]
}

// cand is a scored slot.
type cand struct {
	score float32
	id    int64
}

// better orders results: higher score first, then lower ID, so equal scores
// rank the same way on every run.
func better(a, b cand) bool {
	return a.score > b.score || (a.score == b.score && a.id < b.id)
}

// topK is a bounded min-heap whose root is the worst kept candidate.
type topK struct {
	k int
	h []cand
}

func (t *topK) push(c cand) {
	if len(t.h) < t.k {
		t.h = append(t.h, c)
		for i := len(t.h) - 1; i > 0; {
			p := (i - 1) / 2
			if !better(t.h[p], t.h[i]) {
				break
			}
			t.h[p], t.h[i] = t.h[i], t.h[p]
			i = p
		}
		return
	}
	if !better(c, t.h[0]) {
		return
	}
	t.h[0] = c
	for i, n := 0, len(t.h); ; {
		w, l, r := i, 2*i+1, 2*i+2
		if l < n && better(t.h[w], t.h[l]) {
			w = l
		}
		if r < n && better(t.h[w], t.h[r]) {
			w = r
		}
		if w == i {
			return
		}
		t.h[i], t.h[w] = t.h[w], t.h[i]
		i = w
	}
}

// full reports whether the heap holds k candidates, so its root is the
// score a newcomer must beat.
func (t *topK) full() bool { return len(t.h) == t.k }

// search scans every record passing c with q (unit length) on up to
// GOMAXPROCS goroutines and merges their heaps. The caller holds a read lock.
func (x *index) search(ctx context.Context, q []float32, k int, c cfilter) ([]vector.Hit, error) {
	n := x.len()
	workers := max(1, min(runtime.GOMAXPROCS(0), n/minPerWorker))
	chunk := (n + workers - 1) / workers
	all, err := fanOut(workers, func(w int, t *topK) error {
		return x.scan(ctx, q, &c, w*chunk, min(n, (w+1)*chunk), t, k)
	})
	if err != nil {
		return nil, err
	}
	return rank(all, k), nil
}

// fanOut runs scan for workers 0..workers-1, worker 0 on the calling
// goroutine, each into its own heap, and returns every candidate they kept.
func fanOut(workers int, scan func(w int, t *topK) error) ([]cand, error) {
	heaps := make([]topK, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := 1; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[w] = scan(w, &heaps[w])
		}()
	}
	errs[0] = scan(0, &heaps[0])
	wg.Wait()
	var all []cand
	for w := range heaps {
		if errs[w] != nil {
			return nil, errs[w]
		}
		all = append(all, heaps[w].h...)
	}
	return all, nil
}

// rank sorts the workers' candidates best first and keeps k.
func rank(all []cand, k int) []vector.Hit {
	slices.SortFunc(all, func(a, b cand) int {
		switch {
		case better(a, b):
			return -1
		case better(b, a):
			return 1
		}
		return 0
	})
	hits := make([]vector.Hit, min(k, len(all)))
	for i := range hits {
		hits[i] = vector.Hit{ID: all[i].id, Score: all[i].score}
	}
	return hits
}

// ctxEvery is how many records a worker scans between cancellation checks.
const ctxEvery = 4096

func (x *index) scan(ctx context.Context, q []float32, c *cfilter, lo, hi int, t *topK, k int) error {
	t.k = k
	dim := x.dim
	for i := lo; i < hi; i++ {
		if (i-lo)%ctxEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if !c.all && !c.match(&x.metas[i]) {
			continue
		}
		off := i * dim
		s := dot(q, x.vecs[off:off+dim:off+dim])
		if t.full() && s < t.h[0].score {
			continue // cheap reject before touching ids
		}
		t.push(cand{score: s, id: x.ids[i]})
	}
	return nil
}

// dot is the inner product of a and b[:len(a)]: an AVX2+FMA assembly
// kernel on amd64 CPUs that have both (dot_amd64.s), else gonum's SSE one.
func dot(a, b []float32) float32 {
	return dotKernel(a, b[:len(a)])
}
