// Package meta reads the EXIF metadata Simili catalogues (capture time,
// camera, exposure, GPS, orientation). Files in a real library are often
// damaged or hand-edited, so Read salvages what it can, reports the rest as
// an error, and never panics or hangs.
package meta

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"
	"unicode"

	"github.com/rwcarlsen/goexif/exif"
	"github.com/rwcarlsen/goexif/tiff"
)

// DateSource records which tag TakenAt came from, so the catalog can tell
// camera times from fallbacks.
type DateSource string

// The sources Read can report. The empty source means EXIF had no usable
// date; the caller then falls back to the file's mtime and records "mtime".
const (
	SourceDateTimeOriginal DateSource = "DateTimeOriginal"
	SourceDateTime         DateSource = "DateTime"
	SourceNone             DateSource = ""
)

// GPS is a position in decimal degrees, south and west negative.
type GPS struct{ Lat, Lon float64 }

// Meta is the subset of EXIF the catalog stores.
type Meta struct {
	// TakenAt is the camera's wall-clock time labelled UTC. EXIF stores no
	// zone (OffsetTimeOriginal is rare and often wrong after travel), and
	// users expect the time the camera showed, so it is not shifted; the
	// catalog and UI treat it as a zone-less local time. Zero when absent.
	TakenAt       time.Time
	TakenAtSource DateSource

	Make, Model, Lens string // trimmed of spaces and NULs

	FocalLengthMM, FNumber, ExposureSec float64 // 0 when absent
	ISO                                 int

	// GPS is nil when absent or unusable: missing coordinates, zero
	// denominators, values out of range, or exactly (0, 0), which cameras
	// write when they have no fix and which is never a real photo spot in
	// practice. A missing N/S or E/W reference is read as N or E.
	GPS *GPS

	// Orientation is 1..8; 1 when absent or invalid, and always 1 for HEIF
	// and AVIF, whose container transforms (irot/imir, applied by the
	// decoder) are the orientation: their EXIF tag only repeats it, and
	// applying it as well would turn the picture twice.
	Orientation int

	PixelWidth, PixelHeight int // EXIF PixelXDimension/PixelYDimension, 0 when absent
}

var (
	// ErrNoEXIF means the file simply carries no EXIF block: not a problem,
	// the caller falls back to defaults without warning.
	ErrNoEXIF = errors.New("no EXIF metadata")
	// ErrMalformed marks EXIF that was present but partly or wholly
	// unreadable; the Meta returned with it holds whatever could be read.
	ErrMalformed = errors.New("malformed EXIF")
)

// exifTime is the EXIF date layout; it carries no zone.
const exifTime = "2006:01:02 15:04:05"

// Read extracts Meta from a JPEG, TIFF, PNG (eXIf), WebP or HEIF/AVIF
// (Exif item) stream.
//
// It returns an error wrapping ErrNoEXIF when there is no EXIF block. When
// the block is damaged it returns every field it could read together with an
// error wrapping ErrMalformed that lists what failed; callers log a warning
// and keep the partial Meta. Orientation is always 1..8.
func Read(r io.Reader) (Meta, error) {
	br := bufio.NewReader(r)
	head, _ := br.Peek(12)
	m, err := read(br)
	if isHEIF(head) {
		m.Orientation = 1
	}
	return m, err
}

func read(r io.Reader) (Meta, error) {
	m := Meta{Orientation: 1}
	raw, err := findTIFF(r)
	if err != nil {
		if errors.Is(err, ErrNoEXIF) {
			return m, fmt.Errorf("read metadata: %w", err)
		}
		return m, fmt.Errorf("read metadata: %w: %w", ErrMalformed, err)
	}
	notes, empty, err := parse(raw, &m)
	switch {
	case err != nil:
		return m, fmt.Errorf("read metadata: %w: %w", ErrMalformed, err)
	case len(notes) > 0:
		return m, fmt.Errorf("read metadata: %w: %s", ErrMalformed, strings.Join(notes, "; "))
	case empty:
		return m, fmt.Errorf("read metadata: EXIF block holds no tags: %w", ErrNoEXIF)
	}
	return m, nil
}

