package bench

import (
	"fmt"
	"math"
	"strings"
)

// Comparison is one line of the side-by-side table: Simili's figure, the
// peer's (empty for targets that have none), the ratio (above 1: Simili
// ahead) and whether the target holds.
type Comparison struct {
	Work   string  `json:"work"`
	Simili string  `json:"simili"`
	Peer   string  `json:"peer,omitempty"`
	Ratio  float64 `json:"ratio,omitempty"`
	Target string  `json:"target"`
	Met    bool    `json:"met"`
}

// Targets of issue 15 that the table checks.
const (
	TargetIndexRatio    = 1.25
	TargetResNetFloat   = 25.0
	TargetResNetInt8    = 40.0
	TargetSearchRecall  = 0.995
	TargetPeakRSSMB     = 8192.0
	TargetBenchSeconds  = 8 * 60.0
	searchCompareN2048  = 100_000
	searchCompareN512   = 1_000_000
	buildCompareN, bDim = 100_000, 2048
)

// Compare lines Simili's figures up against the peers' (when they ran)
// and the absolute targets.
func Compare(r Report) []Comparison {
	var out []Comparison
	var pi *PeerIndexResult
	if r.Peers != nil {
		pi = r.Peers.Index
	}
	if r.IndexPhotosPerSecSqueeze != nil {
		c := Comparison{
			Work:   fmt.Sprintf("index %d generated 12-MP JPEGs, SqueezeNet, all cores (Simili: + thumbnails, catalog)", r.IndexPhotos),
			Simili: fmt.Sprintf("%.1f photos/s, %.3f CPU-s/photo", *r.IndexPhotosPerSecSqueeze, *r.IndexCPUSecPerPhotoSqueeze),
			Target: fmt.Sprintf("≥ %.2fx the peer's photos/s, fewer CPU-s/photo", TargetIndexRatio),
		}
		switch {
		case r.Peers != nil && len(r.Peers.IndexPairs) > 0:
			pairRow(&c, r.Peers.IndexPairs, r.CPUs)
		case pi != nil:
			c.Peer = fmt.Sprintf("peer_index.py (Pillow draft + ONNX Runtime, %d processes): %.1f photos/s, %.3f CPU-s/photo", r.CPUs, pi.PhotosPerSec, pi.CPUSecPerPhoto)
			c.Ratio = *r.IndexPhotosPerSecSqueeze / pi.PhotosPerSec
			c.Met = c.Ratio >= TargetIndexRatio && *r.IndexCPUSecPerPhotoSqueeze < pi.CPUSecPerPhoto
		}
		out = append(out, c)
	}
	if r.Peers != nil && len(r.Peers.IndexPairsInt8) > 0 {
		c := Comparison{
			Work:   fmt.Sprintf("index %d generated 12-MP JPEGs, SqueezeNet int8 (`simili model quantize`'s file, the same file in both), all cores (Simili: + thumbnails, catalog)", r.IndexPhotos),
			Target: fmt.Sprintf("≥ %.2fx the peer's photos/s, fewer CPU-s/photo", TargetIndexRatio),
		}
		pairRow(&c, r.Peers.IndexPairsInt8, r.CPUs)
		out = append(out, c)
	}
	for _, x := range []struct {
		name   string
		rate   *float64
		target float64
	}{
		{"ResNet50 float (random weights), both cores", r.IndexPhotosPerSecResNet50, TargetResNetFloat},
		{"ResNet50 int8 (random weights), both cores", r.IndexPhotosPerSecResNet50Int8, TargetResNetInt8},
	} {
		if x.rate == nil {
			continue
		}
		out = append(out, Comparison{Work: "index: " + x.name, Simili: fmt.Sprintf("%.1f photos/s", *x.rate),
			Target: fmt.Sprintf("≥ %.0f photos/s", x.target), Met: *x.rate >= x.target})
	}
	for _, s := range r.Search {
		if !(s.N == searchCompareN2048 && s.Dim == 2048 || s.N == searchCompareN512 && s.Dim == 512) && peerSearchAt(r.Peers, s.N, s.Dim) == nil {
			continue
		}
		c := Comparison{
			Work:   fmt.Sprintf("search %d × %d, %s filter, one query at a time", s.N, s.Dim, s.Filter),
			Simili: fmt.Sprintf("p50 %.2f ms, p99 %.2f ms, recall@10 %.3f", s.P50Ms, s.P99Ms, s.RecallAt10),
		}
		if s.Filter == "none" {
			c.Target = fmt.Sprintf("recall ≥ %.3f; p50 and p99 ≤ FAISS's best IVF/HNSW setting at ≥ that recall", TargetSearchRecall)
		} else {
			c.Target = "p99 ≤ FAISS's best filtered setting at ≥ that recall"
		}
		if ps := peerSearchAt(r.Peers, s.N, s.Dim); ps != nil {
			best, reached := ps.Best(s.Filter, s.RecallAt10)
			c.Peer = fmt.Sprintf("FAISS %s %s: p50 %.2f, p99 %.2f, recall %.3f", best.Index, best.Setting, best.P50Ms, best.P99Ms, best.RecallAt10)
			if !reached {
				c.Peer += " (no FAISS setting reaches Simili's recall; its most accurate)"
			}
			c.Ratio = best.P99Ms / s.P99Ms
			switch {
			case s.Filter == "none":
				c.Met = s.RecallAt10 >= TargetSearchRecall && (!reached || s.P50Ms <= best.P50Ms && s.P99Ms <= best.P99Ms)
			default:
				c.Met = !reached || s.P99Ms <= best.P99Ms
			}
		}
		out = append(out, c)
	}
	for _, s := range r.Search {
		if s.Filter != "none" || s.IndexS <= 0 || !(s.N == buildCompareN && s.Dim == bDim) && peerSearchAt(r.Peers, s.N, s.Dim) == nil {
			continue
		}
		// Like for like: FAISS trains and adds vectors it holds in memory;
		// the store's Reindex trains, assigns, lays out, encodes and
		// calibrates the records it holds. Filling the store (durable log,
		// an index kept live throughout) is fill_s, in the store table.
		c := Comparison{Work: fmt.Sprintf("build the index over the stored vectors, %d × %d", s.N, s.Dim),
			Simili: fmt.Sprintf("%.1f s (train, assign, lay out, encode, calibrate)", s.IndexS), Target: "no slower than FAISS IVF train+add"}
		if ps := peerSearchAt(r.Peers, s.N, s.Dim); ps != nil {
			// The peer prints whole seconds; under one second counts as 0.5.
			peer := math.Max(ps.IVFBuildS, 0.5)
			c.Peer = fmt.Sprintf("FAISS IVF-Flat train+add: %.0f s", ps.IVFBuildS)
			c.Ratio = peer / s.IndexS
			c.Met = c.Ratio >= 1
		}
		out = append(out, c)
	}
	if r.PeakRSSMB > 0 {
		out = append(out, Comparison{Work: "simili bench: peak memory", Simili: fmt.Sprintf("%.0f MB", r.PeakRSSMB),
			Target: fmt.Sprintf("< %.0f MB", TargetPeakRSSMB), Met: r.PeakRSSMB < TargetPeakRSSMB})
	}
	if r.Seconds > 0 {
		out = append(out, Comparison{Work: "simili bench: wall time (without the peers)", Simili: fmt.Sprintf("%.1f min", r.Seconds/60),
			Target: fmt.Sprintf("< %.0f min", TargetBenchSeconds/60), Met: r.Seconds < TargetBenchSeconds})
	}
	return out
}

