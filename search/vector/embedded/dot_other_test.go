//go:build !amd64

package embedded

// The AVX2 kernels are nil: there is no assembly off amd64.
var (
	avx2Kernel   func(a, b []float32) float32
	avx2Kernel4  func(q, v []float32, out *[4]float32)
	avx2KernelI8 func(q []int16, c []int8) int32
	avx2BatchI8  func(q []int16, c []int8, out []int32)
)