// parse repairs, decodes and extracts the TIFF block into m. A panic
// anywhere (a case the repairs missed) becomes an error; fields already
// extracted are kept. empty reports a well-formed block with no tags, as
// some editors write.
func parse(raw []byte, m *Meta) (notes []string, empty bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("EXIF parser panicked: %v", r)
		}
	}()
	clean, notes, err := sanitize(raw)
	if err != nil {
		return nil, false, err
	}
	x, err := decode(clean)
	if err != nil {
		notes = append(notes, err.Error())
	}
	if x == nil {
		return notes, false, nil
	}
	notes = append(notes, extract(x, m)...)
	tags := 0
	_ = x.Walk(walkFunc(func(exif.FieldName, *tiff.Tag) error { tags++; return nil }))
	return notes, tags == 0, nil
}

// walkFunc adapts a function to exif.Walker.
type walkFunc func(exif.FieldName, *tiff.Tag) error

func (f walkFunc) Walk(name exif.FieldName, tag *tiff.Tag) error { return f(name, tag) }

// decode runs goexif on a sanitized TIFF block; its non-critical errors
// (a broken sub-IFD) still leave a usable *exif.Exif.
func decode(data []byte) (x *exif.Exif, err error) {
	defer func() {
		if r := recover(); r != nil {
			x, err = nil, fmt.Errorf("EXIF decoder panicked: %v", r)
		}
	}()
	x, err = exif.Decode(bytes.NewReader(data))
	if err != nil {
		if x == nil || exif.IsCriticalError(err) {
			return nil, fmt.Errorf("decode EXIF: %w", err)
		}
		return x, fmt.Errorf("decode EXIF: %s", strings.TrimSpace(strings.ReplaceAll(err.Error(), "\n", " ")))
	}
	return x, nil
}

// extract fills m from x field by field, so one bad tag (or a goexif panic
// on it) costs only that field. It returns a note per failure.
func extract(x *exif.Exif, m *Meta) []string {
	var notes []string
	try := func(what string, fn func() error) {
		defer func() {
			if r := recover(); r != nil {
				notes = append(notes, fmt.Sprintf("%s: panic: %v", what, r))
			}
		}()
		if err := fn(); err != nil {
			notes = append(notes, fmt.Sprintf("%s: %v", what, err))
		}
	}
	try("date", func() error {
		var errs []error
		for _, c := range []struct {
			name exif.FieldName
			src  DateSource
		}{{exif.DateTimeOriginal, SourceDateTimeOriginal}, {exif.DateTime, SourceDateTime}} {
			s, ok := str(x, c.name)
			if !ok {
				continue
			}
			t, err := parseTime(s)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", c.name, err))
				continue
			}
			if !t.IsZero() {
				m.TakenAt, m.TakenAtSource = t, c.src
				break // an unreadable DateTimeOriginal is still reported
			}
		}
		return errors.Join(errs...)
	})
	try("make", func() error { m.Make, _ = str(x, exif.Make); return nil })
	try("model", func() error { m.Model, _ = str(x, exif.Model); return nil })
	try("lens", func() error { m.Lens, _ = str(x, exif.LensModel); return nil })
	try("focal length", func() error { m.FocalLengthMM = positive(num(x, exif.FocalLength)); return nil })
	try("f-number", func() error { m.FNumber = positive(num(x, exif.FNumber)); return nil })
	try("exposure", func() error { m.ExposureSec = positive(num(x, exif.ExposureTime)); return nil })
	try("ISO", func() error {
		if v, ok := integer(x, exif.ISOSpeedRatings); ok && v > 0 {
			m.ISO = v
		}
		return nil
	})
	try("orientation", func() error {
		if v, ok := integer(x, exif.Orientation); ok && v >= 1 && v <= 8 {
			m.Orientation = v
		}
		return nil
	})
	try("pixel dimensions", func() error {
		w, okW := integer(x, exif.PixelXDimension)
		h, okH := integer(x, exif.PixelYDimension)
		if okW && okH && w > 0 && h > 0 {
			m.PixelWidth, m.PixelHeight = w, h
		}
		return nil
	})
	try("GPS", func() error {
		g, err := gps(x)
		m.GPS = g
		return err
	})
	return notes
}

// parseTime reads an EXIF date as wall-clock time in UTC (see
// Meta.TakenAt). Blank or all-zero dates, which cameras without a set clock
// write, mean "no date" rather than an error. Trailing text such as
// sub-seconds or a zone is ignored; "-" separators are tolerated.
func parseTime(s string) (time.Time, error) {
	if strings.Trim(s, " 0:-") == "" {
		return time.Time{}, nil
	}
	if len(s) < len(exifTime) {
		return time.Time{}, fmt.Errorf("unparsable date %q", s)
	}
	d := []byte(s[:len(exifTime)])
	if d[4] == '-' && d[7] == '-' {
		d[4], d[7] = ':', ':'
	}
	if d[10] == 'T' {
		d[10] = ' '
	}
	t, err := time.ParseInLocation(exifTime, string(d), time.UTC)
	if err != nil {
		return time.Time{}, fmt.Errorf("unparsable date %q", s)
	}
	return t, nil
}

