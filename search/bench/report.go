package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/simili/simili/search/embed"
	"github.com/simili/simili/search/engine"
	"github.com/simili/simili/search/vector"
	"github.com/simili/simili/search/vector/embedded"
)

// Report is what `simili bench --json` prints: every figure measured here.
// A nil figure could not be measured; Skipped says why.
type Report struct {
	PrepMsPerPhoto12MP         *float64 `json:"prep_ms_per_photo_12mp"`
	IndexPhotosPerSecResNet50  *float64 `json:"index_photos_per_s_resnet50"`
	IndexPhotosPerSecSqueeze   *float64 `json:"index_photos_per_s_squeezenet"`
	IndexCPUSecPerPhotoResNet  *float64 `json:"index_cpu_s_per_photo_resnet50"`
	IndexCPUSecPerPhotoSqueeze *float64 `json:"index_cpu_s_per_photo_squeezenet"`
	// The same runs with each model's int8 variant (embed.Quantize),
	// calibrated on 24 of the generated photos; Int8Fidelity is each
	// variant's mean cosine to its float model on the held-out ones.
	IndexPhotosPerSecResNet50Int8  *float64           `json:"index_photos_per_s_resnet50_int8"`
	IndexCPUSecPerPhotoResNetInt8  *float64           `json:"index_cpu_s_per_photo_resnet50_int8"`
	IndexPhotosPerSecSqueezeInt8   *float64           `json:"index_photos_per_s_squeezenet_int8"`
	IndexCPUSecPerPhotoSqueezeInt8 *float64           `json:"index_cpu_s_per_photo_squeezenet_int8"`
	Int8Fidelity                   map[string]float64 `json:"int8_mean_cosine,omitempty"`
	Search                         []SearchResult     `json:"search"`
	Milvus                         []SearchResult     `json:"milvus_search,omitempty"`
	Skipped                        []string           `json:"skipped,omitempty"`
	CPUs                           int                `json:"cpus"`
	IndexPhotos                    int                `json:"index_photos"`
	// PeakRSSMB is this process's peak resident memory over the whole
	// run and Seconds its wall time (the peers, run after, left out).
	PeakRSSMB float64 `json:"peak_rss_mb"`
	Seconds   float64 `json:"bench_s"`
	// Peers holds what the peers measured when Options.Peers asked for
	// them, and Comparison the side-by-side table against the targets.
	Peers      *PeersReport `json:"peers,omitempty"`
	Comparison []Comparison `json:"comparison,omitempty"`
	// HEIC is the 12-MP HEIC preparation beside libheif's heif-convert.
	HEIC *HEICResult `json:"heic,omitempty"`
	// Duplicates is `simili duplicates` on a generated catalog.
	Duplicates *DuplicatesResult `json:"duplicates,omitempty"`
}

// Options chooses what to measure.
type Options struct {
	Config     engine.Config // cache folder, model files, threads, workers
	WorkDir    string        // scratch space for stores and libraries
	Photos     int           // generated 12-MP photos for the index runs (≥ 200 for the report)
	Sizes      []int         // store sizes, e.g. 10_000, 100_000, 1_000_000
	Dims       []int         // 512, 2048
	MaxBytes   int64         // skip store sizes whose raw vectors exceed this
	Queries    int
	MilvusAddr string // when set, the Milvus store is measured at 100k × 512
	// DuplicatesPhotos is the generated catalog's size for the duplicates
	// row; 0 leaves the row out.
	DuplicatesPhotos int
	// Peers, when set, runs the peers after Simili's own measurements, on
	// the same photos, and fills Report.Peers and Report.Comparison.
	Peers *PeerOptions
	// CPUProfile, when set, receives a CPU profile (pprof) of the
	// SqueezeNet index run.
	CPUProfile io.Writer
	// IndexOnly runs only the SqueezeNet index rows, float and int8 (and,
	// with Peers, the indexing peer with each): the quick loop for work on
	// the index pipeline.
	IndexOnly bool
	Log       func(format string, args ...any)
}

