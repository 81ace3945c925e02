package matmul

import (
	"runtime"
	"sync"
)

// BlockBytes is the size of a block of rows scored against every panel in
// turn: with the panel being read, within a 1 MB L2 cache.
const BlockBytes = 512 << 10

// BlockRows is how many rows of dim floats make a block: a multiple of
// the kernel's six.
func BlockRows(dim int) int { return max(6, BlockBytes/(4*dim)/6*6) }

// ABt sets c[i*n+j] to the inner product of row i of a (m rows of dim
// floats) and row j of b (n rows), on GOMAXPROCS goroutines: c = a·bᵀ.
func ABt(a []float32, m int, b []float32, n, dim int, c []float32) {
	if m == 0 || n == 0 {
		return
	}
	if dim == 0 { // empty products
		clear(c[:m*n])
		return
	}
	_ = a[m*dim-1]
	_ = b[n*dim-1]
	_ = c[m*n-1]
	panels := Pack(b, dim, n)
	block := BlockRows(dim)
	blocks := (m + block - 1) / block
	workers := max(1, min(runtime.GOMAXPROCS(0), blocks))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rows := make([]float32, block*dim)
			var out [96]float32
			for bl := w; bl < blocks; bl += workers {
				first := bl * block
				h := min(block, m-first)
				copy(rows, a[first*dim:(first+h)*dim])
				padded := (h + 5) / 6 * 6
				clear(rows[h*dim : padded*dim]) // padding rows, never read back
				for p := 0; p*PanelWidth < n; p++ {
					panel := panels[p*PanelWidth*dim : (p+1)*PanelWidth*dim]
					cols := min(PanelWidth, n-p*PanelWidth)
					for r0 := 0; r0 < h; r0 += 6 {
						kernel6x16(rows[r0*dim:], dim, panel, dim, &out)
						for r := r0; r < min(h, r0+6); r++ {
							copy(c[(first+r)*n+p*PanelWidth:], out[(r-r0)*16:(r-r0)*16+cols])
						}
					}
				}
			}
		}()
	}
	wg.Wait()
}