// str returns a text tag trimmed of spaces and NULs. Some writers store text
// as BYTE or UNDEFINED instead of ASCII; those are accepted too.
func str(x *exif.Exif, name exif.FieldName) (string, bool) {
	tag, err := x.Get(name)
	if err != nil {
		return "", false
	}
	var s string
	switch tag.Format() {
	case tiff.StringVal:
		s, _ = tag.StringVal()
	case tiff.UndefVal, tiff.IntVal:
		if tag.Type != tiff.DTUndefined && tag.Type != tiff.DTByte {
			return "", false
		}
		s = string(tag.Val)
		if i := strings.IndexByte(s, 0); i >= 0 {
			s = s[:i]
		}
	default:
		return "", false
	}
	s = strings.TrimFunc(strings.ToValidUTF8(s, ""), func(r rune) bool { return r == 0 || unicode.IsSpace(r) })
	return s, s != ""
}

// num returns the first value of a numeric tag; rationals with a zero
// denominator (cameras' "unknown") count as absent.
func num(x *exif.Exif, name exif.FieldName) (float64, bool) {
	tag, err := x.Get(name)
	if err != nil || tag.Count < 1 {
		return 0, false
	}
	return value(tag, 0)
}

func value(tag *tiff.Tag, i int) (float64, bool) {
	switch tag.Format() {
	case tiff.RatVal:
		n, d, err := tag.Rat2(i)
		if err != nil || d == 0 {
			return 0, false
		}
		return float64(n) / float64(d), true
	case tiff.IntVal:
		v, err := tag.Int64(i)
		return float64(v), err == nil
	case tiff.FloatVal:
		v, err := tag.Float(i)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, false
		}
		return v, true
	}
	return 0, false
}

func positive(v float64, ok bool) float64 {
	if !ok || v <= 0 || math.IsInf(v, 0) {
		return 0
	}
	return v
}

func integer(x *exif.Exif, name exif.FieldName) (int, bool) {
	tag, err := x.Get(name)
	if err != nil || tag.Count < 1 || tag.Format() != tiff.IntVal {
		return 0, false
	}
	v, err := tag.Int64(0)
	if err != nil || v < math.MinInt32 || v > math.MaxInt32 {
		return 0, false
	}
	return int(v), true
}

// gps converts the degree/minute/second rationals and hemisphere refs. An
// absent GPS block is not an error; an unusable one is.
func gps(x *exif.Exif) (*GPS, error) {
	latTag, errLat := x.Get(exif.GPSLatitude)
	lonTag, errLon := x.Get(exif.GPSLongitude)
	if errLat != nil && errLon != nil {
		return nil, nil
	}
	if errLat != nil || errLon != nil {
		return nil, errors.New("only one of latitude and longitude present")
	}
	lat, okLat := degrees(latTag)
	lon, okLon := degrees(lonTag)
	if !okLat || !okLon {
		return nil, nil // 0/0 placeholders: the receiver had no fix
	}
	if ref, _ := str(x, exif.GPSLatitudeRef); strings.EqualFold(ref, "S") {
		lat = -lat
	}
	if ref, _ := str(x, exif.GPSLongitudeRef); strings.EqualFold(ref, "W") {
		lon = -lon
	}
	if lat == 0 && lon == 0 {
		return nil, nil
	}
	if math.Abs(lat) > 90 || math.Abs(lon) > 180 {
		return nil, fmt.Errorf("position %.6f,%.6f out of range", lat, lon)
	}
	return &GPS{Lat: lat, Lon: lon}, nil
}

// degrees sums up to three values (degrees, minutes, seconds); writers that
// store decimal degrees or decimal minutes leave the rest zero or absent.
func degrees(tag *tiff.Tag) (float64, bool) {
	if tag.Count < 1 || tag.Format() != tiff.RatVal {
		return 0, false
	}
	var sum float64
	for i, scale := range []float64{1, 60, 3600} {
		if i >= int(tag.Count) {
			break
		}
		v, ok := value(tag, i)
		if !ok {
			if i == 0 {
				return 0, false
			}
			continue // some writers leave unused seconds as 0/0
		}
		if v < 0 {
			return 0, false
		}
		sum += v / scale
	}
	return sum, true
}