// Run measures everything Options asks for.
func Run(ctx context.Context, o Options) (Report, error) {
	r := Report{CPUs: runtime.NumCPU()}
	start := time.Now()
	// Filling a store with 1M vectors leaves gigabytes of garbage (grown
	// and re-laid-out arrays); with the default GOGC the heap may reach
	// twice the live data before it is collected (8.8 GB at 1M × 512).
	// A soft limit makes the collector run before that. GOMEMLIMIT, when
	// set, wins.
	if os.Getenv("GOMEMLIMIT") == "" {
		prev := debug.SetMemoryLimit(benchMemoryLimit)
		defer debug.SetMemoryLimit(prev)
	}
	logf := o.Log
	if logf == nil {
		logf = func(string, ...any) {}
	}
	skip := func(format string, args ...any) {
		s := fmt.Sprintf(format, args...)
		r.Skipped = append(r.Skipped, s)
		logf("skipped: %s", s)
	}

	models := []string{"squeezenet", "resnet50-random", "squeezenet-int8", "resnet50-random-int8"}
	if o.IndexOnly {
		models = []string{"squeezenet", "squeezenet-int8"}
		o.Dims, o.DuplicatesPhotos = nil, 0
		if o.Peers != nil {
			o.Peers.Search = nil
		}
	} else {
		spec, _ := embed.Builtin("squeezenet")
		logf("prep: 12-MP JPEG → thumbnail + tensor, one core")
		if p, err := Prep(spec, o.Config.ThumbSize, 15); err != nil {
			return r, err
		} else {
			r.PrepMsPerPhoto12MP = &p.MedianMs
		}
		logf("prep: 12-MP HEIC → thumbnail + tensor, beside heif-convert")
		if h, err := HEIC(ctx, spec, o.Config.ThumbSize, 5, o.Config.CacheDir, filepath.Join(o.WorkDir, "heic")); err != nil {
			skip("HEIC prep: %v", err)
		} else {
			r.HEIC = &h
		}
	}

	photos := filepath.Join(o.Config.CacheDir, "bench", fmt.Sprintf("photos-12mp-%d", o.Photos))
	logf("generating %d 12-MP photos in %s (reused next time)", o.Photos, photos)
	if err := EnsurePhotos(ctx, photos, o.Photos); err != nil {
		return r, err
	}
	r.IndexPhotos = o.Photos
	for _, model := range models {
		cfg := o.Config
		cfg.Model, cfg.ModelFile = model, ""
		cfg.Store = "embedded"
		cfg.DataDir = filepath.Join(o.WorkDir, "index-"+model)
		os.RemoveAll(cfg.DataDir)
		cfg.CacheDir = filepath.Join(o.WorkDir, "cache-"+model)
		os.RemoveAll(cfg.CacheDir)
		s, _ := embed.Builtin(model)
		if s.Base != "" {
			fid, err := ensureInt8(ctx, o.Config, s, photos, cfg.DataDir)
			if err != nil {
				skip("index %s: %v", model, err)
				continue
			}
			if r.Int8Fidelity == nil {
				r.Int8Fidelity = map[string]float64{}
			}
			r.Int8Fidelity[model] = fid
		}
		modelFile := filepath.Join(o.Config.ModelDir(), s.File)
		if _, err := os.Stat(modelFile); err != nil {
			skip("index %s: model file %s missing (squeezenet: make models; resnet50-random: scripts/make-resnet50-random.sh)", model, modelFile)
			continue
		}
		cfg.ModelFile = modelFile
		logf("index: %d photos with %s", o.Photos, model)
		var prof io.Writer
		if model == "squeezenet" {
			prof = o.CPUProfile
		}
		res, err := Index(ctx, cfg, photos, prof)
		if err != nil {
			return r, fmt.Errorf("index with %s: %w", model, err)
		}
		logf("index %s: %.1f photos/s, %.3f CPU s/photo", model, res.PhotosPerSec, res.CPUSecPerPhoto)
		rate, cpu := &res.PhotosPerSec, &res.CPUSecPerPhoto
		switch model {
		case "squeezenet":
			r.IndexPhotosPerSecSqueeze, r.IndexCPUSecPerPhotoSqueeze = rate, cpu
		case "resnet50-random":
			r.IndexPhotosPerSecResNet50, r.IndexCPUSecPerPhotoResNet = rate, cpu
		case "squeezenet-int8":
			r.IndexPhotosPerSecSqueezeInt8, r.IndexCPUSecPerPhotoSqueezeInt8 = rate, cpu
		case "resnet50-random-int8":
			r.IndexPhotosPerSecResNet50Int8, r.IndexCPUSecPerPhotoResNetInt8 = rate, cpu
		}
		os.RemoveAll(cfg.DataDir)
		os.RemoveAll(cfg.CacheDir)
	}
	// Where the peak comes from: the index runs (ONNX Runtime, decoders)
	// or the store rows.
	runtime.GC()
	debug.FreeOSMemory()
	releaseCHeap()
	logf("resident memory before the stores: %d MB (peak so far %.0f MB)", rssBytes()>>20, peakRSSMB())

	for _, dim := range o.Dims {
		for _, n := range o.Sizes {
			if int64(n)*int64(dim)*4 > o.MaxBytes {
				skip("search %d × %d: %d MB of raw vectors exceeds the memory budget (--max-mb)", n, dim, int64(n)*int64(dim)*4>>20)
				continue
			}
			dir := filepath.Join(o.WorkDir, fmt.Sprintf("store-%d-%d", n, dim))
			os.RemoveAll(dir)
			logf("search: embedded store, %d × %d", n, dim)
			opens := 0
			rows, err := Search(ctx, "embedded", func(_ context.Context, m vector.Model) (vector.Store, error) {
				s, err := embedded.Open(dir, m)
				if opens++; err == nil && opens == 1 {
					return embeddedFill{s}, nil
				}
				return s, err
			}, n, dim, o.Queries, int64(n+dim), truthDir(o), logf)
			os.RemoveAll(dir)
			if err != nil {
				return r, err
			}
			r.Search = append(r.Search, rows...)
			for _, s := range rows {
				logf("search %d × %d, %s filter: p50 %.2f ms, p99 %.2f ms, recall@10 %.3f; fill %.1f s, index %.1f s; slowest %s", s.N, s.Dim, s.Filter, s.P50Ms, s.P99Ms, s.RecallAt10, s.FillS, s.IndexS, formatSlowest(s.Slowest))
			}
			// Hand the row's memory back before the next one: the peak is
			// then one row's, not the sum of what the heap kept around.
			runtime.GC()
			debug.FreeOSMemory()
		}
	}
	if o.DuplicatesPhotos > 0 {
		logf("duplicates: %d generated photos in a catalog", o.DuplicatesPhotos)
		dir := filepath.Join(o.WorkDir, "duplicates")
		if d, err := Duplicates(ctx, dir, o.DuplicatesPhotos, 3); err != nil {
			skip("duplicates: %v", err)
		} else {
			r.Duplicates = &d
			logf("duplicates %d photos: %.2f s (%.2f s CPU), groups %v", d.Photos, d.Seconds, d.CPUSeconds, d.Groups)
		}
		os.RemoveAll(dir)
	}
	if o.IndexOnly {
		// the index row only: no Milvus
	} else if o.MilvusAddr == "" {
		skip("milvus search: SIMILI_MILVUS_ADDR not set")
	} else if err := milvusSearch(ctx, o, &r, logf); err != nil {
		skip("milvus search: %v", err)
	}
	r.Seconds = time.Since(start).Seconds()
	r.PeakRSSMB = peakRSSMB()
	if o.Peers != nil && ctx.Err() == nil {
		po := *o.Peers
		if po.Log == nil {
			po.Log = logf
		}
		var keep [][2]int
		for _, s := range po.Search {
			if slices.Contains(o.Sizes, s[0]) && slices.Contains(o.Dims, s[1]) {
				keep = append(keep, s)
			}
		}
		po.Search = keep
		var int8Run func(context.Context) (IndexResult, error)
		if f, ok := modelFile(o, "squeezenet-int8"); ok {
			po.Int8Model, int8Run = f, similiIndexRun(o, photos, "squeezenet-int8")
		}
		p, err := RunPeers(ctx, po, photos, similiIndexRun(o, photos, "squeezenet"), int8Run)
		r.Peers = p
		if err != nil {
			skip("peers: %v", err)
		}
	}
	r.Comparison = Compare(r)
	return r, ctx.Err()
}

