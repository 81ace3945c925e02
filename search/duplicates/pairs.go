package duplicates

import (
	"fmt"
	"math"
	"math/bits"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/simili/simili/library/catalog"
	"github.com/simili/simili/library/signature"
)

// bandTable is one 16-bit band of the hashes: which contents have each
// value (multi-index hashing). Two hashes within distance 4r+3 agree within
// r bits on at least one of their four bands, so probing every band at
// radius r finds every such pair without comparing all pairs.
type bandTable [1 << 16][]int32

func band(h uint64, i int) uint16 { return uint16(h >> (16 * i)) }

// samePairs finds candidate pairs by hash bands (whole picture against the
// whole and centre-crop hashes of the others) and by identical capture
// time, then keeps the pairs whose evidence says "the same photograph".
func (f *finder) samePairs() ([]edge, error) {
	live := f.live()
	var tables [4]*bandTable // whole-picture hashes
	var crops [4]*bandTable  // centre-crop hashes
	for i := range tables {
		tables[i], crops[i] = new(bandTable), new(bandTable)
	}
	for _, c := range live {
		it := f.items[c]
		if !it.hasSig {
			continue
		}
		for i := 0; i < 4; i++ {
			b := band(it.sig.PHash, i)
			tables[i][b] = append(tables[i][b], int32(c))
			for _, h := range it.sig.Centre {
				cb := band(h, i)
				crops[i][cb] = append(crops[i][cb], int32(c))
			}
		}
	}
	probes := probeMasks(f.p.probeRadius)
	// The three coarse hashes of every content side by side: the probe
	// loop reads them at random, so they should share cache lines.
	hashes := make([][3]uint64, len(f.items))
	for _, c := range live {
		s := &f.items[c].sig
		hashes[c] = [3]uint64{s.PHash, s.Centre[0], s.Centre[1]}
	}
	// Probe in parallel over slices of the contents; each worker keeps its
	// own pairs, merged and deduplicated after.
	workers := max(1, min(runtime.GOMAXPROCS(0), len(live)/2048))
	found := make([][][2]int32, workers)
	maxD := f.p.cropDistance
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var out [][2]int32
			for n := w; n < len(live); n += workers {
				c := live[n]
				if n%4096 == w && f.ctx.Err() != nil {
					return
				}
				if !f.items[c].hasSig {
					continue
				}
				hc := hashes[c]
				for i := 0; i < 4; i++ {
					b := band(hc[0], i)
					for _, m := range probes {
						// Whole against whole (each unordered pair once),
						// and both ways between whole and centre crops.
						// Most band collisions are chance: the hashes drop
						// them before any embedding is read.
						for _, o := range tables[i][b^m] {
							if int(o) > c {
								ho := hashes[o]
								if signature.Distance(hc[0], ho[0]) <= maxD || signature.Distance(hc[1], ho[0]) <= maxD ||
									signature.Distance(hc[2], ho[0]) <= maxD || signature.Distance(hc[0], ho[1]) <= maxD ||
									signature.Distance(hc[0], ho[2]) <= maxD {
									out = append(out, [2]int32{int32(c), o})
								}
							}
						}
						for _, o := range crops[i][b^m] {
							if int(o) != c {
								ho := hashes[o]
								if signature.Distance(hc[0], ho[1]) <= maxD || signature.Distance(hc[0], ho[2]) <= maxD {
									a, b := int32(c), o
									if a > b {
										a, b = b, a
									}
									out = append(out, [2]int32{a, b})
								}
							}
						}
					}
				}
			}
			found[w] = out
		}(w)
	}
	wg.Wait()
	if err := f.ctx.Err(); err != nil {
		return nil, err
	}
	var cands [][2]int32
	for _, fw := range found {
		cands = append(cands, fw...)
	}
	addPair := func(a, b int32) {
		if a > b {
			a, b = b, a
		}
		cands = append(cands, [2]int32{a, b})
	}
	// Same camera, same EXIF second: exports that kept the metadata.
	type shot struct {
		cam string
		t   int64
	}
	byShot := map[shot][]int32{}
	for _, c := range live {
		p := f.rep(c)
		if t, ok := exifTime(p); ok && camera(p) != "" {
			k := shot{camera(p), t.Unix()}
			byShot[k] = append(byShot[k], int32(c))
		}
	}
	for _, cs := range byShot {
		if len(cs) > 64 {
			continue // a clock stuck at one value says nothing
		}
		for i := range cs {
			for j := i + 1; j < len(cs); j++ {
				addPair(cs[i], cs[j])
			}
		}
	}
	sort.Slice(cands, func(i, j int) bool {
		if cands[i][0] != cands[j][0] {
			return cands[i][0] < cands[j][0]
		}
		return cands[i][1] < cands[j][1]
	})
	cands = slices.Compact(cands)
	// Rule out what the hashes and metadata can, then read the embeddings
	// of what is left in one go.
	type pending struct {
		a, b int
		e    evidence
	}
	var left []pending
	var need []int
	var out []edge
	for n, k := range cands {
		if n%4096 == 0 {
			if err := f.ctx.Err(); err != nil {
				return nil, err
			}
		}
		a, b := int(k[0]), int(k[1])
		e := f.evidence(a, b)
		switch {
		case f.p.sureWithoutCosine(e):
			out = append(out, edge{a: a, b: b, rank: e.rank(), reason: e.describe()})
		case f.p.decide(e, true):
			left = append(left, pending{a, b, e})
			need = append(need, a, b)
		}
	}
	if err := f.preload(need); err != nil {
		return nil, err
	}
	for _, pd := range left {
		e := pd.e
		if va, vb := f.items[pd.a].vec, f.items[pd.b].vec; va != nil && vb != nil {
			e.cosine = cosine(va, vb)
		}
		if f.p.decide(e, false) {
			out = append(out, edge{a: pd.a, b: pd.b, rank: e.rank(), reason: e.describe()})
		}
	}
	return out, nil
}

