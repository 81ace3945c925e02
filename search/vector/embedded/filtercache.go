package embedded

import (
	"context"
	"runtime"
	"slices"
	"sync"

	"github.com/simili/simili/library/facet"
)

// The filter cache remembers, for the last few selective filters, which
// slots they match and, when the sign codes answer them, a contiguous copy
// of those slots' codes. Browsing with a filter set (a camera, a folder, a
// year) repeats the same filter query after query; with the list in hand a
// search neither tests every record's metadata nor gathers codes from all
// over memory. Any change to the index invalidates every entry (see
// Store.lockIndex), so a cached answer is never stale.
type filterCache struct {
	mu      sync.Mutex
	writes  uint64         // Store.writes the entries were built at
	entries []*filterEntry // most recently used first
	bytes   int
}

// filterKey identifies a filter independently of the interner.
type filterKey facet.Filter

type filterEntry struct {
	key   filterKey
	slots []int32   // matching slots, ascending
	codes []byte    // their sign codes back to back (nb bytes each); nil when not coded
	scale []float32 // their code scales
}

func (e *filterEntry) size() int { return 4*len(e.slots) + len(e.codes) + 4*len(e.scale) }

// filterCacheEntries bounds the number of filters remembered; the byte
// budget (cacheBudget) bounds their total size.
const filterCacheEntries = 4

// cacheBudget is the most the cache may hold: 1/32 of the vectors' bytes
// (3%), so the store stays within its memory target.
func cacheBudget(x *index) int { return max(1<<20, len(x.vecs)*4/32) }

func keyOf(f facet.Filter) filterKey {
	// Times compare by instant, not by location or monotonic reading.
	f.From, f.To = f.From.UTC().Round(0), f.To.UTC().Round(0)
	return filterKey(f)
}

// get returns the entry for key if it was built at writes.
func (fc *filterCache) get(writes uint64, key filterKey) *filterEntry {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	if fc.writes != writes {
		fc.entries, fc.bytes, fc.writes = nil, 0, writes
		return nil
	}
	i := slices.IndexFunc(fc.entries, func(e *filterEntry) bool { return e.key == key })
	if i < 0 {
		return nil
	}
	e := fc.entries[i]
	copy(fc.entries[1:i+1], fc.entries[:i]) // move to the front
	fc.entries[0] = e
	return e
}

// put remembers e, built at writes, evicting the least recently used
// entries beyond the count or the budget. An entry larger than the budget
// alone is not kept.
func (fc *filterCache) put(writes uint64, e *filterEntry, budget int) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	if fc.writes != writes {
		fc.entries, fc.bytes, fc.writes = nil, 0, writes
	}
	if e.size() > budget || slices.ContainsFunc(fc.entries, func(o *filterEntry) bool { return o.key == e.key }) {
		return
	}
	fc.entries = slices.Insert(fc.entries, 0, e)
	fc.bytes += e.size()
	for len(fc.entries) > filterCacheEntries || fc.bytes > budget {
		last := fc.entries[len(fc.entries)-1]
		fc.bytes -= last.size()
		fc.entries = fc.entries[:len(fc.entries)-1]
	}
}

// matchList finds the slots passing c on GOMAXPROCS goroutines, copying
// their sign codes from codes when it is not nil. The caller holds a read
// lock.
func (x *index) matchList(ctx context.Context, key filterKey, c *cfilter, codes *signCodes) (*filterEntry, error) {
	n := x.len()
	workers := max(1, min(runtime.GOMAXPROCS(0), n/minPerWorker))
	chunk := (n + workers - 1) / workers
	parts := make([][]int32, workers)
	errs := make([]error, workers)
	parallel(workers, func(lo, hi int) {
		for w := lo; w < hi; w++ {
			var found []int32
			start, end := w*chunk, min(n, (w+1)*chunk)
			for s := start; s < end; s++ {
				if (s-start)%ctxEvery == 0 && ctx.Err() != nil {
					errs[w] = ctx.Err()
					return
				}
				if c.match(&x.metas[s]) {
					found = append(found, int32(s))
				}
			}
			parts[w] = found
		}
	})
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	e := &filterEntry{key: key, slots: slices.Concat(parts...)}
	if codes != nil && len(e.slots) >= codedMinMatches {
		nb := codes.nb
		e.codes = make([]byte, len(e.slots)*nb)
		e.scale = make([]float32, len(e.slots))
		for i, s := range e.slots {
			copy(e.codes[i*nb:(i+1)*nb], codes.bits[int(s)*nb:])
			e.scale[i] = codes.scale[s]
		}
	}
	return e, nil
}

// searchSlots scores the listed slots exactly. The caller holds a read lock.
func (x *index) searchSlots(ctx context.Context, q []float32, k int, slots []int32) ([]cand, error) {
	workers := max(1, min(runtime.GOMAXPROCS(0), len(slots)*x.dim>>18))
	chunk := (len(slots) + workers - 1) / workers
	dim := x.dim
	return fanOut(workers, func(w int, t *topK) error {
		t.k = k
		part := slots[min(len(slots), w*chunk):min(len(slots), (w+1)*chunk)]
		for j, s := range part {
			if j%ctxEvery == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			off := int(s) * dim
			sc := dot(q, x.vecs[off:off+dim:off+dim])
			if t.full() && sc < t.h[0].score {
				continue
			}
			t.push(cand{score: sc, id: x.ids[s]})
		}
		return nil
	})
}
