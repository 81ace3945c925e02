//go:build !amd64

package embedded

// dotKernel is gonum's kernel: the AVX2 one exists on amd64 only.
func dotKernel(a, b []float32) float32 { return dotGonum(a, b) }

// dot4Kernel is four gonum calls: the AVX2 kernel exists on amd64 only.
func dot4Kernel(q, v []float32, out *[4]float32) { dot4Gonum(q, v, out) }

// dotI8Kernel is the Go loop: the AVX2 kernel exists on amd64 only.
func dotI8Kernel(q []int16, c []int8) int32 { return dotI8Go(q, c) }

// dotI8BatchKernel is the Go loop: the AVX2 kernel exists on amd64 only.
func dotI8BatchKernel(q []int16, c []int8, out []int32) { dotI8BatchGo(q, c, out) }
