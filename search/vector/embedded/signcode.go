package embedded

import (
	"context"
	"math"
	"math/bits"
	"runtime"
)

// Sign codes answer selective filters on a large store. A filter keeping
// 10% of 1M records leaves 100k candidates scattered through memory: the
// exact scan reads 2 KB (512-d) per candidate at a stride the hardware
// prefetcher cannot follow (measured: 40 ms p50 at 1M×512), and the IVF
// probe cannot help because the filtered top 10 lie in far lists. Instead
// each record also keeps one bit per dimension, the sign of (v − mean), and
// a scale; a filtered search ranks every matching record (listed, with
// their codes copied back to back, by the filter cache: filtercache.go) by
// the estimate scale·Σ q_d·sign(v_d − mean_d) reading dim/8 bytes each,
// then re-scores
// the best rerankFor(...) of them exactly. Scores returned are exact dot
// products; only which records are re-scored is approximate. Measured on
// clustered data (10% filter): re-scoring the best 2% (≥ 1000) recalls
// 0.986 of the exact top 10 at 1M×512 and 0.998 at 100k×2048.
//
// The codes cost dim/8 + 4 bytes per record (3% of the vectors at 512-d)
// and live in the ivf, built, loaded and maintained with it.
type signCodes struct {
	nb    int       // bytes per record: dim/8
	mean  []float32 // the records' mean when the index was trained
	bits  []byte    // slot-major, nb bytes per slot
	scale []float32 // slot → mean |v_d − mean_d|, the code's magnitude
}

// codedMinMatches is the estimated match count from which a filtered
// search goes through the codes; fewer matches are cheaper to score exactly.
const codedMinMatches = 8192

// rerankFor is how many of the code-ranked matches are re-scored exactly.
func rerankFor(k, matches int) int {
	return max(1000, 50*k, matches/50)
}

func newSignCodes(mean []float32, n int) *signCodes {
	nb := len(mean) / 8
	c := &signCodes{nb: nb, mean: mean, bits: make([]byte, n*nb), scale: make([]float32, n)}
	adviseHuge(c.bits)
	return c
}

// codable reports whether records of dimension dim get sign codes.
func codable(dim int) bool { return dim >= 64 && dim%8 == 0 }

// set writes slot s's code from its (unit) vector v; s may be one past the
// end, which appends. Branch-free: sign bits are unpredictable.
func (c *signCodes) set(s int32, v []float32) {
	if int(s) == len(c.scale) {
		c.bits = append(c.bits, make([]byte, c.nb)...)
		c.scale = append(c.scale, 0)
	}
	code := c.bits[int(s)*c.nb : int(s+1)*c.nb]
	v, mean := v[:8*c.nb], c.mean[:8*c.nb]
	var l1 float32
	for b := range code {
		var by uint32
		for j := range 8 {
			u := math.Float32bits(v[8*b+j] - mean[8*b+j])
			by |= (u>>31 ^ 1) << j // 1 when positive
			l1 += math.Float32frombits(u &^ (1 << 31))
		}
		code[b] = byte(by)
	}
	c.scale[s] = l1 / float32(len(c.mean))
}

// removed mirrors index.remove: slot last moves into s.
func (c *signCodes) removed(s, last int32) {
	if s != last {
		copy(c.bits[int(s)*c.nb:int(s+1)*c.nb], c.bits[int(last)*c.nb:])
		c.scale[s] = c.scale[last]
	}
	c.bits = c.bits[:int(last)*c.nb]
	c.scale = c.scale[:last]
}

// encodeAll computes every slot's code on GOMAXPROCS goroutines.
func (c *signCodes) encodeAll(x *index) {
	parallel(x.len(), func(lo, hi int) {
		for s := lo; s < hi; s++ {
			c.set(int32(s), x.vecs[s*x.dim:(s+1)*x.dim])
		}
	})
}

