package embedded

import (
	"os"
	"testing"
)

// avx2Kernel is the assembly kernel when the CPU has it, for tests that
// compare kernels whatever useAVX2 says.
var (
	avx2Kernel   func(a, b []float32) float32
	avx2Kernel4  func(q, v []float32, out *[4]float32)
	avx2KernelI8 func(q []int16, c []int8) int32
	// avx2BatchI8 is the batch kernel for len(q) a multiple of 32.
	avx2BatchI8 func(q []int16, c []int8, out []int32)
)

func init() {
	if useAVX2 {
		avx2Kernel, avx2Kernel4, avx2KernelI8 = dotAVX2, dot4AVX2, dotI8AVX2
		avx2BatchI8 = func(q []int16, c []int8, out []int32) {
			if len(out) > 0 {
				dotI8BatchAVX2(q, c, len(out), &out[0])
			}
		}
	}
}

// TestMain lets SIMILI_DOT=gonum force the fallback kernel in this test
// binary, so store benchmarks can be compared old/new in one build. The
// product binary has no such switch.
func TestMain(m *testing.M) {
	if os.Getenv("SIMILI_DOT") == "gonum" {
		useAVX2 = false
	}
	os.Exit(m.Run())
}
