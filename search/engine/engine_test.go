package engine

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/disintegration/imaging"

	"github.com/simili/simili/internal/testenv"
	"github.com/simili/simili/library/facet"
	"github.com/simili/simili/search/embed"
)

// holidaysEngine indexes the holidays photos once with SqueezeNet into a
// temporary library shared by the tests of this package.
var holidays struct {
	once sync.Once
	eng  *Engine
	dir  string
	err  error
	took time.Duration
}

func requireRuntime(t testing.TB) {
	t.Helper()
	if _, err := embed.FindRuntime(); err != nil {
		testenv.Skipf(t, "ONNX Runtime not installed (run `make onnxruntime`): %v", err)
	}
}

func testConfig(t testing.TB, root string) Config {
	return Config{
		DataDir:   filepath.Join(root, "data"),
		CacheDir:  filepath.Join(root, "cache"),
		Model:     "squeezenet",
		ModelFile: testenv.SqueezeNet(t),
		Store:     "embedded",
		Workers:   2,
		ThumbSize: 160,
	}
}

func holidaysEngine(t *testing.T) (*Engine, string) {
	t.Helper()
	requireRuntime(t)
	dir := testenv.Holidays(t)
	testenv.SqueezeNet(t)
	holidays.once.Do(func() {
		root, err := os.MkdirTemp("", "simili-engine-test-")
		if err != nil {
			holidays.err = err
			return
		}
		cfg := testConfig(t, root)
		eng, err := Open(context.Background(), cfg, nil)
		if err != nil {
			holidays.err = err
			return
		}
		start := time.Now()
		res, err := eng.Index(context.Background(), []string{dir}, IndexOptions{})
		holidays.took = time.Since(start)
		if err == nil && (res.Processed != 261 || res.Failed != 0) {
			t.Errorf("indexing holidays: processed %d, failed %d; want 261, 0", res.Processed, res.Failed)
		}
		holidays.eng, holidays.dir, holidays.err = eng, dir, err
	})
	if holidays.err != nil {
		t.Fatalf("index holidays: %v", holidays.err)
	}
	return holidays.eng, holidays.dir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if holidays.eng != nil {
		holidays.eng.Close()
		os.RemoveAll(filepath.Dir(holidays.eng.Config().DataDir))
	}
	os.Exit(code)
}