// meanOf returns the mean of x's vectors, computed on GOMAXPROCS goroutines.
func meanOf(x *index) []float32 {
	n, dim := x.len(), x.dim
	workers := max(1, min(runtime.GOMAXPROCS(0), n))
	sums := make([][]float64, workers)
	chunk := (n + workers - 1) / workers
	parallel(workers, func(lo, hi int) {
		for w := lo; w < hi; w++ {
			sum := make([]float64, dim)
			for s := w * chunk; s < min(n, (w+1)*chunk); s++ {
				for j, f := range x.vecs[s*dim : (s+1)*dim] {
					sum[j] += float64(f)
				}
			}
			sums[w] = sum
		}
	})
	mean := make([]float32, dim)
	for j := range mean {
		var t float64
		for _, sum := range sums {
			t += sum[j]
		}
		mean[j] = float32(t / math.Max(1, float64(n)))
	}
	return mean
}

// table returns, for each code byte b and each of its 256 values, the sum
// over its 8 dimensions of ±q_d, offset to be non-negative and rounded to
// a byte: the estimate of a code is then nb lookups into a table small
// enough for the L1 cache (16 KB at 512-d; float32 entries, 4× larger,
// measured 2× slower). The rounding adds noise of a fraction of the code's
// own; the exact re-score removes both.
// An estimate is then float32(sum)·step − base.
func (c *signCodes) table(q []float32) (t [][256]uint8, step, base float32) {
	f := make([][256]float32, c.nb)
	var top float32
	for b := range f {
		row := &f[b]
		var neg, abs float32
		for j := range 8 {
			neg -= q[8*b+j]
			abs += max(q[8*b+j], -q[8*b+j])
		}
		row[0] = neg
		for p := 1; p < 256; p++ {
			low := bits.TrailingZeros(uint(p))
			row[p] = row[p&^(1<<low)] + 2*q[8*b+low]
		}
		top = max(top, abs) // the largest |entry| of any row
	}
	t = make([][256]uint8, c.nb)
	if top == 0 {
		return t, 0, 0
	}
	unit := 255 / (2 * top)
	for b := range f {
		for p, e := range f[b] {
			t[b][p] = uint8((e+top)*unit + 0.5)
		}
	}
	return t, 1 / unit, float32(c.nb) * top
}

// estimate is Σ_b t[b][code[b]] with four accumulators, so the additions
// overlap instead of waiting on each other.
func estimate(t [][256]uint8, code []byte) uint32 {
	code = code[:len(t)]
	var e0, e1, e2, e3 uint32
	b := 0
	for ; b+4 <= len(code); b += 4 {
		e0 += uint32(t[b][code[b]])
		e1 += uint32(t[b+1][code[b+1]])
		e2 += uint32(t[b+2][code[b+2]])
		e3 += uint32(t[b+3][code[b+3]])
	}
	for ; b < len(code); b++ {
		e0 += uint32(t[b][code[b]])
	}
	return (e0 + e1) + (e2 + e3)
}

// searchList ranks the matches of a filter cache entry by their codes,
// which lie back to back there, keeps the best rerankFor(k, matches) and
// returns the top k of those by exact score.
func (c *signCodes) searchList(ctx context.Context, x *index, q []float32, k int, e *filterEntry) ([]cand, error) {
	t, step, base := c.table(q)
	m, nb := len(e.slots), c.nb
	r := rerankFor(k, m)
	workers := max(1, min(runtime.GOMAXPROCS(0), m/minPerWorker))
	chunk := (m + workers - 1) / workers
	est, err := fanOut(workers, func(w int, h *topK) error {
		h.k = r
		lo, hi := w*chunk, min(m, (w+1)*chunk)
		for i := lo; i < hi; i++ {
			if (i-lo)%ctxEvery == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			v := (float32(estimate(t, e.codes[i*nb:(i+1)*nb:(i+1)*nb]))*step - base) * e.scale[i]
			if h.full() && v < h.h[0].score {
				continue
			}
			h.push(cand{score: v, id: int64(e.slots[i])})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return c.rerank(x, q, k, r, est), nil
}

// rerank scores exactly the best r of the estimates (ids are slots) and
// returns the top k by exact score.
func (c *signCodes) rerank(x *index, q []float32, k, r int, est []cand) []cand {
	best := topK{k: r, h: make([]cand, 0, r)}
	for _, e := range est {
		best.push(e)
	}
	dim := x.dim
	top := topK{k: k}
	for _, e := range best.h {
		s := int(e.id)
		sc := dot(q, x.vecs[s*dim:(s+1)*dim:(s+1)*dim])
		if top.full() && sc < top.h[0].score {
			continue
		}
		top.push(cand{score: sc, id: x.ids[s]})
	}
	return top.h
}
