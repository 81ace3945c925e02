package cli

import (
	"flag"
	"fmt"
	"path/filepath"
	"time"

	"github.com/simili/simili/library/facet"
)

// filterFlags are the photo filters shared by similar and photos.
type filterFlags struct {
	from, to, camera, lens, folder string
}

func (f *filterFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.from, "from", "", "taken on or after this date (YYYY-MM-DD or RFC 3339)")
	fs.StringVar(&f.to, "to", "", "taken on or before this date (a whole day when given as YYYY-MM-DD)")
	fs.StringVar(&f.camera, "camera", "", "camera model or make, exactly as in EXIF (e.g. DMC-FX33)")
	fs.StringVar(&f.lens, "lens", "", "lens model, exactly as in EXIF")
	fs.StringVar(&f.folder, "folder", "", "only photos in this folder or below it")
}

// Filter converts the flags. Dates are EXIF wall-clock times, compared as
// written (the catalog keeps them in UTC without conversion).
func (f *filterFlags) Filter() (facet.Filter, error) {
	var out facet.Filter
	var err error
	if f.from != "" {
		if out.From, err = parseDate(f.from, false); err != nil {
			return out, fmt.Errorf("%w: --from: %v", ErrUsage, err)
		}
	}
	if f.to != "" {
		if out.To, err = parseDate(f.to, true); err != nil {
			return out, fmt.Errorf("%w: --to: %v", ErrUsage, err)
		}
	}
	if !out.From.IsZero() && !out.To.IsZero() && out.To.Before(out.From) {
		return out, fmt.Errorf("%w: --to is before --from", ErrUsage)
	}
	out.Camera, out.Lens = f.camera, f.lens
	if f.folder != "" {
		abs, err := filepath.Abs(f.folder)
		if err != nil {
			return out, fmt.Errorf("--folder: %w", err)
		}
		out.Folder = abs
	}
	return out, nil
}

func parseDate(s string, endOfDay bool) (time.Time, error) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		if endOfDay {
			t = t.Add(24*time.Hour - time.Second)
		}
		return t, nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC), nil
		}
	}
	return time.Time{}, fmt.Errorf("cannot read date %q: use YYYY-MM-DD", s)
}
