package embedded

import (
	"context"
	"runtime"
	"sync"
)

// The IVF (inverted file) index lets a search over a large store read a few
// percent of the vectors instead of all of them: records are grouped into
// nlist lists by their nearest k-means centroid, and a search scores only
// the lists whose centroids are nearest the query. Scores returned are
// exact dot products on the stored float32 vectors (a large probe ranks by
// byte codes first and re-scores the best: int8code.go); what is
// approximate is only which records get scored. Below ivfMin records
// (fewer for wide vectors: indexed), or while no index is built, the exact
// scan answers, so small stores (and the conformance suite) stay exact.
//
// The index keeps no copy of the vectors: each list is a slice of int32
// slot numbers into index.vecs, plus a slot→(list, position) map so that
// the index's swap-delete can patch a list in O(1).
const (
	// ivfMin is the record count from which an IVF index is built. Below it
	// an exact scan takes a few milliseconds at most, unless the vectors
	// are wide: from ivfMinWide records an index is built once they hold
	// ivfMinFloats floats, as many as 20,000 of 512 dimensions. Measured
	// (simili bench, 2026-12-02, an AVX2 Zen 3): the exact scan of 10,000 ×
	// 2048 (80 MB) took p50 8.8 ms, the IVF search of 100,000 × 2048 0.41.
	ivfMin       = 20_000
	ivfMinWide   = 5_000
	ivfMinFloats = 20_000 * 512

	// defaultProbeFrac (at least minProbe lists) is probed only until the
	// index is calibrated (ivfcalibrate.go), a second or two after each
	// training. As the fixed default it was: at 1M×512 (4006 lists) recall
	// 0.966 at p50 13 ms, at 100k×2048 (1264 lists) 0.995 at 5.8 ms, where
	// calibration picks 7 lists for recall 1.000.
	defaultProbeFrac = 0.02
	minProbe         = 24

	// exactBelowSel: a filter keeping less than this share of records is
	// answered from its match list (filtercache.go): by the sign codes
	// (signcode.go) when it keeps more than codedMinMatches records, else
	// by scoring the listed records exactly. Measured
	// with a 10% filter, the widened probe (23–30% of the lists) was no
	// faster than the exact scan and recalled only 0.85 (1M×512) to 0.97
	// (100k×2048): the filtered top 10 reaches into far clusters.
	exactBelowSel = 0.15

	// exactAboveProbe: when the (filter-widened) probe would cover more
	// than this share of lists, the exact scan is as cheap.
	exactAboveProbe = 0.25

	// filterWiden scales the 1/selectivity widening for filters that do
	// use the index: matches near the query are rarer than the filter's
	// share. At 10%, 1/sel reached recall 0.93–0.95, 1.5/sel 0.96–0.97.
	filterWiden = 1.5
)

// ivf is the list structure over an index's slots. List nlist is the tail:
// records added or changed since the last (re)build or absorb, which every
// search scans in full so that fresh writes are always found.
type ivf struct {
	dim    int
	nlist  int
	cents  []float32 // nlist × dim, unit length
	coarse []float32 // len(groups)-1 coarse centroids × dim
	groups []int32   // fine centroids of coarse g: [groups[g], groups[g+1])
	lists  [][]int32 // nlist+1 lists of slots; the last is the tail
	of     []int32   // slot → list
	pos    []int32   // slot → position in its list
	built  int       // records when the centroids were trained
	stale  int       // updates, inserts and deletes since then
	moved  int       // records absorbed into lists since the last layout
	mean   []float32 // the records' mean at training (saved with the index)
	codes  *signCodes
	i8     *int8Codes  // the probe's byte codes (int8code.go); nil until encoded
	cent8  *int8Codes  // the fine centroids' byte codes, for ranking lists; nil if not int8Codable
	cal    calibration // measured probe counts; zero until calibrated
}

func (v *ivf) tail() int { return v.nlist }

