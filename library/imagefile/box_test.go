package imagefile

import (
	"math/rand/v2"
	"testing"
)

// TestBoxReduceAveragesBlocks checks the reduction against a direct
// average of each block, edge blocks included, on sizes that k does not
// divide.
func TestBoxReduceAveragesBlocks(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct{ w, h, k int }{{10, 7, 3}, {9, 9, 3}, {17, 5, 4}, {4, 4, 1}} {
		stride := 3*tc.w + 5 // padded rows, as libheif may return
		src := make([]byte, stride*tc.h)
		for i := range src {
			src[i] = byte(r.IntN(256))
		}
		out := boxReduce(src, tc.w, tc.h, stride, tc.k)
		ow, oh := (tc.w+tc.k-1)/tc.k, (tc.h+tc.k-1)/tc.k
		if b := out.Bounds(); b.Dx() != ow || b.Dy() != oh {
			t.Fatalf("%+v: %v, want %dx%d", tc, b, ow, oh)
		}
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				for c := 0; c < 3; c++ {
					sum, n := 0, 0
					for y := oy * tc.k; y < min(oy*tc.k+tc.k, tc.h); y++ {
						for x := ox * tc.k; x < min(ox*tc.k+tc.k, tc.w); x++ {
							sum += int(src[y*stride+3*x+c])
							n++
						}
					}
					want := (sum + n/2) / n
					if got := int(out.Pix[oy*out.Stride+4*ox+c]); got != want {
						t.Fatalf("%+v: pixel %d,%d channel %d = %d, want %d", tc, ox, oy, c, got, want)
					}
				}
				if a := out.Pix[oy*out.Stride+4*ox+3]; a != 255 {
					t.Fatalf("alpha %d", a)
				}
			}
		}
	}
}
