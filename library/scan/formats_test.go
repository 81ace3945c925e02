package scan

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/simili/simili/internal/testenv"
	"github.com/simili/simili/library/imagefile"
)

// TestScanHEIFAndAVIFFixtures scans the real phone and camera HEIC/AVIF
// files of the shared fixtures and checks the catalog against the table in
// the shared README: upright size (the container's rotation applied once,
// never the EXIF tag on top), camera, date taken and GPS from the Exif item
// wherever it sits, an upright thumbnail and an embedding; a file with no
// upright size in the table (libheif decodes it to a flat grey field) is a
// "blank-decode" failure with neither. A build without libheif records
// every one of them as unsupported, saying why.
func TestScanHEIFAndAVIFFixtures(t *testing.T) {
	fixtures := testenv.FormatFixtures(t)
	f := newFixture(t)
	ctx := context.Background()
	for _, fx := range fixtures {
		data, err := os.ReadFile(fx.Path)
		if err != nil {
			t.Fatal(err)
		}
		f.write(filepath.Base(fx.Path), data)
	}
	if _, err := f.run(ctx, f.store); err != nil {
		t.Fatal(err)
	}
	for _, fx := range fixtures {
		t.Run(filepath.Base(fx.Path), func(t *testing.T) {
			path := filepath.Join(f.root, filepath.Base(fx.Path))
			fail, failed, err := f.cat.FailureFor(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			if !imagefile.HEIFSupported() {
				if !failed || fail.Reason != "unsupported" || !strings.Contains(fail.Message, "HEIF support not built in") {
					t.Fatalf("without libheif: failure %v %+v, want reason unsupported saying HEIF support not built in", failed, fail)
				}
				return
			}
			if fx.UprightW == 0 {
				if !failed || fail.Reason != "blank-decode" {
					t.Fatalf("failure %v %+v, want reason blank-decode", failed, fail)
				}
				if _, err := f.cat.PhotoByPath(ctx, path); err == nil {
					t.Fatalf("a blank decode was catalogued as a photo")
				}
				t.Logf("recorded as %s: %s", fail.Reason, fail.Message)
				return
			}
			if failed {
				t.Fatalf("failed: %s: %s", fail.Reason, fail.Message)
			}
			p, err := f.cat.PhotoByPath(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			if p.Width != fx.UprightW || p.Height != fx.UprightH {
				t.Errorf("catalogued %d×%d, want upright %d×%d", p.Width, p.Height, fx.UprightW, fx.UprightH)
			}
			if cam := p.Make + " " + p.Model; cam != fx.Camera && p.Model != fx.Camera {
				t.Errorf("camera %q / %q, want %q", p.Make, p.Model, fx.Camera)
			}
			if !p.TakenAt.Equal(fx.Taken) || p.TakenAtSource != "DateTimeOriginal" {
				t.Errorf("taken %v (%s), want %v from DateTimeOriginal", p.TakenAt, p.TakenAtSource, fx.Taken)
			}
			switch {
			case fx.HasGPS && p.GPS == nil:
				t.Errorf("no GPS, want %.5f, %.5f", fx.Lat, fx.Lon)
			case fx.HasGPS && (math.Abs(p.GPS.Lat-fx.Lat) > 1e-4 || math.Abs(p.GPS.Lon-fx.Lon) > 1e-4):
				t.Errorf("GPS %.6f, %.6f, want %.5f, %.5f", p.GPS.Lat, p.GPS.Lon, fx.Lat, fx.Lon)
			case !fx.HasGPS && p.GPS != nil:
				t.Errorf("GPS %+v, want none", *p.GPS)
			}
			if want := map[string]string{".avif": "avif"}[filepath.Ext(path)]; want != "" && p.Format != want || want == "" && p.Format != "heif" {
				t.Errorf("format %q", p.Format)
			}
			th, err := f.thumbs.Load(p.Hash)
			if err != nil {
				t.Fatalf("thumbnail: %v", err)
			}
			if b := th.Bounds(); (b.Dx() < b.Dy()) != (fx.UprightW < fx.UprightH) {
				t.Errorf("thumbnail %v is not upright (picture %d×%d)", b, fx.UprightW, fx.UprightH)
			}
			if _, ok, err := f.cat.Embedding(ctx, p.Hash, f.emb.ModelName()); err != nil || !ok {
				t.Errorf("no embedding (%v)", err)
			}
		})
	}
}
