package imagefile

import "image"

// boxReduce averages k×k blocks of an interleaved RGB picture into an
// opaque NRGBA one of ⌈w/k⌉×⌈h/k⌉ pixels (edge blocks average what they
// cover, so nothing is cropped).
func boxReduce(src []byte, w, h, stride, k int) *image.NRGBA {
	ow, oh := (w+k-1)/k, (h+k-1)/k
	out := image.NewNRGBA(image.Rect(0, 0, ow, oh))
	sum := make([]uint32, 3*ow)
	for oy := 0; oy < oh; oy++ {
		clear(sum)
		y0, y1 := oy*k, min(oy*k+k, h)
		for y := y0; y < y1; y++ {
			row := src[y*stride : y*stride+3*w]
			for ox := 0; ox < ow; ox++ {
				x0, x1 := ox*k, min(ox*k+k, w)
				var r, g, b uint32
				for i := 3 * x0; i < 3*x1; i += 3 {
					r += uint32(row[i])
					g += uint32(row[i+1])
					b += uint32(row[i+2])
				}
				sum[3*ox] += r
				sum[3*ox+1] += g
				sum[3*ox+2] += b
			}
		}
		dst := out.Pix[oy*out.Stride:]
		for ox := 0; ox < ow; ox++ {
			n := uint32((y1 - y0) * (min(ox*k+k, w) - ox*k))
			dst[4*ox] = uint8((sum[3*ox] + n/2) / n)
			dst[4*ox+1] = uint8((sum[3*ox+1] + n/2) / n)
			dst[4*ox+2] = uint8((sum[3*ox+2] + n/2) / n)
			dst[4*ox+3] = 0xFF
		}
	}
	return out
}