func TestRetrievalQualityOnHolidays(t *testing.T) {
	eng, dir := holidaysEngine(t)
	rep, err := eng.Evaluate(context.Background(), dir, IndexOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("holidays/squeezenet: queries=%d top1=%.3f mAP=%.3f recall@1=%.3f @5=%.3f @10=%.3f",
		rep.Queries, rep.Top1, rep.MAP, rep.Recall1, rep.Recall5, rep.Recall10)
	if rep.Queries != 163 {
		t.Errorf("queries = %d, want the 163 photos that have a partner", rep.Queries)
	}
	if rep.MAP < 0.79 || rep.Top1 < 0.80 {
		t.Errorf("mAP %.3f, top-1 %.3f; want ≥ 0.79 and ≥ 0.80", rep.MAP, rep.Top1)
	}
}

func TestSecondIndexRunIsIncremental(t *testing.T) {
	eng, dir := holidaysEngine(t)
	start := time.Now()
	res, err := eng.Index(context.Background(), []string{dir}, IndexOptions{})
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if res.Processed != 0 || res.Embedded != 0 || res.Unchanged != 261 {
		t.Fatalf("second run processed %d, embedded %d, unchanged %d; want 0, 0, 261", res.Processed, res.Embedded, res.Unchanged)
	}
	t.Logf("first run %v, second run %v (%.1f%%)", holidays.took, took, 100*took.Seconds()/holidays.took.Seconds())
}

func TestPhotoFindsItselfFirst(t *testing.T) {
	eng, dir := holidaysEngine(t)
	tmp := t.TempDir()
	for _, name := range []string{"100001.jpg", "104301.jpg", "112404.jpg"} {
		orig := filepath.Join(dir, name)
		data, err := os.ReadFile(orig)
		if err != nil {
			t.Fatal(err)
		}
		// The catalogued file reuses its stored vector; a byte-identical copy
		// outside the library goes through a fresh model run.
		outside := filepath.Join(tmp, name)
		if err := os.WriteFile(outside, data, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, query := range []string{orig, outside} {
			ms, err := eng.SimilarToFile(context.Background(), query, SimilarQuery{K: 3})
			if err != nil {
				t.Fatal(err)
			}
			if len(ms) == 0 || ms[0].Photo.Path != orig || ms[0].Score < 0.999 {
				t.Fatalf("query %s: first hit %v (score %v); want %s with cosine ≥ 0.999", query, paths(ms), scores(ms), name)
			}
		}
	}
}

func scores(ms []Match) []float32 {
	out := make([]float32, len(ms))
	for i, m := range ms {
		out[i] = m.Score
	}
	return out
}

// TestAlteredCopiesFindTheOriginal re-encodes, shrinks and rotates copies of
// library photos outside the library; each must find its original in the
// top 3 through a fresh model run.
func TestAlteredCopiesFindTheOriginal(t *testing.T) {
	eng, dir := holidaysEngine(t)
	tmp := t.TempDir()
	for _, name := range []string{"100001.jpg", "101501.jpg", "107601.jpg", "114801.jpg"} {
		orig := filepath.Join(dir, name)
		img, err := imaging.Open(orig, imaging.AutoOrientation(true))
		if err != nil {
			t.Fatal(err)
		}
		b := img.Bounds()
		copies := map[string][]byte{
			"q60":     encodeJPEG(t, img, 60),
			"half":    encodeJPEG(t, imaging.Resize(img, b.Dx()/2, 0, imaging.Lanczos), 90),
			"rotated": withOrientation(t, encodeJPEG(t, imaging.Rotate90(img), 90), 6),
		}
		for kind, data := range copies {
			path := filepath.Join(tmp, kind+"-"+name)
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			ms, err := eng.SimilarToFile(context.Background(), path, SimilarQuery{K: 3})
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			found := false
			for _, m := range ms {
				found = found || m.Photo.Path == orig
			}
			if !found {
				t.Errorf("%s copy of %s: top 3 = %v", kind, name, paths(ms))
			} else {
				t.Logf("%s copy of %s found (top score %.3f)", kind, name, ms[0].Score)
			}
		}
	}
}

func TestFiltersCombineWithSimilarity(t *testing.T) {
	eng, dir := holidaysEngine(t)
	ctx := context.Background()
	query := filepath.Join(dir, "100001.jpg")
	from := time.Date(2007, 1, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2007, 12, 31, 23, 59, 59, 0, time.UTC)
	tests := []struct {
		name string
		f    facet.Filter
		ok   func(m Match) bool
	}{
		{"camera", facet.Filter{Camera: "DMC-FX33"}, func(m Match) bool { return m.Photo.Model == "DMC-FX33" }},
		{"date range", facet.Filter{From: from, To: to}, func(m Match) bool {
			return !m.Photo.TakenAt.Before(from) && !m.Photo.TakenAt.After(to)
		}},
		{"camera and date", facet.Filter{Camera: "DMC-FX33", From: from, To: to}, func(m Match) bool {
			return m.Photo.Model == "DMC-FX33" && !m.Photo.TakenAt.Before(from) && !m.Photo.TakenAt.After(to)
		}},
		{"folder", facet.Filter{Folder: dir}, func(m Match) bool { return m.Photo.Folder == dir }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, err := eng.SimilarToFile(ctx, query, SimilarQuery{K: 300, Filter: tt.f})
			if err != nil {
				t.Fatal(err)
			}
			want, err := eng.cat.Count(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if len(ms) != want || want == 0 {
				t.Fatalf("%d results, catalog has %d passing photos", len(ms), want)
			}
			for i, m := range ms {
				if !tt.ok(m) {
					t.Fatalf("result %s does not pass the filter", m.Photo.Path)
				}
				if i > 0 && m.Score > ms[i-1].Score {
					t.Fatalf("results not ranked by similarity at %d", i)
				}
			}
		})
	}
	// A filter must not just cut the unfiltered top-k: a tight k still
	// returns k photos of that camera.
	ms, err := eng.SimilarToFile(ctx, query, SimilarQuery{K: 5, Filter: facet.Filter{Camera: "Canon PowerShot A60"}})
	if err != nil || len(ms) != 5 {
		t.Fatalf("camera-filtered top 5: %d results, %v", len(ms), err)
	}
}

func TestIndexingLeavesOriginalsUnchanged(t *testing.T) {
	_, dir := holidaysEngine(t)
	f, err := os.Open(filepath.Join(dir, "SHA256SUMS"))
	if err != nil {
		testenv.Skipf(t, "no SHA256SUMS: %v", err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 2 {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, strings.TrimPrefix(fields[1], "*")))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		if hex.EncodeToString(sum[:]) != fields[0] {
			t.Errorf("%s changed", fields[1])
		}
		n++
	}
	if n < 261 {
		t.Fatalf("verified %d checksums, want at least 261", n)
	}
}

func paths(ms []Match) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = filepath.Base(m.Photo.Path)
	}
	return out
}

