package embed

import (
	"image"

	"github.com/disintegration/imaging"

	"github.com/simili/simili/internal/resample"
)

// inputFilter is the filter that shrinks photos to the network's input.
// Measured with SqueezeNet on holidays-1024 (TestResampleFilterRetrieval):
// Linear top-1 0.828 mAP 0.797, CatmullRom 0.828 and 0.804, Lanczos 0.828
// and 0.806. One query of 163 moves mAP by about 0.006, so they tie, while
// Linear is the cheapest (5 vs 9 ms per 1024-px photo for CatmullRom, and
// resizing grows with the photo's pixels). imaging stretches the kernel over
// the shrink factor, so Linear averages rather than aliases.
func inputFilter() imaging.ResampleFilter { return imaging.Linear }

// Preprocess turns an upright image into the network's input: the shorter
// side resized to s.Size and the centre s.Size×s.Size square kept (done as
// crop-then-resize, which is the same region but skips resizing pixels that
// would be thrown away), as NCHW float32 in s's channel order with
// (v*Scale - Mean)/Std applied. dst is reused when large enough, so a caller
// can keep one buffer per goroutine. An empty image gives all zero pixels.
func Preprocess(img image.Image, s Spec, dst []float32) []float32 {
	return preprocess(img, s, dst, inputFilter())
}

func preprocess(img image.Image, s Spec, dst []float32, filter imaging.ResampleFilter) []float32 {
	side := s.Size
	plane := side * side
	n := 3 * plane
	if cap(dst) < n {
		dst = make([]float32, n)
	}
	dst = dst[:n]

	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 {
		clear(dst)
		return dst
	}
	sq := min(w, h)
	x0 := b.Min.X + (w-sq)/2
	y0 := b.Min.Y + (h-sq)/2
	// The decoders' RGBA is cropped in place; other types are converted
	// to *image.NRGBA once (imaging.Crop has fast paths for YCbCr and
	// friends), so the loop below reads Pix instead of calling At per pixel.
	sub := image.Rect(x0, y0, x0+sq, y0+sq)
	var px *image.NRGBA
	if n, ok := img.(*image.NRGBA); ok {
		px = n.SubImage(sub).(*image.NRGBA)
	} else {
		px = imaging.Crop(img, sub)
	}
	if sq != side {
		px = resample.Resize(px, side, side, filter)
	}

	// Fold Scale, Mean and Std into one multiply-add per value.
	var mul, add [3]float32
	for c := range 3 {
		std := s.Std[c]
		if std == 0 {
			std = 1
		}
		mul[c] = s.Scale / std
		add[c] = -s.Mean[c] / std
	}
	// src[c] is the NRGBA byte offset (R=0, G=1, B=2) of fed channel c.
	src := [3]int{0, 1, 2}
	if s.BGR {
		src = [3]int{2, 1, 0}
	}
	p0, p1, p2 := dst[:plane], dst[plane:2*plane], dst[2*plane:]
	i := 0
	for y := range side {
		row := px.Pix[y*px.Stride : y*px.Stride+4*side]
		for x := 0; x < len(row); x += 4 {
			p0[i] = float32(row[x+src[0]])*mul[0] + add[0]
			p1[i] = float32(row[x+src[1]])*mul[1] + add[1]
			p2[i] = float32(row[x+src[2]])*mul[2] + add[2]
			i++
		}
	}
	return dst
}