// probeMasks lists the 16-bit masks of at most r set bits.
func probeMasks(r int) []uint16 {
	var out []uint16
	for m := 0; m < 1<<16; m++ {
		if bits.OnesCount16(uint16(m)) <= r {
			out = append(out, uint16(m))
		}
	}
	sort.Slice(out, func(i, j int) bool { return bits.OnesCount16(out[i]) < bits.OnesCount16(out[j]) })
	return out
}

// evidence is what is known about a pair of contents.
type evidence struct {
	distance int     // pHash distance, whole or crop (64 when unknown)
	crop     bool    // the distance came from a centre-crop hash
	fine     int     // fine-hash distance of the whole pictures, -1 when unknown
	frame    bool    // same framing: not a crop, same aspect ratio
	cosine   float32 // NaN when either has no embedding
	aspect   float64 // ratio of aspect ratios, >= 1
	dt       time.Duration
	bothEXIF bool // both have EXIF capture times
	sameCam  bool // both name a camera, the same one
	diffCam  bool // both name a camera, different ones
}

// evidence gathers what the signatures and metadata say about a pair; the
// cosine is added once the pair survives them.
func (f *finder) evidence(a, b int) evidence {
	pa, pb := f.rep(a), f.rep(b)
	e := f.hashEvidence(a, b)
	ta, oka := exifTime(pa)
	tb, okb := exifTime(pb)
	if oka && okb {
		e.bothEXIF = true
		e.dt = ta.Sub(tb)
		if e.dt < 0 {
			e.dt = -e.dt
		}
	}
	if ca, cb := camera(pa), camera(pb); ca != "" && cb != "" {
		e.sameCam, e.diffCam = ca == cb, ca != cb
	}
	return e
}

// hashEvidence compares two contents' signatures and shapes only.
func (f *finder) hashEvidence(a, b int) evidence {
	ia, ib := f.items[a], f.items[b]
	e := evidence{distance: 64, fine: -1, cosine: float32(math.NaN()), aspect: 1}
	ra, rb := aspect(f.rep(a).Width, f.rep(a).Height, ia), aspect(f.rep(b).Width, f.rep(b).Height, ib)
	if ra > 0 && rb > 0 {
		e.aspect = math.Max(ra/rb, rb/ra)
	}
	if ia.hasSig && ib.hasSig {
		e.distance, e.crop = signature.CropDistance(ia.sig, ib.sig)
		e.fine = signature.FineDistance(ia.sig, ib.sig)
	}
	e.frame = !e.crop && e.aspect <= 1.01
	return e
}

// otherFrame reports whether two contents are the same framing with
// different detail: two frames of a burst, never one photograph.
func (p params) otherFrame(e evidence) bool {
	return e.frame && e.fine > p.fineMax
}

// aspect is the upright width/height, from the catalog's full-size
// dimensions when known, else from the signature.
func aspect(w, h int, it content) float64 {
	if w > 0 && h > 0 {
		return float64(w) / float64(h)
	}
	if it.hasSig {
		return float64(it.sig.Aspect)
	}
	return 0
}

// decide says whether the evidence shows one photograph. The pHash is
// computed on the upright picture, so EXIF rotation and rotated pixels
// agree; a crop is matched through the centre-crop hashes; the embedding
// separates a re-encode from another shot of the same scene when the
// hashes alone are not conclusive; capture times that differ rule out the
// same shot.
// sureWithoutCosine is a pair whose hashes settle it: the same framing
// with the same fine detail, and no metadata against it.
func (p params) sureWithoutCosine(e evidence) bool {
	return e.frame && e.fine >= 0 && e.fine <= p.fineSure && e.distance <= p.sureDistance && p.decide(e, true)
}

