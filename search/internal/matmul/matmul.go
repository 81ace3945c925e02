// Package matmul multiplies float32 matrices the way BLAS libraries do:
// one operand packed sixteen vectors at a time into dimension-major
// panels, the other taken in blocks that fit the L2 cache, and a 6×16
// register-blocked micro-kernel (AVX2+FMA on amd64) doing the arithmetic.
// It reaches 30–40 GMAC/s a core where gonum's Sgemm reaches 4 and a loop
// of dot products 2. The embedded store assigns records to their nearest
// centroids with it, and the benchmark computes its exact ground truth.
package matmul

// PanelWidth is how many vectors a panel holds.
const PanelWidth = 16

// Pack lays the n vectors of b (vector j at b[j*dim:(j+1)*dim])
// PanelWidth at a time, dimension-major: panel p holds vector p*16+j's
// value d at [p*16*dim + d*16 + j]. The last panel is padded with zero
// vectors.
func Pack(b []float32, dim, n int) []float32 {
	return PackRows(nil, dim, n, func(j int) []float32 { return b[j*dim : (j+1)*dim] })
}

// PackRows is Pack of the n vectors row(0), …, row(n-1) (dim floats
// each, wherever they are), into dst's memory when it is large enough:
// a caller packing many small matrices reuses one buffer.
func PackRows(dst []float32, dim, n int, row func(j int) []float32) []float32 {
	np := (n + PanelWidth - 1) / PanelWidth
	size := np * PanelWidth * dim
	if cap(dst) < size {
		dst = make([]float32, size)
	}
	out := dst[:size]
	if pad := n % PanelWidth; pad != 0 { // the last panel's zero vectors
		last := out[(np-1)*PanelWidth*dim:]
		for d := range dim {
			clear(last[d*PanelWidth+pad : (d+1)*PanelWidth])
		}
	}
	for c := range n {
		p, j := c/PanelWidth, c%PanelWidth
		dst := out[p*PanelWidth*dim:]
		for d, f := range row(c)[:dim] {
			dst[d*PanelWidth+j] = f
		}
	}
	return out
}

// Kernel6x16 sets out[r*16+j] to the inner product of row r (of six,
// stride floats apart from rows[0]) and vector j of panel (one panel of
// Pack's result, dim × 16).
func Kernel6x16(rows []float32, stride int, panel []float32, dim int, out *[96]float32) {
	kernel6x16(rows, stride, panel, dim, out)
}

// kernel6x16Go is Kernel6x16 in Go: the reference for the assembly and
// the kernel where there is none.
func kernel6x16Go(rows []float32, stride int, panel []float32, dim int, out *[96]float32) {
	*out = [96]float32{}
	for r := range 6 {
		row := rows[r*stride : r*stride+dim]
		acc := out[r*16 : r*16+16]
		for d, x := range row {
			col := panel[d*16 : d*16+16]
			for j := range acc {
				acc[j] += x * col[j]
			}
		}
	}
}