// modelFile is the installed file of the built-in model name.
func modelFile(o Options, name string) (string, bool) {
	spec, err := embed.Builtin(name)
	if err != nil {
		return "", false
	}
	f := filepath.Join(o.Config.ModelDir(), spec.File)
	_, err = os.Stat(f)
	return f, err == nil
}

// similiIndexRun returns Simili's index run on photos with the built-in
// model name, as the model loop runs it, for the rounds beside the
// peer's; nil when the model file is missing.
func similiIndexRun(o Options, photos, name string) func(context.Context) (IndexResult, error) {
	file, ok := modelFile(o, name)
	if !ok {
		return nil
	}
	return func(ctx context.Context) (IndexResult, error) {
		cfg := o.Config
		cfg.Model, cfg.ModelFile, cfg.Store = name, file, "embedded"
		cfg.DataDir = filepath.Join(o.WorkDir, "index-paired")
		cfg.CacheDir = filepath.Join(o.WorkDir, "cache-paired")
		for _, d := range []string{cfg.DataDir, cfg.CacheDir} {
			os.RemoveAll(d)
			defer os.RemoveAll(d)
		}
		return Index(ctx, cfg, photos, nil)
	}
}

// benchMemoryLimit is the soft heap limit Run sets for itself: under the
// 8 GB the whole benchmark must fit in, with room for what is not Go heap
// (ONNX Runtime, the C decoders).
const benchMemoryLimit = 6 << 30

