package bench

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// PeerPackages are the PyPI packages the peers import, pinned to the
// versions the README's figures were measured with so a rerun measures the
// same peer.
var PeerPackages = []string{"numpy==2.4.6", "pillow==13.0.0", "onnxruntime==1.32.0", "faiss-cpu==1.15.1"}

// PeerOptions says where the peers are and what to run them on.
type PeerOptions struct {
	// Dir holds peer_index.py and peer_search.py (shared/tools/peers).
	Dir string
	// Venv is the peers' own virtual environment, made on first use with
	// `python3 -m venv` and PeerPackages from PyPI.
	Venv string
	// Model is the SqueezeNet file both pipelines run.
	Model string
	// Int8Model is the int8 SqueezeNet (`simili model quantize`'s file):
	// RunPeers, given Simili's run with it, pairs it with the peer's on the
	// same file in rounds of their own. "" leaves them out.
	Int8Model string
	Workers   int
	// Search lists the N × dim sizes peer_search.py is run at.
	Search  [][2]int
	Queries int
	// IndexRounds is how many back-to-back rounds of Simili's index run
	// and the peer's RunPeers measures when given Simili's (at least 1).
	IndexRounds int
	Log         func(format string, args ...any)
}

// IndexPair is one round of the index comparison: Simili's run and the
// peer's on the same photos, back to back. This VM's speed drifts by
// 10–20% over minutes; runs minutes apart compared the drift as much as
// the programs, a pair seconds apart compares them under the same drift.
type IndexPair struct {
	Simili IndexResult     `json:"simili"`
	Peer   PeerIndexResult `json:"peer"`
	// Ratio is Simili's photos/s over the peer's.
	Ratio float64 `json:"ratio"`
	// PeerFirst: the peer ran first this round (the order alternates, so
	// neither side always runs on a warmer page cache or a cooler CPU).
	PeerFirst bool `json:"peer_first"`
}

// PeerIndexResult is peer_index.py's run on the bench photos.
type PeerIndexResult struct {
	Photos       int     `json:"photos"`
	Seconds      float64 `json:"seconds"`
	PhotosPerSec float64 `json:"photos_per_s"`
	// CPUSecPerPhoto is the CPU time of the peer and its worker processes
	// minus that of the same command on an empty folder (interpreter
	// start, imports, model load), per photo.
	CPUSecPerPhoto float64 `json:"cpu_s_per_photo"`
	Line           string  `json:"line"`
}

// PeerSearchRow is one line of peer_search.py's output.
type PeerSearchRow struct {
	Index      string  `json:"index"`   // "Flat", "IVF", "HNSW"
	Setting    string  `json:"setting"` // "nprobe 8", "efSearch 128", "exact"
	Filter     string  `json:"filter"`  // "none" or "10%"
	P50Ms      float64 `json:"search_p50_ms"`
	P99Ms      float64 `json:"search_p99_ms"`
	RecallAt10 float64 `json:"recall_at_10"`
}

// PeerSearchResult is one peer_search.py run.
type PeerSearchResult struct {
	N       int    `json:"n"`
	Dim     int    `json:"dim"`
	Version string `json:"faiss_version"`
	// IVFBuildS is FAISS IVF-Flat's train+add, HNSWBuildS HNSW32's add,
	// as the peer prints them (whole seconds).
	IVFBuildS  float64         `json:"ivf_build_s"`
	HNSWBuildS float64         `json:"hnsw_build_s"`
	Rows       []PeerSearchRow `json:"rows"`
	WallS      float64         `json:"wall_s"`
}

// PeersReport is what the peers measured in this run.
type PeersReport struct {
	Python string           `json:"python"`
	Index  *PeerIndexResult `json:"index,omitempty"`
	// IndexPairs are the rounds of Simili's index run beside the peer's,
	// when RunPeers was given Simili's; Index is then the median round's.
	IndexPairs []IndexPair `json:"index_pairs,omitempty"`
	// IndexPairsInt8 are the same rounds with the int8 model on both sides.
	IndexPairsInt8 []IndexPair        `json:"index_pairs_int8,omitempty"`
	Search         []PeerSearchResult `json:"search,omitempty"`
}

