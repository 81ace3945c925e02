package matmul

import "golang.org/x/sys/cpu"

// useAVX2 selects the AVX2+FMA kernel. It is set once at package
// initialisation from CPUID and only read afterwards (tests may clear it
// in TestMain before anything runs), so it is configuration, not shared
// mutable state.
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

func kernel6x16(rows []float32, stride int, panel []float32, dim int, out *[96]float32) {
	if useAVX2 && dim > 0 {
		_ = rows[5*stride+dim-1]
		_ = panel[dim*16-1]
		kernel6x16AVX2(&rows[0], stride, &panel[0], dim, out)
		return
	}
	kernel6x16Go(rows, stride, panel, dim, out)
}

// kernel6x16AVX2 is Kernel6x16 with 256-bit FMA; the caller checks the
// bounds.
//
//go:noescape
func kernel6x16AVX2(rows *float32, stride int, panel *float32, dim int, out *[96]float32)
