package testenv

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// FormatFixture is one row of the table of HEIC/HEIF/AVIF fixtures in the
// shared README (fixtures/formats), the values read with ExifTool and
// libheif's heif-convert.
type FormatFixture struct {
	Path   string
	Camera string    // "Make Model" as the table writes it, e.g. "Apple iPhone 8"
	Taken  time.Time // EXIF DateTimeOriginal, labelled UTC
	// UprightW×UprightH is the size after the container's transforms; 0×0
	// when the table gives none ("see below": a known bad decode).
	UprightW, UprightH int
	Orientation        int  // the EXIF Orientation tag
	HasGPS             bool // false: "none"
	Lat, Lon           float64
}

// FormatFixtures parses the fixtures/formats table of the shared README, so
// tests check against the documented values rather than copies of them. It
// skips (or fails under SIMILI_STRICT) when the data is missing, and fails
// when the table cannot be read.
func FormatFixtures(t testing.TB) []FormatFixture {
	t.Helper()
	shared := Shared(t)
	dir := SharedPath(t, "fixtures", "formats")
	f, err := os.Open(filepath.Join(shared, "README.md"))
	if err != nil {
		t.Fatalf("shared README: %v", err)
	}
	defer f.Close()
	var out []FormatFixture
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "## ") {
			in = strings.Contains(line, "fixtures/formats")
			continue
		}
		if !in || !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) != 7 {
			t.Fatalf("shared README formats row %q: %d cells, want 7", line, len(cells))
		}
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		fx := FormatFixture{Path: filepath.Join(dir, strings.Trim(cells[0], "`")), Camera: cells[1]}
		if fx.Taken, err = time.Parse("2006-01-02 15:04:05", cells[2]); err != nil {
			t.Fatalf("shared README formats row %q: date: %v", line, err)
		}
		fx.UprightW, fx.UprightH, _ = size(cells[4])
		if fx.Orientation, err = strconv.Atoi(cells[5]); err != nil {
			t.Fatalf("shared README formats row %q: orientation: %v", line, err)
		}
		if cells[6] != "none" {
			lat, lon, ok := strings.Cut(cells[6], ",")
			fx.Lat, err = strconv.ParseFloat(strings.TrimSpace(lat), 64)
			if err == nil {
				fx.Lon, err = strconv.ParseFloat(strings.TrimSpace(lon), 64)
			}
			if !ok || err != nil {
				t.Fatalf("shared README formats row %q: GPS: %v", line, err)
			}
			fx.HasGPS = true
		}
		out = append(out, fx)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("shared README: %v", err)
	}
	if len(out) == 0 {
		t.Fatalf("shared README has no fixtures/formats table")
	}
	return out
}

func size(s string) (int, int, bool) {
	ws, hs, ok := strings.Cut(s, "x")
	if !ok {
		return 0, 0, false
	}
	w, err1 := strconv.Atoi(ws)
	h, err2 := strconv.Atoi(hs)
	if err1 != nil || err2 != nil || w <= 0 || h <= 0 {
		return 0, 0, false
	}
	return w, h, true
}