// EnsurePeerVenv makes o.Venv (once) and returns its python.
func EnsurePeerVenv(ctx context.Context, o PeerOptions) (string, error) {
	py := filepath.Join(o.Venv, "bin", "python")
	check := func() error {
		return exec.CommandContext(ctx, py, "-c", "import numpy, PIL, onnxruntime, faiss").Run()
	}
	if _, err := os.Stat(py); err == nil && check() == nil {
		return py, nil
	}
	logf(o.Log, "peers: making the virtual environment %s (%s)", o.Venv, strings.Join(PeerPackages, " "))
	if out, err := exec.CommandContext(ctx, "python3", "-m", "venv", o.Venv).CombinedOutput(); err != nil {
		return "", fmt.Errorf("python3 -m venv %s (Debian: apt-get install python3-venv): %v: %s", o.Venv, err, tail(out))
	}
	args := append([]string{"-m", "pip", "install", "--quiet", "--disable-pip-version-check"}, PeerPackages...)
	if out, err := exec.CommandContext(ctx, py, args...).CombinedOutput(); err != nil {
		return "", fmt.Errorf("pip install into %s: %v: %s", o.Venv, err, tail(out))
	}
	if err := check(); err != nil {
		return "", fmt.Errorf("peers' packages do not import in %s: %w", o.Venv, err)
	}
	return py, nil
}

// RunPeers runs peer_index.py on photos and peer_search.py at each of
// o.Search, unmodified, and parses what they print. Given simili (Simili's
// own index run on photos), it measures o.IndexRounds pairs of it and the
// peer's run back to back instead of the peer's alone; given similiInt8
// and o.Int8Model, as many pairs again with the int8 model on both sides.
func RunPeers(ctx context.Context, o PeerOptions, photos string, simili, similiInt8 func(context.Context) (IndexResult, error)) (*PeersReport, error) {
	for _, f := range []string{"peer_index.py", "peer_search.py"} {
		if _, err := os.Stat(filepath.Join(o.Dir, f)); err != nil {
			return nil, fmt.Errorf("peers: %w (set SIMILI_SHARED to the shared folder)", err)
		}
	}
	py, err := EnsurePeerVenv(ctx, o)
	if err != nil {
		return nil, err
	}
	rep := &PeersReport{Python: py}
	if photos != "" {
		base, err := peerBaseCPU(ctx, o, py, o.Model)
		if err != nil {
			return rep, err
		}
		if simili == nil {
			ir, err := peerIndex(ctx, o, py, photos, o.Model, base)
			if err != nil {
				return rep, err
			}
			rep.Index = &ir
			logf(o.Log, "peers: index %d photos: %.1f photos/s, %.3f CPU-s/photo", ir.Photos, ir.PhotosPerSec, ir.CPUSecPerPhoto)
		} else {
			rep.IndexPairs, err = indexRounds(ctx, o, py, photos, o.Model, base, simili)
			if err != nil {
				return rep, err
			}
			m := medianPair(rep.IndexPairs)
			rep.Index = &m.Peer
		}
		if similiInt8 != nil && o.Int8Model != "" {
			base8, err := peerBaseCPU(ctx, o, py, o.Int8Model)
			if err != nil {
				return rep, err
			}
			if rep.IndexPairsInt8, err = indexRounds(ctx, o, py, photos, o.Int8Model, base8, similiInt8); err != nil {
				return rep, err
			}
		}
	}
	for _, s := range o.Search {
		logf(o.Log, "peers: peer_search.py %d %d %d (FAISS Flat, IVF, HNSW; HNSW builds for minutes)", s[0], s[1], o.Queries)
		start := time.Now()
		out, _, err := runPeer(ctx, py, filepath.Join(o.Dir, "peer_search.py"), strconv.Itoa(s[0]), strconv.Itoa(s[1]), strconv.Itoa(o.Queries))
		if err != nil {
			return rep, err
		}
		sr, err := ParsePeerSearch(out)
		if err != nil {
			return rep, err
		}
		sr.N, sr.Dim, sr.WallS = s[0], s[1], time.Since(start).Seconds()
		logf(o.Log, "peers: search %d × %d done in %.0f s:\n%s", s[0], s[1], sr.WallS, strings.TrimSpace(out))
		rep.Search = append(rep.Search, sr)
	}
	return rep, nil
}