// peakRSSMB is this process's peak resident memory (Linux: ru_maxrss in KiB).
func peakRSSMB() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Maxrss) / 1024
}

// waitIndexer is a store that builds its index in the background.
type waitIndexer interface {
	vector.Store
	WaitIndexed(ctx context.Context) error
}

// indexedFlush makes the fill phase's Flush wait until the store has
// indexed what it holds, so the searches measure the steady state and
// open_ms only loading, for every store alike.
type indexedFlush struct{ waitIndexer }

func (s indexedFlush) Flush(ctx context.Context) error {
	if err := s.waitIndexer.Flush(ctx); err != nil {
		return err
	}
	return s.WaitIndexed(ctx)
}

// truthDir is where the search rows keep their exact ground truth.
func truthDir(o Options) string {
	if o.Config.CacheDir == "" {
		return ""
	}
	return filepath.Join(o.Config.CacheDir, "bench", "truth")
}

// embeddedFill is indexedFlush for the embedded store, keeping its
// Reindex visible to Search.
type embeddedFill struct{ *embedded.Store }

func (s embeddedFill) Flush(ctx context.Context) error { return indexedFlush{s.Store}.Flush(ctx) }

// ensureInt8 quantizes spec's float model into the model folder with 24
// of the bench photos, as `simili model quantize` would with the user's,
// and returns the fidelity; an existing file is re-made so the figure is
// always measured.
func ensureInt8(ctx context.Context, cfg engine.Config, spec embed.Spec, photos, scratch string) (float64, error) {
	base, _ := embed.Builtin(spec.Base)
	if _, err := os.Stat(filepath.Join(cfg.ModelDir(), base.File)); err != nil {
		return 0, fmt.Errorf("float model %s missing: %w", base.Name, err)
	}
	cfg.Model, cfg.ModelFile = base.Name, ""
	cfg.DataDir, cfg.Store = scratch, "embedded" // no catalog of the user's is opened
	e, err := engine.Open(ctx, cfg, nil)
	if err != nil {
		return 0, err
	}
	defer e.Close()
	_, fid, err := e.QuantizeModel(ctx, base.Name, []string{photos}, 24, nil)
	if err != nil {
		return 0, err
	}
	return fid.MeanCosine, nil
}

// formatSlowest lists query:ms pairs, e.g. "q0 12.9, q1 8.0".
func formatSlowest(qs []QueryTime) string {
	parts := make([]string, len(qs))
	for i, q := range qs {
		parts[i] = fmt.Sprintf("q%d %.1f", q.Query, q.Ms)
	}
	return strings.Join(parts, ", ")
}