// indexed reports whether a store of n records of dimension dim uses an
// IVF index rather than the exact scan.
func indexed(n, dim int) bool {
	return n >= ivfMin || (n >= ivfMinWide && n*dim >= ivfMinFloats)
}

func (v *ivf) place(s, l int32) {
	v.of[s] = l
	v.pos[s] = int32(len(v.lists[l]))
	v.lists[l] = append(v.lists[l], s)
}

func (v *ivf) unlink(s int32) {
	l, p := v.of[s], v.pos[s]
	list := v.lists[l]
	last := list[len(list)-1]
	list[p] = last
	v.pos[last] = p
	v.lists[l] = list[:len(list)-1]
}

// added records a new slot holding unit vector vec (the index appended
// it): it goes to the tail.
func (v *ivf) added(s int32, vec []float32) {
	v.of = append(v.of, 0)
	v.pos = append(v.pos, 0)
	v.place(s, int32(v.tail()))
	v.stale++
	if v.codes != nil {
		v.codes.set(s, vec)
	}
	if v.i8 != nil {
		v.i8.set(s, vec)
	}
}

// changed records a slot whose vector was replaced by vec: its list may no
// longer be the nearest, so it moves to the tail until the next absorb.
func (v *ivf) changed(s int32, vec []float32) {
	v.unlink(s)
	v.place(s, int32(v.tail()))
	v.stale++
	if v.codes != nil {
		v.codes.set(s, vec)
	}
	if v.i8 != nil {
		v.i8.set(s, vec)
	}
}

// removed mirrors index.remove: slot s leaves, and slot last (if another)
// is renumbered s.
func (v *ivf) removed(s, last int32) {
	v.unlink(s)
	if s != last {
		l, p := v.of[last], v.pos[last]
		v.lists[l][p] = s
		v.of[s], v.pos[s] = l, p
	}
	v.of = v.of[:last]
	v.pos = v.pos[:last]
	v.stale++
	if v.codes != nil {
		v.codes.removed(s, last)
	}
	if v.i8 != nil {
		v.i8.removed(s, last)
	}
}

// topGroups returns the g coarse groups (non-empty) whose centroids score
// highest with u, in no particular order.
func (v *ivf) topGroups(u []float32, g int) []cand {
	dim := v.dim
	top := topK{k: g, h: make([]cand, 0, g)}
	for c := 0; c+1 < len(v.groups); c++ {
		if v.groups[c] != v.groups[c+1] {
			top.push(cand{score: dot(u, v.coarse[c*dim:(c+1)*dim]), id: int64(c)})
		}
	}
	return top.h
}

// parallel runs f over [0,n) split into GOMAXPROCS chunks.
func parallel(n int, f func(lo, hi int)) {
	workers := max(1, min(runtime.GOMAXPROCS(0), n))
	chunk := (n + workers - 1) / workers
	var wg sync.WaitGroup
	for w := 1; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(w*chunk, min(n, (w+1)*chunk))
		}()
	}
	f(0, min(n, chunk))
	wg.Wait()
}

// probes returns which lists a search for k results probes: nprobe if
// the caller set one, else the count and slack calibrated on the store's
// records (ivfcalibrate.go, probeslack.go) or, until that is done,
// defaultProbeFrac of the lists; widened by filterWiden/sel for a filter
// keeping share sel of the records, so that about as many matching
// records are scored as without a filter.
func (v *ivf) probes(nprobe, k int, sel float64) probe {
	p := probe{lists: nprobe, slack: -1, widen: 1}
	if p.lists <= 0 {
		p.lists = v.cal.forK(k)
		if p.lists > 0 {
			p.slack = v.cal.slackForK(k)
		} else {
			p.lists = max(minProbe, int(defaultProbeFrac*float64(v.nlist)+0.5))
		}
		if sel < 1 {
			p.widen = filterWiden / sel
			p.lists = int(p.widen*float64(p.lists) + 0.5)
		}
	}
	p.lists = min(p.lists, v.nlist)
	return p
}

