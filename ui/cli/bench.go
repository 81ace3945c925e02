//go:build bench

package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/simili/simili/search/bench"
	"github.com/simili/simili/search/engine"
)

func runBench(ctx context.Context, env Env, args []string) error {
	var (
		c       common
		asJSON  bool
		quick   bool
		photos  int
		sizes   string
		dims    string
		maxMB   int64
		queries int
		workDir string
		peers   bool
		peerSz  string
		profile string
		dups    int
		idxOnly bool
	)
	fs := newFlags(env, "bench", "[flags]")
	c.register(fs)
	fs.BoolVar(&asJSON, "json", false, "print one JSON object")
	fs.BoolVar(&quick, "quick", false, "small sizes, for a smoke test (not the report's figures)")
	fs.IntVar(&photos, "photos", 200, "generated 12-MP photos per index run")
	fs.StringVar(&sizes, "sizes", "10000,100000,1000000", "store sizes")
	fs.StringVar(&dims, "dims", "512,2048", "vector dimensions")
	fs.Int64Var(&maxMB, "max-mb", 4096, "skip store sizes whose raw vectors exceed this many MB")
	// 1000, not fewer: p99 is then the 10th-worst query rather than the
	// 2nd-worst, so one hypervisor stall (steal, see SearchResult) cannot
	// set it alone.
	fs.IntVar(&queries, "queries", 1000, "queries per search measurement")
	fs.StringVar(&workDir, "work-dir", "", "scratch folder (default: a temporary folder)")
	fs.BoolVar(&peers, "peers", false, "also run the peers (Pillow + ONNX Runtime indexing, FAISS search) from $SIMILI_SHARED/tools/peers in a virtual environment of their own in the cache, and print Simili | peer | ratio")
	fs.IntVar(&dups, "duplicates", 100_000, "photos in the generated catalog `simili duplicates` is timed on (0: skip)")
	fs.StringVar(&profile, "cpuprofile", "", "write a CPU profile (go tool pprof) of the SqueezeNet index run to this file")
	fs.StringVar(&peerSz, "peer-sizes", "100000x2048,1000000x512", "N×dim sizes the FAISS peer is run at (each must also be in --sizes and --dims); none: the indexing peer only")
	fs.BoolVar(&idxOnly, "index-only", false, "only the SqueezeNet index runs, float and int8 (and, with --peers, the indexing peer with each model)")
	if _, help, err := handleParse(fs, args); help || err != nil {
		return err
	}
	cfg, err := engine.Load()
	if err != nil {
		return err
	}
	cfg = cfg.Merge(c.over)
	if quick {
		photos, sizes, queries, peerSz = 8, "2000", 20, "2000x512"
		explicit := false
		fs.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "duplicates" })
		if !explicit {
			dups = 5000
		}
	}
	o := bench.Options{Config: cfg, Photos: photos, MaxBytes: maxMB << 20, Queries: queries, MilvusAddr: os.Getenv("SIMILI_MILVUS_ADDR"), DuplicatesPhotos: dups, IndexOnly: idxOnly}
	if o.Sizes, err = ints(sizes); err != nil {
		return fmt.Errorf("%w: --sizes: %v", ErrUsage, err)
	}
	if o.Dims, err = ints(dims); err != nil {
		return fmt.Errorf("%w: --dims: %v", ErrUsage, err)
	}
	if peers {
		shared := os.Getenv("SIMILI_SHARED")
		if shared == "" {
			shared = "../shared"
		}
		po := bench.PeerOptions{
			Dir:     filepath.Join(shared, "tools", "peers"),
			Venv:    filepath.Join(cfg.CacheDir, "peers-venv"),
			Model:   filepath.Join(shared, "models", "squeezenet1.1", "squeezenet1.1-fp32.onnx"),
			Workers: runtime.NumCPU(),
			Queries: queries,
			// Three rounds: the median is not one round's drift.
			IndexRounds: 3,
		}
		if peerSz == "none" {
			peerSz = ""
		}
		if po.Search, err = sizePairs(peerSz); err != nil {
			return fmt.Errorf("%w: --peer-sizes: %v", ErrUsage, err)
		}
		o.Peers = &po
	}
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return err
		}
		defer f.Close()
		o.CPUProfile = f
	}
	if workDir == "" {
		if workDir, err = os.MkdirTemp("", "simili-bench-"); err != nil {
			return err
		}
		defer os.RemoveAll(workDir)
	}
	o.WorkDir = workDir
	o.Log = func(format string, a ...any) { fmt.Fprintf(env.Stderr, "bench: "+format+"\n", a...) }
	rep, err := bench.Run(ctx, o)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return printBench(env, rep)
}

