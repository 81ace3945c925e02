package bench

import (
	"bytes"
	"fmt"
	"image/jpeg"
	"runtime"
	"sort"
	"time"

	"github.com/disintegration/imaging"

	"github.com/simili/simili/library/meta"
	"github.com/simili/simili/library/scan"
	"github.com/simili/simili/search/embed"
)

// PrepResult is the cost of turning one 12-MP JPEG into the model's input
// tensor plus its thumbnail, on one core.
type PrepResult struct {
	MedianMs float64 `json:"prep_ms_per_photo_12mp"`
	Runs     int     `json:"runs"`
}

// Prep measures photo preparation on a generated 12-MP JPEG with
// GOMAXPROCS=1, through the scanner's own decode path: decode and orient,
// thumbnail (resize + JPEG encode), model input tensor.
func Prep(spec embed.Spec, thumbSize, runs int) (PrepResult, error) {
	var buf bytes.Buffer
	img := SyntheticPhoto(Photo12MPWidth, Photo12MPHeight, 42)
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		return PrepResult{}, fmt.Errorf("encode 12-MP photo: %w", err)
	}
	data := buf.Bytes()
	img = nil
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	runtime.GC()

	tensor := make([]float32, 3*spec.Size*spec.Size)
	ms := make([]float64, 0, runs)
	for i := 0; i < runs; i++ {
		start := time.Now()
		im, err := scan.Upright(data, meta.Meta{Orientation: 1}, 0, scan.PrepSide(spec.Size))
		if err != nil {
			return PrepResult{}, fmt.Errorf("prep: %w", err)
		}
		var tb bytes.Buffer
		if err := jpeg.Encode(&tb, imaging.Fit(im, thumbSize, thumbSize, imaging.Lanczos), &jpeg.Options{Quality: 85}); err != nil {
			return PrepResult{}, fmt.Errorf("prep thumbnail: %w", err)
		}
		tensor = embed.Preprocess(im, spec, tensor)
		ms = append(ms, float64(time.Since(start).Microseconds())/1000)
	}
	sort.Float64s(ms)
	return PrepResult{MedianMs: ms[len(ms)/2], Runs: runs}, nil
}