// groupsFor returns how many coarse groups a search for k results that
// probes np lists ranks lists in: the calibrated count, widened so the
// groups hold at least twice np lists on average (filters widen np), or 0
// (every list) until calibrated.
func (v *ivf) groupsFor(k, np int) int {
	g := v.cal.groupsForK(k)
	if g <= 0 {
		return 0
	}
	nc := len(v.groups) - 1
	return min(nc, max(g, (2*np*nc+v.nlist-1)/v.nlist))
}

// selectivity estimates the share of records c keeps from a sample of 2048
// metadata entries (no vectors are read). The sample positions follow a
// multiplicative hash, not a fixed stride, so a filter that keeps every
// tenth slot is not aliased to 0% or 100%.
func (x *index) selectivity(c *cfilter) float64 {
	n := x.len()
	if c.all || n == 0 {
		return 1
	}
	const samples = 2048
	kept := 0
	for j := range uint64(samples) {
		if c.match(&x.metas[(j*0x9E3779B97F4A7C15>>11)%uint64(n)]) {
			kept++
		}
	}
	return float64(kept) / samples
}

// search probes the lists p picks among those whose centroids score
// highest with q, plus the tail, splitting them across GOMAXPROCS
// goroutines by record count. A probe of int8MinScan re-score depths or
// more ranks by the byte codes when they exist. The caller holds a read
// lock.
func (v *ivf) search(ctx context.Context, x *index, q []float32, k int, p probe, c cfilter) ([]cand, error) {
	wq := quantize(q)
	probe := make([]int32, 0, p.lists+1)
	total := len(v.lists[v.tail()])
	if total > 0 {
		probe = append(probe, int32(v.tail()))
	}
	for _, b := range p.trim(v.nearestLists(q, &wq, p.lists, v.groupsFor(k, p.lists))) {
		probe = append(probe, int32(b.id))
		total += len(v.lists[b.id])
	}
	// A second goroutine pays off from about 256k multiply-adds (~0.1 ms).
	workers := max(1, min(runtime.GOMAXPROCS(0), total*x.dim>>18))
	// Deal lists to workers so each gets about total/workers records.
	share := make([][]int32, workers)
	load := make([]int, workers)
	for _, l := range probe {
		w := 0
		for i := range load {
			if load[i] < load[w] {
				w = i
			}
		}
		share[w] = append(share[w], l)
		load[w] += len(v.lists[l])
	}
	if v.i8 != nil && total >= int8MinScan*workers*rerankDepth(k) {
		return fanOut(workers, func(w int, t *topK) error {
			return v.scanCoded(ctx, x, q, &wq, &c, share[w], t, k)
		})
	}
	return fanOut(workers, func(w int, t *topK) error {
		return v.scanLists(ctx, x, q, &c, share[w], t, k)
	})
}

// nearestLists returns the np lists whose centroids score highest with q
// (listScore) among the fine lists of the ng coarse groups nearest q (all
// lists if ng covers every group). Scoring every fine centroid read 10 MB per query at
// 100k×2048, as much as the probed lists; the calibration (ivfcalibrate.go)
// measures how few groups hold the neighbours.
func (v *ivf) nearestLists(q []float32, wq *int8Query, np, ng int) []cand {
	nc := len(v.groups) - 1
	var ranges [][2]int32 // fine lists to score, by group
	if ng <= 0 || ng >= nc {
		ranges = [][2]int32{{0, int32(v.nlist)}}
	} else {
		for _, g := range v.topGroups(q, ng) {
			ranges = append(ranges, [2]int32{v.groups[g.id], v.groups[g.id+1]})
		}
	}
	lists := 0
	for _, r := range ranges {
		lists += int(r[1] - r[0])
	}
	// Split the lists into one contiguous share per worker.
	workers := max(1, min(runtime.GOMAXPROCS(0), lists/256))
	chunk := (lists + workers - 1) / workers
	heaps := make([]topK, workers)
	parallel(workers, func(lo, hi int) {
		for w := lo; w < hi; w++ {
			heaps[w].k = np
			skip, left := w*chunk, chunk
			for _, r := range ranges {
				a := int(r[0]) + min(skip, int(r[1]-r[0]))
				skip -= a - int(r[0])
				b := min(int(r[1]), a+left)
				left -= b - a
				for l := a; l < b; l++ {
					heaps[w].push(cand{score: v.listScore(q, wq, l), id: int64(l)})
				}
			}
		}
	})
	best := heaps[0]
	for _, h := range heaps[1:] {
		for _, c := range h.h {
			best.push(c)
		}
	}
	return best.h
}

