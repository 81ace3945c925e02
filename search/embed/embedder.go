package embed

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	ort "github.com/yalue/onnxruntime_go"
)

// ErrModelMissing means the model file is not installed; the wrapping error
// says how to get it.
var ErrModelMissing = errors.New("model file missing")

// Config says where the model and the runtime are and how many threads to use.
type Config struct {
	// ModelFile is a local model file used instead of ModelDir/spec.File.
	// Its checksum is not enforced (it may be a re-export), but it must have
	// the spec's input and feature tensors.
	ModelFile string
	// ModelDir holds downloaded models, checked against spec.SHA256.
	ModelDir string
	// Threads is ONNX Runtime's intra-op thread count; 0 means runtime.NumCPU().
	Threads int
	// RuntimePath is libonnxruntime.so; empty means FindRuntime().
	RuntimePath string
	// Logger receives load diagnostics; nil means slog.Default().
	Logger *slog.Logger
}

// Embedder computes embeddings with one ONNX Runtime session. It is safe for
// concurrent use: ONNX Runtime allows concurrent Run calls on one session,
// and each call has its own tensors.
type Embedder struct {
	spec Spec

	mu      sync.RWMutex // read-held while running, write-held by Close
	session *ort.DynamicAdvancedSession

	bufs sync.Pool // *[]float32 input buffers for Embed
}

// Open loads the model described by spec and prepares a session.
func Open(spec Spec, cfg Config) (*Embedder, error) {
	if err := spec.validate(); err != nil {
		return nil, err
	}
	file, data, err := loadModel(spec, cfg)
	if err != nil {
		return nil, err
	}
	return openData(spec, file, data, cfg)
}

// openData prepares a session for model bytes; file names them in errors.
func openData(spec Spec, file string, data []byte, cfg Config) (*Embedder, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	start := time.Now()
	data, err := exposeFeature(data, spec)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	threads := cfg.Threads
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	session, err := newSession(data, []string{spec.Input}, []string{FeatureOutput}, threads, cfg.RuntimePath)
	if err != nil {
		return nil, fmt.Errorf("load model %s from %s: %w", spec.Name, file, err)
	}
	log.Info("embedding model loaded", "model", spec.Name, "file", file, "dim", spec.Dim,
		"threads", threads, "onnxruntime", ort.GetVersion(), "took", time.Since(start).Round(time.Millisecond))
	return &Embedder{spec: spec, session: session}, nil
}

// newSession loads the runtime (lib, or FindRuntime's when empty) and makes
// a session with threads intra-op threads.
func newSession(data []byte, inputs, outputs []string, threads int, lib string) (*ort.DynamicAdvancedSession, error) {
	if lib == "" {
		var err error
		if lib, err = FindRuntime(); err != nil {
			return nil, err
		}
	}
	if err := initRuntime(lib); err != nil {
		return nil, err
	}
	opts, err := ort.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("ONNX Runtime session options: %w", err)
	}
	defer opts.Destroy()
	if err := opts.SetIntraOpNumThreads(threads); err != nil {
		return nil, fmt.Errorf("set %d intra-op threads: %w", threads, err)
	}
	// Images are parallel across goroutines already; one graph has no
	// independent branches worth an inter-op pool.
	if err := opts.SetInterOpNumThreads(1); err != nil {
		return nil, fmt.Errorf("set inter-op threads: %w", err)
	}
	// Idle ORT workers spin by default, stealing the cores that decode and
	// resize the next photos: measured on 2 cores, spinning off takes
	// SqueezeNet's Embed from 17 to 12 ms per photo at the same run time.
	if err := opts.AddSessionConfigEntry("session.intra_op.allow_spinning", "0"); err != nil {
		return nil, fmt.Errorf("disable thread spinning: %w", err)
	}
	return ort.NewDynamicAdvancedSessionWithONNXData(data, inputs, outputs, opts)
}

// loadModel resolves and reads the model file, verifying the checksum of
// cached files so a truncated or tampered download never loads silently.
func loadModel(spec Spec, cfg Config) (string, []byte, error) {
	if cfg.ModelFile != "" {
		data, err := os.ReadFile(cfg.ModelFile)
		if errors.Is(err, os.ErrNotExist) {
			return "", nil, fmt.Errorf("model file %s: %w", cfg.ModelFile, ErrModelMissing)
		}
		if err != nil {
			return "", nil, fmt.Errorf("read model file: %w", err)
		}
		return cfg.ModelFile, data, nil
	}
	if cfg.ModelDir == "" {
		return "", nil, fmt.Errorf("model %s: no model file and no model directory configured", spec.Name)
	}
	file := filepath.Join(cfg.ModelDir, spec.File)
	data, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil, fmt.Errorf("model %s not installed at %s (%w): %s", spec.Name, file, ErrModelMissing, missingHint(spec))
	}
	if err != nil {
		return "", nil, fmt.Errorf("read model %s: %w", spec.Name, err)
	}
	if spec.SHA256 != "" {
		sum := sha256.Sum256(data)
		if got := hex.EncodeToString(sum[:]); got != spec.SHA256 {
			return "", nil, fmt.Errorf("model file %s is corrupt or not %s: sha256 %s, expected %s; delete it and %s",
				file, spec.Name, got, spec.SHA256, missingHint(spec))
		}
	}
	return file, data, nil
}