// indexRounds runs o.IndexRounds rounds of simili and the peer (on model)
// back to back, the order alternating.
func indexRounds(ctx context.Context, o PeerOptions, py, photos, model string, base float64, simili func(context.Context) (IndexResult, error)) ([]IndexPair, error) {
	var pairs []IndexPair
	var err error
	for round := range max(1, o.IndexRounds) {
		p := IndexPair{PeerFirst: round%2 == 1}
		for i := range 2 {
			if (i == 0) == p.PeerFirst {
				p.Peer, err = peerIndex(ctx, o, py, photos, model, base)
			} else {
				logf(o.Log, "peers: round %d: Simili's index run (%s)", round+1, filepath.Base(model))
				p.Simili, err = simili(ctx)
			}
			if err != nil {
				return pairs, err
			}
		}
		p.Ratio = p.Simili.PhotosPerSec / p.Peer.PhotosPerSec
		logf(o.Log, "peers: round %d (%s): Simili %.1f photos/s, %.3f CPU-s/photo; peer %.1f, %.3f: %.2fx",
			round+1, filepath.Base(model), p.Simili.PhotosPerSec, p.Simili.CPUSecPerPhoto, p.Peer.PhotosPerSec, p.Peer.CPUSecPerPhoto, p.Ratio)
		pairs = append(pairs, p)
	}
	return pairs, nil
}

var peerIndexLine = regexp.MustCompile(`^(\d+) photos in ([0-9.]+) s = ([0-9.]+) photos/s`)

// peerBaseCPU is the CPU time peer_index.py takes on an empty folder
// (interpreter start, imports, model load), which peerIndex subtracts.
func peerBaseCPU(ctx context.Context, o PeerOptions, py, model string) (float64, error) {
	empty, err := os.MkdirTemp("", "simili-peer-empty-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(empty)
	logf(o.Log, "peers: peer_index.py on an empty folder (start-up cost)")
	_, base, err := runPeer(ctx, py, filepath.Join(o.Dir, "peer_index.py"), empty, strconv.Itoa(max(1, o.Workers)), "--model", model)
	return base, err
}

// medianPair returns the round with the median ratio (the lower middle
// one of an even count).
func medianPair(pairs []IndexPair) IndexPair {
	s := slices.Clone(pairs)
	slices.SortFunc(s, func(a, b IndexPair) int { return cmp.Compare(a.Ratio, b.Ratio) })
	return s[(len(s)-1)/2]
}

func peerIndex(ctx context.Context, o PeerOptions, py, photos, model string, base float64) (PeerIndexResult, error) {
	script := filepath.Join(o.Dir, "peer_index.py")
	workers := strconv.Itoa(max(1, o.Workers))
	logf(o.Log, "peers: peer_index.py %s %s --model %s", photos, workers, filepath.Base(model))
	out, cpu, err := runPeer(ctx, py, script, photos, workers, "--model", model)
	if err != nil {
		return PeerIndexResult{}, err
	}
	line := strings.TrimSpace(out)
	m := peerIndexLine.FindStringSubmatch(line)
	if m == nil {
		return PeerIndexResult{}, fmt.Errorf("peer_index.py printed %q, not \"N photos in S s = R photos/s\"", line)
	}
	n, _ := strconv.Atoi(m[1])
	secs, _ := strconv.ParseFloat(m[2], 64)
	rate, _ := strconv.ParseFloat(m[3], 64)
	if n == 0 {
		return PeerIndexResult{}, fmt.Errorf("peer_index.py found no photos in %s", photos)
	}
	return PeerIndexResult{Photos: n, Seconds: secs, PhotosPerSec: rate, CPUSecPerPhoto: max(0, cpu-base) / float64(n), Line: line}, nil
}

// runPeer runs a peer script and returns its stdout and the CPU seconds
// it and every process it waited for (the worker pool) used.
func runPeer(ctx context.Context, py string, args ...string) (string, float64, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, py, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = append(os.Environ(), "OMP_NUM_THREADS=2", "PYTHONUNBUFFERED=1")
	if err := cmd.Run(); err != nil {
		return "", 0, fmt.Errorf("%s: %v: %s", filepath.Base(args[0]), err, tail(stderr.Bytes()))
	}
	var cpu float64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
	}
	return stdout.String(), cpu, nil
}