// listScore is q's score with list l's centroid: estimated from the
// centroids' byte codes where they exist, a quarter of the memory (7 MB
// of floats per query at 1M×512, where a search ranks most lists), else
// exact. Ranking lists is approximate anyway; the calibration ranks them
// the same way.
func (v *ivf) listScore(q []float32, wq *int8Query, l int) float32 {
	if v.cent8 != nil {
		return v.cent8.estimate(wq, l)
	}
	return dot(q, v.cents[l*v.dim:(l+1)*v.dim])
}

// encodeCentroids computes the centroids' byte codes (cent8).
func (v *ivf) encodeCentroids() {
	if !int8Codable(v.dim) {
		return
	}
	c := newInt8Codes(v.dim, v.nlist)
	for l := range v.nlist {
		c.set(int32(l), v.cents[l*v.dim:(l+1)*v.dim])
	}
	v.cent8 = c
}

func (v *ivf) scanLists(ctx context.Context, x *index, q []float32, c *cfilter, lists []int32, t *topK, k int) error {
	t.k = k
	dim := x.dim
	for _, l := range lists {
		if err := ctx.Err(); err != nil {
			return err
		}
		for _, s := range v.lists[l] {
			i := int(s)
			if !c.all && !c.match(&x.metas[i]) {
				continue
			}
			off := i * dim
			sc := dot(q, x.vecs[off:off+dim:off+dim])
			if t.full() && sc < t.h[0].score {
				continue
			}
			t.push(cand{score: sc, id: x.ids[i]})
		}
	}
	return nil
}

// scanCoded is scanLists through the byte codes: it ranks the lists'
// records by their estimates and re-scores the best rerankDepth(k)
// exactly, so t gets exact scores.
//
// Runs of consecutive slots (a laid-out list is one) are scored by one
// kernel call each: a call and a bounds check per record were a third of
// the scan's CPU at 1M×512.
func (v *ivf) scanCoded(ctx context.Context, x *index, q []float32, wq *int8Query, c *cfilter, lists []int32, t *topK, k int) error {
	est := topK{k: rerankDepth(k)}
	var dots [codedRun]int32
	dim := x.dim
	for _, l := range lists {
		if err := ctx.Err(); err != nil {
			return err
		}
		for slots := v.lists[l]; len(slots) > 0; {
			n := 1
			for n < len(slots) && n < codedRun && slots[n] == slots[0]+int32(n) {
				n++
			}
			if !c.all || n < codedRunMin {
				for _, s := range slots[:n] {
					i := int(s)
					if !c.all && !c.match(&x.metas[i]) {
						continue
					}
					e := v.i8.estimate(wq, i)
					if est.full() && e < est.h[0].score {
						continue
					}
					est.push(cand{score: e, id: int64(i)})
				}
			} else {
				s0 := int(slots[0])
				dotI8Batch(wq.words, v.i8.codes[s0*dim:], dots[:n])
				scales := v.i8.scale[s0 : s0+n]
				for j, d := range dots[:n] {
					e := float32(d) * wq.scale * scales[j] // as estimate computes it
					if est.full() && e < est.h[0].score {
						continue
					}
					est.push(cand{score: e, id: int64(s0 + j)})
				}
			}
			slots = slots[n:]
		}
	}
	t.k = k
	for _, e := range est.h {
		off := int(e.id) * dim
		t.push(cand{score: dot(q, x.vecs[off:off+dim:off+dim]), id: x.ids[e.id]})
	}
	return nil
}
