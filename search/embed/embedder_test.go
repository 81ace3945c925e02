package embed

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"image"
	_ "image/jpeg"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/simili/simili/internal/testenv"
)

// runtimePath returns the ONNX Runtime library, skipping (failing in CI)
// when it is not installed.
func runtimePath(t testing.TB) string {
	t.Helper()
	p, err := FindRuntime()
	if err != nil {
		testenv.Skipf(t, "%v", err)
	}
	return p
}

// openSqueezeNet opens the shared SqueezeNet as a user-given file.
func openSqueezeNet(t testing.TB, threads int) *Embedder {
	t.Helper()
	model := testenv.SqueezeNet(t)
	lib := runtimePath(t)
	s, _ := Builtin("squeezenet")
	e, err := Open(s, Config{ModelFile: model, Threads: threads, RuntimePath: lib, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// holiday decodes one photo of the shared holidays set.
func holiday(t testing.TB, name string) image.Image {
	t.Helper()
	f, err := os.Open(filepath.Join(testenv.Holidays(t), name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return img
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// quiet keeps the load log out of test output.
func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

func dot(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

func TestEmbedSqueezeNet(t *testing.T) {
	e := openSqueezeNet(t, 0)
	img := holiday(t, "100001.jpg")
	v1, err := e.Embed(img)
	if err != nil {
		t.Fatal(err)
	}
	if len(v1) != 512 {
		t.Fatalf("len = %d, want 512", len(v1))
	}
	if n := math.Sqrt(dot(v1, v1)); math.Abs(n-1) > 1e-5 {
		t.Errorf("norm = %v, want 1", n)
	}
	v2, err := e.Embed(img)
	if err != nil {
		t.Fatal(err)
	}
	if c := dot(v1, v2); c < 0.9999 {
		t.Errorf("same photo twice: cosine %v < 0.9999", c)
	}
	// The same input through EmbedTensor gives the same vector.
	v3, err := e.EmbedTensor(Preprocess(img, e.Spec(), nil))
	if err != nil {
		t.Fatal(err)
	}
	if c := dot(v1, v3); c < 0.9999 {
		t.Errorf("Embed vs EmbedTensor: cosine %v", c)
	}
}

// TestEmbedSameScene checks that the features mean something: two photos of
// one scene are closer than that scene and photos of other groups.
func TestEmbedSameScene(t *testing.T) {
	e := openSqueezeNet(t, 0)
	embed := func(name string) []float32 {
		v, err := e.Embed(holiday(t, name))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	q, same := embed("100001.jpg"), embed("100002.jpg")
	pos := dot(q, same)
	t.Logf("100001 vs 100002 (same scene): %.3f", pos)
	for _, other := range []string{"100101.jpg", "100301.jpg", "100601.jpg", "100701.jpg"} {
		c := dot(q, embed(other))
		t.Logf("100001 vs %s: %.3f", other, c)
		if c >= pos-0.05 {
			t.Errorf("100001 vs %s: cosine %.3f not clearly below the same-scene %.3f", other, c, pos)
		}
	}
}

func TestEmbedConcurrent(t *testing.T) {
	e := openSqueezeNet(t, 2)
	imgs := []image.Image{holiday(t, "100001.jpg"), holiday(t, "100002.jpg"), holiday(t, "100101.jpg")}
	want := make([][]float32, len(imgs))
	for i, img := range imgs {
		v, err := e.Embed(img)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = v
	}
	const workers, rounds = 4, 5
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds*len(imgs))
	for w := range workers {
		wg.Go(func() {
			for r := range rounds {
				i := (w + r) % len(imgs)
				v, err := e.Embed(imgs[i])
				if err != nil {
					errs <- err
					return
				}
				for k := range v {
					if v[k] != want[i][k] {
						errs <- errors.New("concurrent Embed gave a different vector")
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestOpenModelDir covers the cached-model path: checksum verified, clear
// errors for a corrupt or missing file. The shared model is linked, not
// copied, into a temporary model directory.
func TestOpenModelDir(t *testing.T) {
	model := testenv.SqueezeNet(t)
	lib := runtimePath(t)
	s, _ := Builtin("squeezenet")
	good := t.TempDir()
	if err := os.Symlink(model, filepath.Join(good, s.File)); err != nil {
		t.Fatal(err)
	}
	corrupt := t.TempDir()
	if err := os.WriteFile(filepath.Join(corrupt, s.File), []byte("truncated"), 0o644); err != nil {
		t.Fatal(err)
	}
	resnet, _ := Builtin("resnet50")
	tests := []struct {
		name    string
		spec    Spec
		cfg     Config
		missing bool     // errors.Is(err, ErrModelMissing)
		errHas  []string // nil: Open must succeed
	}{
		{name: "verified", spec: s, cfg: Config{ModelDir: good}},
		{name: "corrupt", spec: s, cfg: Config{ModelDir: corrupt},
			errHas: []string{filepath.Join(corrupt, s.File), s.SHA256, sha256Hex([]byte("truncated"))}},
		{name: "missing squeezenet", spec: s, cfg: Config{ModelDir: t.TempDir()}, missing: true,
			errHas: []string{"--model-file", "SIMILI_SHARED"}},
		{name: "missing resnet50", spec: resnet, cfg: Config{ModelDir: t.TempDir()}, missing: true,
			errHas: []string{"simili model fetch resnet50"}},
		{name: "missing model file", spec: s, cfg: Config{ModelFile: filepath.Join(good, "nope.onnx")}, missing: true,
			errHas: []string{"nope.onnx"}},
		{name: "user file lacks the feature", spec: resnet, cfg: Config{ModelFile: model},
			errHas: []string{`no input "data"`}},
		{name: "nothing configured", spec: s, errHas: []string{"no model"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.RuntimePath = lib
			tt.cfg.Logger = quiet()
			e, err := Open(tt.spec, tt.cfg)
			if tt.errHas == nil {
				if err != nil {
					t.Fatal(err)
				}
				e.Close()
				return
			}
			if err == nil {
				e.Close()
				t.Fatal("Open succeeded")
			}
			if errors.Is(err, ErrModelMissing) != tt.missing {
				t.Errorf("errors.Is(ErrModelMissing) = %v, want %v: %v", !tt.missing, tt.missing, err)
			}
			for _, s := range tt.errHas {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
		})
	}
}

func TestOpenWrongSpec(t *testing.T) {
	model := testenv.SqueezeNet(t)
	lib := runtimePath(t)
	good, _ := Builtin("squeezenet")
	tests := []struct {
		name   string
		change func(*Spec)
		errHas string
	}{
		{"wrong feature", func(s *Spec) { s.Feature = "fire9/concat_9" }, `"fire9/concat_9"`},
		{"wrong input", func(s *Spec) { s.Input = "data" }, `no input "data"`},
		{"bad pooling", func(s *Spec) { s.Pooling = "max" }, "pooling"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := good
			tt.change(&s)
			e, err := Open(s, Config{ModelFile: model, RuntimePath: lib, Logger: quiet()})
			if err == nil {
				e.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tt.errHas) {
				t.Errorf("error %q does not mention %q", err, tt.errHas)
			}
		})
	}
}

// TestEmbedErrors covers misuse and a spec whose Dim is wrong: the run
// itself must fail clearly rather than return a vector of the wrong size.
func TestEmbedErrors(t *testing.T) {
	model := testenv.SqueezeNet(t)
	lib := runtimePath(t)
	s, _ := Builtin("squeezenet")
	s.Dim = 1000
	wrongDim, err := Open(s, Config{ModelFile: model, RuntimePath: lib, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer wrongDim.Close()
	if _, err := wrongDim.EmbedTensor(make([]float32, 3*224*224)); err == nil || !strings.Contains(err.Error(), "1000") {
		t.Errorf("wrong Dim: error = %v", err)
	}

	e := openSqueezeNet(t, 1)
	if _, err := e.EmbedTensor(make([]float32, 10)); err == nil {
		t.Error("short tensor accepted")
	}
	if _, err := e.Embed(image.NewNRGBA(image.Rect(0, 0, 0, 0))); err == nil {
		t.Error("empty image accepted")
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := e.Embed(image.NewNRGBA(image.Rect(0, 0, 4, 4))); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Embed after Close: %v", err)
	}
}

// TestEmbedTinyModel runs the hand-made graph through ONNX Runtime, so the
// graph edit is checked against numbers computed by hand.
func TestEmbedTinyModel(t *testing.T) {
	lib := runtimePath(t)
	file := filepath.Join(t.TempDir(), "tiny.onnx")
	if err := os.WriteFile(file, tinyModel(), 0o644); err != nil {
		t.Fatal(err)
	}
	e, err := Open(tinySpec("a", PoolGAP, 3), Config{ModelFile: file, RuntimePath: lib, Threads: 1, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	// Channel means of Relu(x): 1, 2, 2 (the negatives become 0).
	v, err := e.EmbedTensor([]float32{1, 1, 1, 1, 4, 4, 0, 0, 4, 4, -9, 0})
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{1.0 / 3, 2.0 / 3, 2.0 / 3}
	for i := range want {
		if math.Abs(float64(v[i]-want[i])) > 1e-6 {
			t.Fatalf("embedding = %v, want %v", v, want)
		}
	}
}

// TestResNet50Random loads the seeded random ResNet50 from
// shared/tools/make_resnet50_random.py, to prove its spec, and reports the
// cost per image with 2 threads. The file is $SIMILI_RESNET50_RANDOM, else
// where scripts/make-resnet50-random.sh puts it (make test runs it first).
func TestResNet50Random(t *testing.T) {
	if !benchBuild {
		t.Skip("resnet50-random exists only in the bench build: go test -tags bench (make test does)")
	}
	file := os.Getenv("SIMILI_RESNET50_RANDOM")
	if file == "" {
		cache := os.Getenv("SIMILI_CACHE_DIR")
		if cache == "" {
			if d, err := os.UserCacheDir(); err == nil {
				cache = filepath.Join(d, "simili")
			}
		}
		file = filepath.Join(cache, "models", "resnet50-random.onnx")
	}
	if _, err := os.Stat(file); err != nil {
		testenv.Skipf(t, "random ResNet50 not found (%v): run scripts/make-resnet50-random.sh, or set SIMILI_RESNET50_RANDOM", err)
	}
	lib := runtimePath(t)
	s, _ := Builtin("resnet50-random")
	e, err := Open(s, Config{ModelFile: file, RuntimePath: lib, Threads: 2, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	img := holiday(t, "100001.jpg")
	if _, err := e.Embed(img); err != nil { // warm-up
		t.Fatal(err)
	}
	in := Preprocess(img, s, nil)
	const n = 10
	start := time.Now()
	var v []float32
	for range n {
		if v, err = e.EmbedTensor(in); err != nil {
			t.Fatal(err)
		}
	}
	if len(v) != 2048 {
		t.Fatalf("len = %d", len(v))
	}
	run := time.Since(start)
	start = time.Now()
	for range n {
		if _, err = e.Embed(img); err != nil {
			t.Fatal(err)
		}
	}
	perImage := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / n }
	t.Logf("resnet50-random, 2 threads: %.1f ms per image run only, %.1f ms with preprocessing", perImage(run), perImage(time.Since(start)))

	// The int8 variant, calibrated on four holidays photos.
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var calib [][]float32
	for _, name := range []string{"100001.jpg", "100101.jpg", "100201.jpg", "100301.jpg"} {
		calib = append(calib, Preprocess(holiday(t, name), s, nil))
	}
	q, fid, err := Quantize(context.Background(), data, s, calib, nil, Config{RuntimePath: lib, Threads: 2, Logger: quiet()})
	if err != nil && !errors.Is(err, ErrLowFidelity) { // random weights need not quantize well
		t.Fatal(err)
	}
	q8 := Int8(s)
	for _, threads := range []int{1, 2} {
		e8, err := openData(q8, q8.Name, q, Config{RuntimePath: lib, Threads: threads, Logger: quiet()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e8.EmbedTensor(in); err != nil {
			t.Fatal(err)
		}
		start = time.Now()
		for range n {
			if _, err := e8.EmbedTensor(in); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("resnet50-random-int8, %d threads: %.1f ms per image run only (fidelity %+v)", threads, perImage(time.Since(start)), fid)
		e8.Close()
	}
}

func BenchmarkEmbedSqueezeNet(b *testing.B) {
	e := openSqueezeNet(b, 2)
	img := holiday(b, "100001.jpg")
	for b.Loop() {
		if _, err := e.Embed(img); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRunSqueezeNet(b *testing.B) {
	e := openSqueezeNet(b, 2)
	in := Preprocess(holiday(b, "100001.jpg"), e.Spec(), nil)
	for b.Loop() {
		if _, err := e.EmbedTensor(in); err != nil {
			b.Fatal(err)
		}
	}
}
