package duplicates

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/simili/simili/library/catalog"
)

// The keeper is chosen by these criteria, in order: most pixels, the
// camera's original format over re-encodes, EXIF date and GPS present, the
// sharpest (variance of the Laplacian), the oldest file; the path breaks
// the last ties so the choice is stable.

// cameraFormats are the formats cameras and phones write; a PNG, WebP, GIF
// or BMP copy of a photo is a conversion.
var cameraFormats = map[string]bool{"jpeg": true, "heic": true, "heif": true, "avif": true, "tiff": true, "dng": true}

// originality scores how likely a file is the camera's original: a camera
// format with the camera named in EXIF.
func originality(p catalog.Photo) int {
	n := 0
	if cameraFormats[strings.ToLower(p.Format)] {
		n++
	}
	if p.Make != "" || p.Model != "" {
		n++
	}
	return n
}

func metadata(p catalog.Photo) int {
	n := 0
	if _, ok := exifTime(p); ok {
		n++
	}
	if p.GPS != nil {
		n++
	}
	return n
}

// criterion compares two photos on one ground: >0 when a is the better
// keeper; describe says why the winner won.
type criterion struct {
	cmp      func(f *finder, a, b catalog.Photo) float64
	describe func(f *finder, win, lose catalog.Photo) string
}

var criteria = []criterion{
	{func(_ *finder, a, b catalog.Photo) float64 { return float64(a.Width*a.Height - b.Width*b.Height) },
		func(_ *finder, w, l catalog.Photo) string {
			return fmt.Sprintf("most pixels (%dx%d, next %dx%d)", w.Width, w.Height, l.Width, l.Height)
		}},
	{func(_ *finder, a, b catalog.Photo) float64 { return float64(originality(a) - originality(b)) },
		func(_ *finder, w, l catalog.Photo) string {
			return fmt.Sprintf("camera's original format (%s%s, next %s%s)", formatName(w), cameraNote(w), formatName(l), cameraNote(l))
		}},
	{func(_ *finder, a, b catalog.Photo) float64 { return float64(metadata(a) - metadata(b)) },
		func(_ *finder, w, l catalog.Photo) string {
			return "EXIF date and GPS present (" + metaNote(w) + ", next " + metaNote(l) + ")"
		}},
	{func(f *finder, a, b catalog.Photo) float64 {
		sa, sb := f.sharpness(a), f.sharpness(b)
		// Within 2% is the same sharpness: re-encodes differ by noise.
		if sa < 0 || sb < 0 || abs(sa-sb) <= 0.02*max(sa, sb) {
			return 0
		}
		return sa - sb
	}, func(f *finder, w, l catalog.Photo) string {
		return fmt.Sprintf("sharpest (Laplacian variance %.0f, next %.0f)", f.sharpness(w), f.sharpness(l))
	}},
	{func(_ *finder, a, b catalog.Photo) float64 {
		// Copies made by one command differ by nanoseconds: not older.
		if d := b.ModTime.Sub(a.ModTime); d >= time.Second || d <= -time.Second {
			return d.Seconds()
		}
		return 0
	},
		func(_ *finder, w, l catalog.Photo) string {
			const layout = "2006-01-02 15:04:05"
			return "oldest file (modified " + w.ModTime.Format(layout) + ", next " + l.ModTime.Format(layout) + ")"
		}},
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func formatName(p catalog.Photo) string {
	if p.Format == "" {
		return "unknown format"
	}
	return strings.ToUpper(p.Format)
}

func cameraNote(p catalog.Photo) string {
	if p.Make == "" && p.Model == "" {
		return " without camera EXIF"
	}
	return " from " + cameraName(p)
}

func metaNote(p catalog.Photo) string {
	var have []string
	if _, ok := exifTime(p); ok {
		have = append(have, "date")
	}
	if p.GPS != nil {
		have = append(have, "GPS")
	}
	if len(have) == 0 {
		return "neither"
	}
	return strings.Join(have, " and ")
}

// sharpness is the photo's stored Laplacian variance, -1 when unknown.
func (f *finder) sharpness(p catalog.Photo) float64 {
	s, ok := f.lib.Signatures[p.Hash]
	if !ok {
		return -1
	}
	return float64(s.Sharpness)
}

// better reports whether a is a better keeper than b, and by which
// criterion (-1: decided by path).
func (f *finder) better(a, b catalog.Photo) (bool, int) {
	for i, c := range criteria {
		if d := c.cmp(f, a, b); d != 0 {
			return d > 0, i
		}
	}
	return a.Path < b.Path, -1
}

// orderByKeeper sorts photo indexes best keeper first.
func (f *finder) orderByKeeper(idx []int) {
	sort.SliceStable(idx, func(i, j int) bool {
		ok, _ := f.better(f.lib.Photos[idx[i]], f.lib.Photos[idx[j]])
		return ok
	})
}

// keeperReason says why the first of the ordered photos is the keeper.
func (f *finder) keeperReason(idx []int) string {
	if len(idx) < 2 {
		return ""
	}
	w, l := f.lib.Photos[idx[0]], f.lib.Photos[idx[1]]
	if _, by := f.better(w, l); by >= 0 {
		return criteria[by].describe(f, w, l)
	}
	return "all criteria equal: first by path"
}