func encodeJPEG(t *testing.T, img image.Image, q int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// withOrientation inserts a minimal EXIF APP1 segment carrying only the
// Orientation tag right after the JPEG's SOI marker.
func withOrientation(t *testing.T, jpg []byte, orientation uint16) []byte {
	t.Helper()
	if len(jpg) < 2 || jpg[0] != 0xFF || jpg[1] != 0xD8 {
		t.Fatal("not a JPEG")
	}
	var tiff bytes.Buffer
	le := binary.LittleEndian
	tiff.WriteString("II")
	binary.Write(&tiff, le, uint16(42))
	binary.Write(&tiff, le, uint32(8)) // IFD0 offset
	binary.Write(&tiff, le, uint16(1)) // one entry
	binary.Write(&tiff, le, uint16(0x0112))
	binary.Write(&tiff, le, uint16(3)) // SHORT
	binary.Write(&tiff, le, uint32(1))
	binary.Write(&tiff, le, orientation)
	binary.Write(&tiff, le, uint16(0))
	binary.Write(&tiff, le, uint32(0)) // no next IFD
	payload := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	out := append([]byte{0xFF, 0xD8}, seg...)
	out = append(out, payload...)
	return append(out, jpg[2:]...)
}

func TestIndexWithoutModelStillCatalogues(t *testing.T) {
	requireRuntime(t)
	dir := testenv.Holidays(t)
	cfg := testConfig(t, t.TempDir())
	cfg.ModelFile = "" // squeezenet is not in this empty cache
	eng, err := Open(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	res, err := eng.Index(context.Background(), []string{dir}, IndexOptions{})
	if !errors.Is(err, embed.ErrModelMissing) || !strings.Contains(err.Error(), "--model-file") {
		t.Fatalf("index without the model: %v; want ErrModelMissing saying what to do", err)
	}
	if res.Processed != 261 || res.Embedded != 0 {
		t.Fatalf("processed %d, embedded %d; want 261 catalogued, none embedded", res.Processed, res.Embedded)
	}
	if _, err := eng.SimilarToPhoto(context.Background(), 1, SimilarQuery{K: 3}); err == nil || !strings.Contains(err.Error(), "simili index") {
		t.Fatalf("similar without embeddings: %v; want an error naming the fix", err)
	}
}

func TestSyncRebuildRunsNoModel(t *testing.T) {
	eng, dir := holidaysEngine(t)
	// A second engine on the same library that never loads the model.
	fresh, err := Open(context.Background(), eng.Config(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	// The first engine holds the embedded store's lock; release it.
	if err := eng.store.Close(); err != nil {
		t.Fatal(err)
	}
	n, err := fresh.Sync(context.Background(), true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n != 261 {
		t.Fatalf("rebuild pushed %d photos, want 261", n)
	}
	if fresh.embedder != nil {
		t.Fatal("rebuild loaded the model")
	}
	ms, err := fresh.SimilarToFile(context.Background(), filepath.Join(dir, "100001.jpg"), SimilarQuery{K: 3})
	if err != nil || len(ms) == 0 || filepath.Base(ms[0].Photo.Path) != "100001.jpg" {
		t.Fatalf("search after rebuild: %v %v", paths(ms), err)
	}
	if fresh.embedder != nil {
		t.Fatal("a catalogued query photo loaded the model")
	}
	fresh.store.Close() // hand the store back to the shared engine
}
