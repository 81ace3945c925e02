package embedded

import "gonum.org/v1/gonum/blas/gonum"

// dotGonum is gonum's SSE inner product (4 lanes, no FMA): the kernel on
// CPUs without AVX2+FMA and on other architectures, and the reference the
// AVX2 kernel is tested and benchmarked against. len(b) must be ≥ len(a).
func dotGonum(a, b []float32) float32 {
	return gonum.Implementation{}.Sdot(len(a), a, 1, b[:len(a)], 1)
}

// dot4 sets out[j] = q·v[j·len(q) : (j+1)·len(q)] for j < 4: one query
// against four consecutive vectors (a list scan, the centroid scores),
// loading each block of q once for four products.
func dot4(q, v []float32, out *[4]float32) {
	d := len(q)
	_ = v[:4*d] // bounds check once, for the assembly
	dot4Kernel(q, v, out)
}

// dot4Gonum is dot4 through four gonum calls.
func dot4Gonum(q, v []float32, out *[4]float32) {
	d := len(q)
	for j := range out {
		out[j] = dotGonum(q, v[j*d:(j+1)*d])
	}
}

// dotI8 is Σ q[i]·c[i] over len(q) (int8code.go).
func dotI8(q []int16, c []int8) int32 {
	_ = c[:len(q)] // bounds check once, for the assembly
	return dotI8Kernel(q, c)
}

// dotI8Batch sets out[r] to the codes' product q·c[r·len(q):] for each
// of the len(out) consecutive records at the start of c: a list laid out
// in slot order is scored in one call (scanCoded).
func dotI8Batch(q []int16, c []int8, out []int32) {
	_ = c[:len(out)*len(q)] // bounds check once, for the assembly
	dotI8BatchKernel(q, c, out)
}

// dotI8BatchGo is dotI8Batch's portable loop.
func dotI8BatchGo(q []int16, c []int8, out []int32) {
	for r := range out {
		out[r] = dotI8Go(q, c[r*len(q):(r+1)*len(q)])
	}
}

// dotI8Go is dotI8's portable loop, and the assembly's reference.
func dotI8Go(q []int16, c []int8) int32 {
	c = c[:len(q)]
	var s0, s1 int32
	i := 0
	for ; i+2 <= len(q); i += 2 {
		s0 += int32(q[i]) * int32(c[i])
		s1 += int32(q[i+1]) * int32(c[i+1])
	}
	for ; i < len(q); i++ {
		s0 += int32(q[i]) * int32(c[i])
	}
	return s0 + s1
}
