package embedded

import "golang.org/x/sys/cpu"

// useAVX2 selects the AVX2+FMA kernel. It is set once at package
// initialisation from CPUID and only read afterwards (tests may clear it
// in TestMain before anything runs), so it is configuration, not shared
// mutable state. A bool rather than a func value keeps dotKernel
// inlinable into the scan loops and the asm call direct.
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// dotKernel is the inner product of a and b[:len(a)].
func dotKernel(a, b []float32) float32 {
	if useAVX2 {
		return dotAVX2(a, b)
	}
	return dotGonum(a, b)
}

// dotAVX2 is the inner product of a and b[:len(a)] with 256-bit FMA: four
// independent accumulators (32 floats an iteration) hide the FMA latency,
// then an 8-float loop and a scalar tail. len(b) must be ≥ len(a). The sum
// order differs from gonum's, so results differ in the last bits.
//
//go:noescape
func dotAVX2(a, b []float32) float32

// dot4Kernel sets out[j] to the inner product of q and the j-th of the four
// consecutive len(q)-float vectors at the start of v.
func dot4Kernel(q, v []float32, out *[4]float32) {
	if useAVX2 {
		dot4AVX2(q, v, out)
		return
	}
	dot4Gonum(q, v, out)
}

// dot4AVX2 is dot4Kernel with 256-bit FMA. len(v) must be ≥ 4·len(q).
//
//go:noescape
func dot4AVX2(q, v []float32, out *[4]float32)

// dotI8Kernel is Σ q[i]·c[i] over len(q) (sq8.go).
func dotI8Kernel(q []int16, c []int8) int32 {
	if useAVX2 {
		return dotI8AVX2(q, c)
	}
	return dotI8Go(q, c)
}

// dotI8AVX2 is dotI8Kernel with 256-bit integer multiply-adds. len(c) must
// be ≥ len(q).
//
//go:noescape
func dotI8AVX2(q []int16, c []int8) int32

// dotI8BatchKernel sets out[r] to Σ q[i]·c[r·len(q)+i] for r < len(out).
// len(c) must be ≥ len(out)·len(q).
func dotI8BatchKernel(q []int16, c []int8, out []int32) {
	if useAVX2 && len(q)%32 == 0 && len(q) > 0 && len(out) > 0 {
		dotI8BatchAVX2(q, c, len(out), &out[0])
		return
	}
	dotI8BatchGo(q, c, out)
}

// dotI8BatchAVX2 is dotI8BatchKernel's loop for len(q) a multiple of 32.
//
//go:noescape
func dotI8BatchAVX2(q []int16, c []int8, n int, out *int32)