// missingHint tells the user how to install a model.
func missingHint(spec Spec) string {
	switch {
	case spec.Base != "":
		return fmt.Sprintf("it is made from %s on this machine and your photos: run `simili model quantize %s` (or Settings → Make from my photos)", spec.Base, spec.Base)
	case spec.URL != "":
		return fmt.Sprintf("run `simili model fetch %s`, or pass --model-file PATH", spec.Name)
	case spec.Name == "squeezenet":
		return fmt.Sprintf("it cannot be downloaded: pass --model-file PATH/%s, or set SIMILI_SHARED to the shared folder and run `make models` (it runs `simili model import squeezenet FILE`)", spec.File)
	case spec.BenchOnly:
		return "generate it with `scripts/make-resnet50-random.sh` (or `python3 shared/tools/make_resnet50_random.py FILE` and pass --model-file FILE)"
	default:
		return fmt.Sprintf("run `simili model import %s FILE`, or pass --model-file FILE", spec.Name)
	}
}

// Spec returns the model's spec.
func (e *Embedder) Spec() Spec { return e.spec }

// Embed returns the L2-normalised embedding of an upright image.
func (e *Embedder) Embed(img image.Image) ([]float32, error) {
	if b := img.Bounds(); b.Empty() {
		return nil, fmt.Errorf("embed: empty image (%v)", b)
	}
	buf, _ := e.bufs.Get().(*[]float32)
	if buf == nil {
		buf = new([]float32)
	}
	defer e.bufs.Put(buf)
	*buf = Preprocess(img, e.spec, *buf)
	return e.EmbedTensor(*buf)
}

// EmbedTensor returns the L2-normalised embedding of an input already made
// by Preprocess, so pipelines can preprocess on other goroutines.
func (e *Embedder) EmbedTensor(t []float32) ([]float32, error) {
	side := int64(e.spec.Size)
	if want := 3 * side * side; int64(len(t)) != want {
		return nil, fmt.Errorf("embed: input has %d values, model %s needs %d (3x%dx%d)", len(t), e.spec.Name, want, side, side)
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.session == nil {
		return nil, errors.New("embed: embedder is closed")
	}
	in, err := ort.NewTensor(ort.NewShape(1, 3, side, side), t)
	if err != nil {
		return nil, fmt.Errorf("embed: input tensor: %w", err)
	}
	defer in.Destroy()
	outs := []ort.Value{nil} // allocated by the run, so its shape can be checked
	if err := e.session.Run([]ort.Value{in}, outs); err != nil {
		return nil, fmt.Errorf("embed: run %s: %w", e.spec.Name, err)
	}
	defer outs[0].Destroy()
	out, ok := outs[0].(*ort.Tensor[float32])
	if !ok {
		return nil, fmt.Errorf("embed: model %s output is %T, not a float tensor", e.spec.Name, outs[0])
	}
	if shape := out.GetShape(); len(shape) != 2 || shape[0] != 1 || shape[1] != int64(e.spec.Dim) {
		return nil, fmt.Errorf("embed: model %s feature %q has shape %v, spec says [1 %d]", e.spec.Name, e.spec.Feature, shape, e.spec.Dim)
	}
	v := make([]float32, e.spec.Dim)
	copy(v, out.GetData())
	if err := normalize(v); err != nil {
		return nil, fmt.Errorf("embed: model %s: %w", e.spec.Name, err)
	}
	return v, nil
}

// normalize scales v to unit length in place, so that a dot product is the
// cosine similarity.
func normalize(v []float32) error {
	var ss float64
	for _, x := range v {
		ss += float64(x) * float64(x)
	}
	n := math.Sqrt(ss)
	if n == 0 || math.IsNaN(n) || math.IsInf(n, 0) {
		return fmt.Errorf("feature vector has norm %v, cannot normalise", n)
	}
	inv := 1 / n
	for i, x := range v {
		v[i] = float32(float64(x) * inv)
	}
	return nil
}

// Close releases the session; it waits for running embeddings. The process-
// wide ONNX Runtime environment stays loaded for later Opens.
func (e *Embedder) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.session == nil {
		return nil
	}
	err := e.session.Destroy()
	e.session = nil
	if err != nil {
		return fmt.Errorf("close model %s: %w", e.spec.Name, err)
	}
	return nil
}

// ReadModel returns a model file's path and bytes, as Open would load them
// (checksum verified for files in cfg.ModelDir).
func ReadModel(spec Spec, cfg Config) (string, []byte, error) { return loadModel(spec, cfg) }
