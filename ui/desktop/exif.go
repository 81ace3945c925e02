package desktop

import (
	"fmt"
	"math"
	"strings"

	"github.com/simili/simili/library/catalog"
)

// field is one labelled line of the detail pane.
type field struct{ Label, Value string }

// photoFields formats what the catalog knows about a photo, leaving out
// what is unknown, so the pane never shows empty rows.
func photoFields(p catalog.Photo) []field {
	var out []field
	add := func(label, value string) {
		if value != "" {
			out = append(out, field{label, value})
		}
	}
	if !p.TakenAt.IsZero() {
		date := p.TakenAt.Format("2006-01-02 15:04:05")
		if p.TakenAtSource == "mtime" {
			date += " (file date)"
		}
		add("Taken", date)
	}
	add("Camera", camera(p.Make, p.Model))
	add("Lens", p.Lens)
	if p.FocalLengthMM > 0 {
		add("Focal length", trimFloat(p.FocalLengthMM)+" mm")
	}
	if p.FNumber > 0 {
		add("Aperture", "f/"+trimFloat(p.FNumber))
	}
	if p.ExposureSec > 0 {
		add("Exposure", exposure(p.ExposureSec))
	}
	if p.ISO > 0 {
		add("ISO", fmt.Sprint(p.ISO))
	}
	if p.Width > 0 && p.Height > 0 {
		add("Size", fmt.Sprintf("%d × %d px (%.1f MP)", p.Width, p.Height, float64(p.Width*p.Height)/1e6))
	}
	if p.GPS != nil {
		add("GPS", fmt.Sprintf("%.5f, %.5f", p.GPS.Lat, p.GPS.Lon))
	}
	if p.Size > 0 {
		add("File", fmt.Sprintf("%s, %s", strings.ToUpper(p.Format), byteSize(p.Size)))
	}
	return out
}

// camera avoids "Canon Canon PowerShot A60": many models repeat the make.
func camera(make, model string) string {
	switch {
	case model == "":
		return make
	case make == "" || strings.HasPrefix(strings.ToLower(model), strings.ToLower(make)):
		return model
	}
	return make + " " + model
}

func exposure(sec float64) string {
	if sec >= 1 {
		return trimFloat(sec) + " s"
	}
	return fmt.Sprintf("1/%d s", int(math.Round(1/sec)))
}

func trimFloat(f float64) string {
	s := fmt.Sprintf("%.1f", f)
	return strings.TrimSuffix(s, ".0")
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}
