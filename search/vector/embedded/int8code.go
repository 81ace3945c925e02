package embedded

import "math"

// Byte codes let a probe read a quarter of the memory. An unfiltered IVF
// search is memory-bound: at 1M×512 the calibrated probe streams a few
// hundred lists of 2 KB vectors per query. So each record also keeps its
// vector as int8 with one scale (max |v_d| / 127); a probe ranks the
// probed records by the integer product of those codes with the query as
// 12-bit words (dotI8: sixteen multiply-adds per instruction), and
// re-scores the best rerankDepth(k) exactly from the float vectors.
// Scores returned are exact dot products; the codes only choose which
// records are re-scored, and their error is far below the gaps that
// decide a top k: on a unit 512-d vector the rounding moves a score by
// about 3e-4 (one standard deviation).
//
// The codes cost dim bytes per record (a quarter of the vectors), live in
// the ivf beside the sign codes, and are computed on open and after each
// training (encodeIVF), not saved.
type int8Codes struct {
	dim   int
	codes []int8    // slot-major, dim per slot
	scale []float32 // slot → max |v_d| / 127
}

const (
	// queryLevels bounds a quantized query word, so that a product of dim
	// words and codes, at most dim·queryLevels·127, fits an int32 for
	// every dimension up to int8MaxDim.
	queryLevels = 4095
	// codedRun bounds the consecutive records scanCoded scores in one
	// kernel call (its buffer is on the stack); runs shorter than
	// codedRunMin are scored one by one.
	codedRun    = 256
	codedRunMin = 4
	int8MaxDim  = 4096

	// int8MinScan: a probe of fewer records than this many re-score depths
	// scores exactly; the codes would save little and re-read the floats.
	int8MinScan = 8
)

// int8Codable reports whether records of dimension dim get byte codes.
func int8Codable(dim int) bool { return dim >= 16 && dim <= int8MaxDim }

// rerankDepth is how many code-ranked records a probe re-scores exactly
// for k results, per scan worker.
func rerankDepth(k int) int { return 4*k + 64 }

func newInt8Codes(dim, n int) *int8Codes {
	c := &int8Codes{dim: dim, codes: make([]int8, n*dim), scale: make([]float32, n)}
	adviseHuge(c.codes)
	return c
}

// set writes slot s's code from its vector v; s may be one past the end,
// which appends.
func (c *int8Codes) set(s int32, v []float32) {
	if int(s) == len(c.scale) {
		c.codes = append(c.codes, make([]int8, c.dim)...)
		c.scale = append(c.scale, 0)
	}
	code := c.codes[int(s)*c.dim : int(s+1)*c.dim]
	v = v[:c.dim]
	var top float32
	for _, f := range v {
		top = max(top, f, -f)
	}
	if top == 0 || math.IsInf(float64(top), 0) || top != top {
		clear(code)
		c.scale[s] = 0
		return
	}
	inv := 127 / top
	for j, f := range v {
		code[j] = int8(roundHalfAway(f * inv))
	}
	c.scale[s] = top / 127
}

// roundHalfAway rounds f (within ±127.5) to the nearest integer.
func roundHalfAway(f float32) int32 {
	if f < 0 {
		return int32(f - 0.5)
	}
	return int32(f + 0.5)
}

// removed mirrors index.remove: slot last moves into s.
func (c *int8Codes) removed(s, last int32) {
	if s != last {
		copy(c.codes[int(s)*c.dim:int(s+1)*c.dim], c.codes[int(last)*c.dim:])
		c.scale[s] = c.scale[last]
	}
	c.codes = c.codes[:int(last)*c.dim]
	c.scale = c.scale[:last]
}

// encodeAll computes every slot's code on GOMAXPROCS goroutines.
func (c *int8Codes) encodeAll(x *index) {
	parallel(x.len(), func(lo, hi int) {
		for s := lo; s < hi; s++ {
			c.set(int32(s), x.vecs[s*x.dim:(s+1)*x.dim])
		}
	})
}

// int8Query is a query quantized for int8Codes.estimate.
type int8Query struct {
	words []int16
	scale float32 // a word's value
}

// quantize returns q as words of at most queryLevels in magnitude.
func quantize(q []float32) int8Query {
	var top float32
	for _, f := range q {
		top = max(top, f, -f)
	}
	w := make([]int16, len(q))
	if top == 0 {
		return int8Query{words: w}
	}
	inv := queryLevels / top
	for j, f := range q {
		w[j] = int16(roundHalfAway(f * inv))
	}
	return int8Query{words: w, scale: top / queryLevels}
}

// estimate approximates q·v for slot s from the codes.
func (c *int8Codes) estimate(q *int8Query, s int) float32 {
	off := s * c.dim
	return float32(dotI8(q.words, c.codes[off:off+c.dim:off+c.dim])) * q.scale * c.scale[s]
}