var (
	peerMeasure = regexp.MustCompile(`p50 ([0-9.]+) ms\s+p99 ([0-9.]+) ms\s+recall@10 ([0-9.]+)`)
	peerBuild   = regexp.MustCompile(`^(IVF\S*|HNSW\S*) build ([0-9.]+) s`)
)

// ParsePeerSearch reads peer_search.py's report: a version line, "Flat
// (exact): ...", "IVF…,Flat build N s" followed by its nprobe lines and
// filtered lines, then "HNSW32 build N s" with its efSearch lines.
func ParsePeerSearch(out string) (PeerSearchResult, error) {
	var r PeerSearchResult
	section := ""
	for _, line := range strings.Split(out, "\n") {
		t := strings.TrimSpace(line)
		if v, ok := strings.CutPrefix(t, "FAISS "); ok {
			r.Version, _, _ = strings.Cut(v, ",")
			continue
		}
		if m := peerBuild.FindStringSubmatch(t); m != nil {
			s, _ := strconv.ParseFloat(m[2], 64)
			if strings.HasPrefix(m[1], "IVF") {
				section, r.IVFBuildS = "IVF", s
			} else {
				section, r.HNSWBuildS = "HNSW", s
			}
			continue
		}
		m := peerMeasure.FindStringSubmatch(t)
		if m == nil {
			continue
		}
		label, _, _ := strings.Cut(t, ":")
		row := PeerSearchRow{Index: section, Filter: "none"}
		if strings.HasPrefix(label, "Flat") {
			row.Index, row.Setting = "Flat", "exact"
		} else if s, ok := strings.CutPrefix(label, "10% filter, "); ok {
			row.Filter, row.Setting = "10%", s
		} else {
			row.Setting = label
		}
		row.P50Ms, _ = strconv.ParseFloat(m[1], 64)
		row.P99Ms, _ = strconv.ParseFloat(m[2], 64)
		row.RecallAt10, _ = strconv.ParseFloat(m[3], 64)
		if row.Index == "" {
			return r, fmt.Errorf("peer_search.py: measurement before any index: %q", t)
		}
		r.Rows = append(r.Rows, row)
	}
	if len(r.Rows) == 0 {
		return r, fmt.Errorf("peer_search.py printed no measurement: %q", tail([]byte(out)))
	}
	return r, nil
}

// Best returns the peer's approximate (IVF or HNSW) setting with the
// lowest p99 among those whose recall@10 is at least minRecall for the
// given filter; ok is false when none reaches it, and then the most
// accurate approximate setting is returned.
func (r PeerSearchResult) Best(filter string, minRecall float64) (PeerSearchRow, bool) {
	var best, accurate PeerSearchRow
	found := false
	for _, row := range r.Rows {
		if row.Index == "Flat" || row.Filter != filter {
			continue
		}
		if row.RecallAt10 > accurate.RecallAt10 || (row.RecallAt10 == accurate.RecallAt10 && row.P99Ms < accurate.P99Ms) {
			accurate = row
		}
		if row.RecallAt10 >= minRecall && (!found || row.P99Ms < best.P99Ms) {
			best, found = row, true
		}
	}
	if !found {
		return accurate, false
	}
	return best, true
}

func tail(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 600 {
		s = "…" + s[len(s)-600:]
	}
	return s
}

func logf(f func(string, ...any), format string, args ...any) {
	if f != nil {
		f(format, args...)
	}
}