func peerSearchAt(p *PeersReport, n, dim int) *PeerSearchResult {
	if p == nil {
		return nil
	}
	for i := range p.Search {
		if p.Search[i].N == n && p.Search[i].Dim == dim {
			return &p.Search[i]
		}
	}
	return nil
}

// pairRow fills c from rounds run back to back with the peer: the median
// round, both sides from the same round (peers.go: IndexPair).
func pairRow(c *Comparison, pairs []IndexPair, cpus int) {
	m := medianPair(pairs)
	ratios := make([]string, len(pairs))
	for i, p := range pairs {
		ratios[i] = fmt.Sprintf("%.2fx", p.Ratio)
	}
	c.Work += fmt.Sprintf("; median of %d rounds run back to back with the peer (%s)", len(pairs), strings.Join(ratios, ", "))
	c.Simili = fmt.Sprintf("%.1f photos/s, %.3f CPU-s/photo", m.Simili.PhotosPerSec, m.Simili.CPUSecPerPhoto)
	c.Peer = fmt.Sprintf("peer_index.py (Pillow draft + ONNX Runtime, %d processes): %.1f photos/s, %.3f CPU-s/photo", cpus, m.Peer.PhotosPerSec, m.Peer.CPUSecPerPhoto)
	c.Ratio = m.Ratio
	c.Met = c.Ratio >= TargetIndexRatio && m.Simili.CPUSecPerPhoto < m.Peer.CPUSecPerPhoto
}
