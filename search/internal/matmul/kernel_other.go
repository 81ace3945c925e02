//go:build !amd64

package matmul

// kernel6x16 is the Go loop: the AVX2 kernel exists on amd64 only.
func kernel6x16(rows []float32, stride int, panel []float32, dim int, out *[96]float32) {
	kernel6x16Go(rows, stride, panel, dim, out)
}