func printBench(env Env, r bench.Report) error {
	w := env.Stdout
	f := func(p *float64, format string) string {
		if p == nil {
			return "not measured"
		}
		return fmt.Sprintf(format, *p)
	}
	fmt.Fprintf(w, "prep_ms_per_photo_12mp          %s\n", f(r.PrepMsPerPhoto12MP, "%.1f ms"))
	if h := r.HEIC; h != nil {
		fmt.Fprintf(w, "heic_prep_ms_12mp               %.1f ms (with a thumbnail item %.1f ms); heif-convert %.1f ms to Y4M, %.1f ms to JPEG; ratio %.2f\n",
			h.SimiliMs, h.SimiliThumbMs, h.HeifConvertY4M, h.HeifConvertJPEG, h.Ratio)
		if h.PhoneFile != "" {
			fmt.Fprintf(w, "heic_phone_prep_ms              %.1f ms; heif-convert %.1f ms to Y4M; ratio %.2f (%s)\n",
				h.PhoneSimiliMs, h.PhoneHeifConvertY4M, h.PhoneRatio, filepath.Base(h.PhoneFile))
		}
	}
	fmt.Fprintf(w, "index_photos_per_s_squeezenet   %s (%s CPU s/photo)\n", f(r.IndexPhotosPerSecSqueeze, "%.1f"), f(r.IndexCPUSecPerPhotoSqueeze, "%.3f"))
	fmt.Fprintf(w, "index_photos_per_s_resnet50     %s\n", f(r.IndexPhotosPerSecResNet50, "%.1f"))
	fmt.Fprintf(w, "index_cpu_s_per_photo_resnet50  %s\n", f(r.IndexCPUSecPerPhotoResNet, "%.3f"))
	fmt.Fprintf(w, "index_photos_per_s_squeezenet_int8  %s (%s CPU s/photo, mean cosine to float %.4f)\n",
		f(r.IndexPhotosPerSecSqueezeInt8, "%.1f"), f(r.IndexCPUSecPerPhotoSqueezeInt8, "%.3f"), r.Int8Fidelity["squeezenet-int8"])
	fmt.Fprintf(w, "index_photos_per_s_resnet50_int8    %s (%s CPU s/photo, mean cosine to float %.4f)\n",
		f(r.IndexPhotosPerSecResNet50Int8, "%.1f"), f(r.IndexCPUSecPerPhotoResNetInt8, "%.3f"), r.Int8Fidelity["resnet50-random-int8"])
	fmt.Fprintf(w, "(%d generated 12-MP photos, %d CPUs)\n\n", r.IndexPhotos, r.CPUs)
	if d := r.Duplicates; d != nil {
		fmt.Fprintf(w, "duplicates_s_%dk                 %.2f s wall, %.2f s CPU (median of %d; first %.2f s); groups %v\n\n",
			d.Photos/1000, d.Seconds, d.CPUSeconds, d.Runs, d.FirstSeconds, d.Groups)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "store\tN\tdim\tfilter\tp50 ms\tp99 ms\trecall@10\tRSS MB\traw MB\topen ms\tfill s\tindex s\tsteal ms\t")
	for _, s := range append(r.Search, r.Milvus...) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%.2f\t%.2f\t%.3f\t%.0f\t%.0f\t%.0f\t%.1f\t%.1f\t%.0f\t\n", s.Store, s.N, s.Dim, s.Filter, s.P50Ms, s.P99Ms, s.RecallAt10, s.StoreRSSMB, s.RawMB, s.OpenMs, s.FillS, s.IndexS, s.StealMs)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\npeak memory %.0f MB, %.1f min (without the peers)\n", r.PeakRSSMB, r.Seconds/60)
	if len(r.Comparison) > 0 {
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "work\tSimili\tpeer\tratio\ttarget\tmet")
		for _, c := range r.Comparison {
			ratio, peer := "", c.Peer
			if c.Ratio > 0 {
				ratio = fmt.Sprintf("%.2fx", c.Ratio)
			}
			if peer == "" {
				peer = "-"
			}
			met := "yes"
			if !c.Met {
				met = "NO"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.Work, c.Simili, peer, ratio, c.Target, met)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	for _, s := range r.Skipped {
		fmt.Fprintln(w, "skipped:", s)
	}
	return nil
}

// sizePairs parses "100000x2048,1000000x512".
func sizePairs(s string) ([][2]int, error) {
	var out [][2]int
	if s == "" {
		return nil, nil
	}
	for _, part := range strings.Split(s, ",") {
		a, b, ok := strings.Cut(strings.TrimSpace(part), "x")
		n, err1 := strconv.Atoi(a)
		d, err2 := strconv.Atoi(b)
		if !ok || err1 != nil || err2 != nil || n <= 0 || d <= 0 {
			return nil, fmt.Errorf("%q is not N x DIM (e.g. 100000x2048)", part)
		}
		out = append(out, [2]int{n, d})
	}
	return out, nil
}

func ints(s string) ([]int, error) {
	var out []int
	for _, part := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%q is not a positive number", part)
		}
		out = append(out, n)
	}
	return out, nil
}
