package engine

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/disintegration/imaging"

	"github.com/simili/simili/internal/testenv"
	"github.com/simili/simili/library/imagefile"
	"github.com/simili/simili/library/meta"
)

func requireHEIF(t *testing.T) {
	t.Helper()
	if !imagefile.HEIFSupported() {
		testenv.Skipf(t, "this build has no HEIF support (cgo and libheif, without the noheif tag)")
	}
}

// TestHEICDuplicatePairAreNearestNeighbours indexes every format fixture
// and checks that the two iPhone 11 Pro files holding the same picture (one
// with its Exif item after the image data) find each other first, and that
// the file libheif decodes to flat grey is a failure, never a neighbour.
func TestHEICDuplicatePairAreNearestNeighbours(t *testing.T) {
	requireRuntime(t)
	requireHEIF(t)
	fixtures := testenv.FormatFixtures(t)
	root := t.TempDir()
	lib := filepath.Join(root, "photos")
	if err := os.MkdirAll(lib, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, fx := range fixtures {
		data, err := os.ReadFile(fx.Path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(lib, filepath.Base(fx.Path)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	eng, err := Open(context.Background(), testConfig(t, root), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	res, err := eng.Index(context.Background(), []string{lib}, IndexOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Processed != len(fixtures)-1 || res.Failed != 1 {
		t.Errorf("processed %d, failed %d; want %d and 1 (the grey Galaxy S24 FE decode)", res.Processed, res.Failed, len(fixtures)-1)
	}
	pair := map[string]string{
		"iphone11pro-sign.HEIC":             "iphone11pro-sign-exif-at-eof.heic",
		"iphone11pro-sign-exif-at-eof.heic": "iphone11pro-sign.HEIC",
	}
	for q, want := range pair {
		ms, err := eng.SimilarToFile(context.Background(), filepath.Join(lib, q), SimilarQuery{K: 3})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range ms {
			if filepath.Base(m.Photo.Path) != q {
				got = append(got, fmt.Sprintf("%s %.3f", filepath.Base(m.Photo.Path), m.Score))
			}
		}
		if len(got) == 0 || !strings.HasPrefix(got[0], want+" ") {
			t.Errorf("%s: nearest other photos %v, want %s first", q, got, want)
		}
		for _, m := range ms {
			if filepath.Base(m.Photo.Path) == "galaxy-s24fe.heic" {
				t.Errorf("the blank decode is a neighbour of %s", q)
			}
		}
	}
}

// heicHolidays converts the holidays photos to HEIC with libheif's
// heif-enc (quality 90, x265's fastest preset, a thumbnail item of at most
// 512 pixels as phones write), with a groups.csv naming the HEIC files.
func heicHolidays(t *testing.T) string {
	t.Helper()
	src := testenv.Holidays(t)
	enc, err := exec.LookPath("heif-enc")
	if err != nil {
		testenv.Skipf(t, "heif-enc not installed (Debian libheif-examples): %v", err)
	}
	dir := filepath.Join(t.TempDir(), "heic")
	if err := convertHolidays(src, dir, enc); err != nil {
		t.Fatalf("convert holidays to HEIC: %v", err)
	}
	return dir
}

func convertHolidays(src, dir, enc string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	files, err := filepath.Glob(filepath.Join(src, "*.jpg"))
	if err != nil || len(files) < 261 {
		return fmt.Errorf("found %d holidays photos (%v), want 261", len(files), err)
	}
	// One more process than cores: heif-enc spends part of its time on I/O.
	sem := make(chan struct{}, runtime.NumCPU()+1)
	errs := make(chan error, len(files))
	var wg sync.WaitGroup
	for _, f := range files {
		out := filepath.Join(dir, strings.TrimSuffix(filepath.Base(f), ".jpg")+".heic")
		in, err := uprightSource(f, out+".png")
		if err != nil {
			return err
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if in != f {
				defer os.Remove(in)
			}
			cmd := exec.Command(enc, "-q", "90", "-t", "512", "-p", "preset=ultrafast", "-o", out, in)
			if b, err := cmd.CombinedOutput(); err != nil {
				errs <- fmt.Errorf("heif-enc %s: %v: %s", f, err, b)
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	groups, err := os.ReadFile(filepath.Join(src, "groups.csv"))
	if err != nil {
		return err
	}
	groups = bytes.ReplaceAll(groups, []byte(".jpg,"), []byte(".heic,"))
	return os.WriteFile(filepath.Join(dir, "groups.csv"), groups, 0o644)
}

// uprightSource returns the file heif-enc should encode for the JPEG src:
// src itself, or, when the scan would turn src by its EXIF Orientation,
// the upright picture written losslessly to png. heif-enc 1.15 copies the
// EXIF tag but writes no irot, and in HEIF only irot/imir turn the picture
// (the tag must not be applied again), so without this the few holidays
// photos stored sideways would be compared sideways. A phone writes them
// upright through irot, which the decoder applies.
func uprightSource(src, png string) (string, error) {
	data, err := os.ReadFile(src)
	if err != nil {
		return "", err
	}
	m, _ := meta.Read(bytes.NewReader(data))
	cfg, _, err := imagefile.DecodeConfig(data)
	if err != nil {
		return "", err
	}
	o := imagefile.EffectiveOrientation(m.Orientation, m.PixelWidth, m.PixelHeight, cfg.Width, cfg.Height)
	if o == 1 {
		return src, nil
	}
	img, _, err := imagefile.Decode(data, 0)
	if err != nil {
		return "", err
	}
	if err := imaging.Save(imagefile.Orient(img, o), png); err != nil {
		return "", err
	}
	return png, nil
}

// withoutThumbnails copies dir with each file's thumbnail reference
// ('thmb' in iref) renamed, so the decoder no longer sees a thumbnail and
// decodes the full-size picture: the same pixels, the other path.
func withoutThumbnails(t *testing.T, dir string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "heic-full")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(e.Name(), ".heic") {
			meta := min(len(data), 4096) // the meta box precedes the image data
			if bytes.Count(data[:meta], []byte("thmb")) != 1 {
				t.Fatalf("%s: want one thumbnail reference", e.Name())
			}
			data = bytes.Clone(data)
			copy(data[bytes.Index(data[:meta], []byte("thmb")):], "xxxx")
		}
		if err := os.WriteFile(filepath.Join(out, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestHEICHolidaysRetrieveLikeJPEG: the holidays photos converted to HEIC
// score the JPEG originals' leave-one-out mAP within 0.01, both when the
// scan uses the files' 512-pixel thumbnail items (their shorter side, 384,
// covers SqueezeNet's 336-pixel preparation) and when it decodes the full
// pictures, so taking the thumbnail costs no retrieval quality.
func TestHEICHolidaysRetrieveLikeJPEG(t *testing.T) {
	requireHEIF(t)
	jeng, jdir := holidaysEngine(t)
	heic := heicHolidays(t)
	full := withoutThumbnails(t, heic)
	ctx := context.Background()
	jpg, err := jeng.Evaluate(ctx, jdir, IndexOptions{})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := Open(ctx, testConfig(t, t.TempDir()), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	for _, tc := range []struct{ name, dir string }{{"HEIC, thumbnail items", heic}, {"HEIC, full decode", full}} {
		rep, err := eng.Evaluate(ctx, tc.dir, IndexOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: mAP %.4f top-1 %.3f; JPEG mAP %.4f top-1 %.3f (%d queries)", tc.name, rep.MAP, rep.Top1, jpg.MAP, jpg.Top1, rep.Queries)
		if rep.Queries != jpg.Queries || math.Abs(rep.MAP-jpg.MAP) > 0.01 {
			t.Errorf("%s: mAP %.4f over %d queries, JPEG %.4f over %d: want within 0.01", tc.name, rep.MAP, rep.Queries, jpg.MAP, jpg.Queries)
		}
	}
}