func (p params) decide(e evidence, cosineUnknown bool) bool {
	if e.aspect > p.maxAspect+1e-3 {
		return false
	}
	if e.bothEXIF && e.dt > p.timeSlack {
		return false // two shots
	}
	if e.diffCam || p.otherFrame(e) {
		return false
	}
	hasCos := !math.IsNaN(float64(e.cosine))
	switch {
	case e.distance <= p.sureDistance:
		return cosineUnknown || !hasCos || e.cosine >= p.sameCosine-0.1
	case e.distance <= p.maxDistance:
		return cosineUnknown || hasCos && e.cosine >= p.sameCosine
	case e.distance <= p.cropDistance:
		return cosineUnknown || hasCos && e.cosine >= p.sureCosine
	}
	return false
}

// rank orders evidence, strongest (lowest) first.
func (e evidence) rank() float64 {
	r := float64(e.distance)
	if !math.IsNaN(float64(e.cosine)) {
		r += 100 * float64(1-e.cosine)
	}
	return r
}

func (e evidence) describe() string {
	parts := []string{fmt.Sprintf("same picture: pHash distance %d/64", e.distance)}
	if !math.IsNaN(float64(e.cosine)) {
		parts = append(parts, fmt.Sprintf("cosine %.3f", e.cosine))
	}
	if e.fine >= 0 && e.frame {
		parts = append(parts, fmt.Sprintf("fine detail %d/256", e.fine))
	}
	if e.crop {
		parts = append(parts, "cropped")
	}
	if e.bothEXIF && e.dt <= time.Second {
		parts = append(parts, "same capture time")
	}
	return strings.Join(parts, ", ")
}

// burstPairs chains the shots of one camera taken at most burstGap apart.
func (f *finder) burstPairs() ([]edge, error) {
	type shot struct {
		c   int
		cam string
		t   time.Time
	}
	var shots []shot
	for _, c := range f.live() {
		p := f.rep(c)
		if t, ok := exifTime(p); ok && camera(p) != "" {
			shots = append(shots, shot{c, camera(p), t})
		}
	}
	sort.Slice(shots, func(i, j int) bool {
		if shots[i].cam != shots[j].cam {
			return shots[i].cam < shots[j].cam
		}
		if !shots[i].t.Equal(shots[j].t) {
			return shots[i].t.Before(shots[j].t)
		}
		return shots[i].c < shots[j].c
	})
	var out []edge
	for i := 1; i < len(shots); i++ {
		a, b := shots[i-1], shots[i]
		if a.cam != b.cam {
			continue
		}
		dt := b.t.Sub(a.t)
		if dt > f.p.burstGap {
			continue
		}
		out = append(out, edge{a: a.c, b: b.c, rank: dt.Seconds(), reason: fmt.Sprintf("burst: same camera (%s), %s", cameraName(f.rep(b.c)), seconds(dt))})
	}
	return out, nil
}

func seconds(d time.Duration) string {
	if d < time.Second {
		return "in the same second"
	}
	return fmt.Sprintf("%d s apart", int(d.Round(time.Second)/time.Second))
}

// cameraName is make and model as people say it: "Canon PowerShot S1 IS",
// not "Canon Canon PowerShot S1 IS".
func cameraName(p catalog.Photo) string {
	if p.Make != "" && strings.HasPrefix(strings.ToLower(p.Model), strings.ToLower(p.Make)) {
		return p.Model
	}
	return strings.TrimSpace(p.Make + " " + p.Model)
}

// similarPairs asks the vector index for each content's neighbours and
// keeps those at or above the threshold.
func (f *finder) similarPairs() ([]edge, error) {
	var out []edge
	live := f.live()
	const chunk = 512 // vectors read per query, and held at once
	for n, c := range live {
		if n%chunk == 0 {
			if err := f.ctx.Err(); err != nil {
				return nil, err
			}
			if err := f.preload(live[n:min(n+chunk, len(live))]); err != nil {
				return nil, err
			}
		}
		v := f.items[c].vec
		if v == nil {
			continue
		}
		hits, err := f.lib.Neighbours(f.ctx, v, f.p.neighbours)
		if err != nil {
			return nil, fmt.Errorf("look-alikes: %w", err)
		}
		f.items[c].vec, f.items[c].vecOK = nil, false // not needed again: keep memory flat
		for _, h := range hits {
			if h.Score < f.opt.Threshold {
				break
			}
			o, ok := f.byID[h.ID]
			if !ok {
				continue // not in the catalog any more
			}
			o = f.owner(o)
			if o < 0 || o == c {
				continue
			}
			out = append(out, edge{a: c, b: o, rank: float64(1 - h.Score), reason: fmt.Sprintf("look-alike: cosine %.3f", h.Score)})
		}
	}
	return out, nil
}

// owner returns the live content a (possibly merged) content belongs to.
func (f *finder) owner(c int) int {
	for f.items[c].photos == nil {
		next, ok := f.mergedInto[c]
		if !ok {
			return -1
		}
		c = next
	}
	return c
}
