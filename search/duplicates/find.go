package duplicates

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"time"

	"github.com/simili/simili/library/catalog"
	"github.com/simili/simili/library/signature"
)

// Library is what Find reads: the catalog's photos and content signatures,
// the stored embeddings and, for look-alikes, the vector index. Nothing in
// it reads a photo file.
type Library struct {
	Photos     []catalog.Photo
	Signatures map[string]signature.Signature // by content hash
	// Embeddings returns the stored vectors of the given contents, by
	// hash; contents without one (not embedded yet) are left out. Nil: no
	// embeddings.
	Embeddings func(ctx context.Context, hashes []string) (map[string][]float32, error)
	// Neighbours returns the k nearest photos to vec in the vector index,
	// best first. Needed only for the Similar tier.
	Neighbours func(ctx context.Context, vec []float32, k int) ([]Neighbour, error)
}

// Neighbour is one vector-index hit.
type Neighbour struct {
	ID    int64   // catalog photo id
	Score float32 // cosine similarity
}

// ErrNoIndex means look-alikes were asked for without a vector index.
var ErrNoIndex = errors.New("look-alikes need the vector index")

// Find groups the library's copies into tiers. Each tier works on the
// keepers of the stronger tiers (identical files collapse into their
// keeper before same-picture matching, and so on), so every photo is a
// non-keeper in at most one group, and removing every non-keeper still
// leaves one photo of everything.
func Find(ctx context.Context, lib Library, opt Options) ([]Group, error) {
	return find(ctx, lib, opt, defaultParams)
}

// params are the decision thresholds, calibrated on the holidays photos
// (see holidays_test.go).
type params struct {
	// Same picture: the pHash distance (whole picture against whole or
	// centre crop) below which no other evidence is needed, and the one
	// below which the embedding cosine must reach sameCosine.
	sureDistance, maxDistance int
	sameCosine                float32
	// sureCosine lets a pair through on cosine alone when the pHash is at
	// most cropDistance away (a crop moves the hash more).
	sureCosine   float32
	cropDistance int
	// maxAspect bounds the ratio of the two aspect ratios: a crop of up to
	// 10% per side changes it by at most 1/0.8.
	maxAspect float64
	// timeSlack is how far two EXIF capture times may differ and still be
	// one shot (sub-second rounding, an editor rewriting the tag).
	timeSlack time.Duration
	// burstGap chains shots of one camera this close in time.
	burstGap time.Duration
	// fineMax is the largest fine-hash distance (of 256) between two
	// pictures of the same framing that are one photograph.
	fineMax int
	// fineSure is the fine-hash distance at which a pair of the same
	// framing needs no embedding to be called one photograph.
	fineSure int
	// probeRadius is the Hamming radius probed in each 16-bit band.
	probeRadius int
	// neighbours is k of the look-alike search.
	neighbours int
}

var defaultParams = params{
	sureDistance: 8, maxDistance: 12, sameCosine: 0.90,
	sureCosine: 0.95, cropDistance: 16,
	maxAspect: 1.0 / 0.8, timeSlack: time.Second, burstGap: 3 * time.Second,
	fineMax: 40, fineSure: 12, probeRadius: 1, neighbours: 16,
}

// content is one distinct file content (one hash) and, as tiers collapse,
// the group it now stands for.
type content struct {
	photos []int // indexes into Library.Photos, keeper first after tier 1
	sig    signature.Signature
	hasSig bool
	vec    []float32
	vecOK  bool // vec loaded (it may still be nil)
}

type finder struct {
	ctx   context.Context
	lib   Library
	p     params
	opt   Options
	items []content
	byID  map[int64]int // photo id -> content
	// mergedInto records, for a content collapsed into another's group,
	// the content that stands for it now.
	mergedInto map[int]int
	groups     []Group
}

func find(ctx context.Context, lib Library, opt Options, p params) ([]Group, error) {
	if opt.Threshold == 0 {
		opt.Threshold = DefaultThreshold
	}
	if opt.Threshold < 0 || opt.Threshold > 1 {
		return nil, fmt.Errorf("look-alike threshold %v is outside (0, 1]", opt.Threshold)
	}
	want := map[Tier]bool{}
	for _, t := range opt.Tiers {
		if t < Identical || t > Similar {
			return nil, fmt.Errorf("unknown tier %d", t)
		}
		want[t] = true
	}
	if len(want) == 0 {
		want = map[Tier]bool{Identical: true, Same: true, Burst: true}
	}
	if want[Similar] && lib.Neighbours == nil {
		return nil, ErrNoIndex
	}
	f := &finder{ctx: ctx, lib: lib, p: p, opt: opt, byID: map[int64]int{}, mergedInto: map[int]int{}}
	f.identical(want[Identical])
	maxTier := Identical
	for t := range want {
		maxTier = max(maxTier, t)
	}
	steps := []struct {
		tier Tier
		run  func() ([]edge, error)
	}{{Same, f.samePairs}, {Burst, f.burstPairs}, {Similar, f.similarPairs}}
	for _, s := range steps {
		if s.tier > maxTier {
			break
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		edges, err := s.run()
		if err != nil {
			return nil, err
		}
		f.collapse(s.tier, edges, want[s.tier])
	}
	sort.SliceStable(f.groups, func(i, j int) bool {
		a, b := f.groups[i], f.groups[j]
		if a.Tier != b.Tier {
			return a.Tier < b.Tier
		}
		return a.Members[0].Photo.Path < b.Members[0].Photo.Path
	})
	return f.groups, nil
}

// edge links two contents at one tier with the evidence for it; a lower
// rank is stronger evidence.
type edge struct {
	a, b   int
	rank   float64
	reason string
}

// otherFrames reports whether any content of one set is another frame of
// any content of the other.
func (f *finder) otherFrames(as, bs []int) bool {
	for _, a := range as {
		for _, b := range bs {
			if f.p.otherFrame(f.hashEvidence(a, b)) {
				return true
			}
		}
	}
	return false
}

// shotSpan is what a set of contents says about the shot they show: the
// range of their EXIF capture times and their camera.
type shotSpan struct {
	hasTime     bool
	first, last time.Time
	camera      string
}

func (f *finder) shotOf(c int) shotSpan {
	p := f.rep(c)
	s := shotSpan{camera: camera(p)}
	if t, ok := exifTime(p); ok {
		s.hasTime, s.first, s.last = true, t, t
	}
	return s
}

// merge combines two spans; ok is false when they are two shots.
func (s shotSpan) merge(o shotSpan, slack time.Duration) (shotSpan, bool) {
	if s.camera != "" && o.camera != "" && s.camera != o.camera {
		return s, false
	}
	if s.camera == "" {
		s.camera = o.camera
	}
	if !o.hasTime {
		return s, true
	}
	if !s.hasTime {
		s.hasTime, s.first, s.last = true, o.first, o.last
		return s, true
	}
	if o.first.Before(s.first) {
		s.first = o.first
	}
	if o.last.After(s.last) {
		s.last = o.last
	}
	return s, s.last.Sub(s.first) <= slack
}

// identical makes one content per hash; photos sharing it are tier 1.
func (f *finder) identical(report bool) {
	byHash := map[string]int{}
	for i, p := range f.lib.Photos {
		c, ok := byHash[p.Hash]
		if !ok {
			c = len(f.items)
			byHash[p.Hash] = c
			sig, has := f.lib.Signatures[p.Hash]
			f.items = append(f.items, content{sig: sig, hasSig: has})
		}
		f.items[c].photos = append(f.items[c].photos, i)
		f.byID[p.ID] = c
	}
	for ci := range f.items {
		c := &f.items[ci]
		if len(c.photos) < 2 {
			continue
		}
		f.orderByKeeper(c.photos)
		if !report {
			continue
		}
		g := Group{Tier: Identical, KeeperReason: f.keeperReason(c.photos)}
		keeper := f.lib.Photos[c.photos[0]]
		for k, pi := range c.photos {
			m := Member{Photo: f.lib.Photos[pi], Keeper: k == 0}
			if k > 0 {
				m.Reason = "same bytes as " + filepath.Base(keeper.Path) + " (identical SHA-256)"
			}
			g.Members = append(g.Members, m)
		}
		f.groups = append(f.groups, g)
	}
}

// rep is the photo a content stands for now: its current keeper.
func (f *finder) rep(c int) catalog.Photo { return f.lib.Photos[f.items[c].photos[0]] }

// collapse unites contents along edges; each resulting set becomes one
// group (when reported) and one content standing for it in weaker tiers.
func (f *finder) collapse(tier Tier, edges []edge, report bool) {
	if len(edges) == 0 {
		return
	}
	// Strongest evidence first, so that when a constraint refuses a merge
	// it refuses the weaker link.
	sort.SliceStable(edges, func(i, j int) bool { return edges[i].rank < edges[j].rank })
	parent := map[int]int{}
	shots := map[int]shotSpan{} // by root, for tiers that require one shot
	members := map[int][]int{}  // by root
	for _, e := range edges {
		for _, x := range []int{e.a, e.b} {
			if _, ok := parent[x]; !ok {
				parent[x] = x
				shots[x] = f.shotOf(x)
				members[x] = []int{x}
			}
		}
	}
	var findRoot func(int) int
	findRoot = func(x int) int {
		p := parent[x]
		if p == x {
			return x
		}
		r := findRoot(p)
		parent[x] = r
		return r
	}
	adj := map[int][]edge{}
	for _, e := range edges {
		ra, rb := findRoot(e.a), findRoot(e.b)
		if ra == rb {
			continue
		}
		if tier == Same {
			// All copies of one photograph were taken at one instant by
			// one camera, and two of the same framing share their fine
			// detail: a chain of matches must not join two shots.
			merged, ok := shots[ra].merge(shots[rb], f.p.timeSlack)
			if !ok || f.otherFrames(members[ra], members[rb]) {
				continue
			}
			shots[rb] = merged
		}
		parent[ra] = rb
		members[rb] = append(members[rb], members[ra]...)
		delete(members, ra)
		adj[e.a] = append(adj[e.a], e)
		adj[e.b] = append(adj[e.b], edge{a: e.b, b: e.a, reason: e.reason})
	}
	sets := map[int][]int{}
	for x := range parent {
		r := findRoot(x)
		sets[r] = append(sets[r], x)
	}
	for r, members := range sets {
		if len(members) < 2 {
			delete(sets, r)
		}
	}
	roots := make([]int, 0, len(sets))
	for r := range sets {
		roots = append(roots, r)
	}
	sort.Ints(roots) // deterministic output
	for _, r := range roots {
		members := sets[r]
		sort.Ints(members)
		// Order the contents by their keepers' merit.
		reps := make([]int, len(members))
		at := map[int]int{} // photo index -> content
		for i, c := range members {
			reps[i] = f.items[c].photos[0]
			at[reps[i]] = c
		}
		f.orderByKeeper(reps)
		keeper := at[reps[0]]
		if report {
			f.groups = append(f.groups, f.groupOf(tier, keeper, reps, at, adj))
		}
		// The keeper content now stands for the whole set.
		k := &f.items[keeper]
		for _, c := range members {
			if c != keeper {
				k.photos = append(k.photos, f.items[c].photos...)
				f.items[c].photos = nil // merged: no longer a node
				f.mergedInto[c] = keeper
			}
		}
	}
}

// groupOf builds a reported group: the keeper, then each member with the
// evidence of the edge that reached it from the keeper (breadth first).
func (f *finder) groupOf(tier Tier, keeper int, reps []int, at map[int]int, adj map[int][]edge) Group {
	g := Group{Tier: tier, KeeperReason: f.keeperReason(reps)}
	reason := map[int]string{keeper: ""}
	queue := []int{keeper}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		for _, e := range adj[c] {
			if _, seen := reason[e.b]; seen {
				continue
			}
			reason[e.b] = e.reason + " (with " + filepath.Base(f.rep(c).Path) + ")"
			queue = append(queue, e.b)
		}
	}
	for i, pi := range reps {
		g.Members = append(g.Members, Member{Photo: f.lib.Photos[pi], Keeper: i == 0, Reason: reason[at[pi]]})
	}
	return g
}

// live lists the contents that are still nodes.
func (f *finder) live() []int {
	out := make([]int, 0, len(f.items))
	for c := range f.items {
		if f.items[c].photos != nil {
			out = append(out, c)
		}
	}
	return out
}

// preload reads the embeddings of the contents not read yet, in bulk.
func (f *finder) preload(cs []int) error {
	if f.lib.Embeddings == nil {
		return nil
	}
	var hashes []string
	want := map[string][]int{}
	for _, c := range cs {
		it := &f.items[c]
		if it.vecOK {
			continue
		}
		h := f.rep(c).Hash
		if _, dup := want[h]; !dup {
			hashes = append(hashes, h)
		}
		want[h] = append(want[h], c)
	}
	if len(hashes) == 0 {
		return nil
	}
	vecs, err := f.lib.Embeddings(f.ctx, hashes)
	if err != nil {
		return err
	}
	for h, cs := range want {
		for _, c := range cs {
			f.items[c].vec, f.items[c].vecOK = vecs[h], true
		}
	}
	return nil
}

func cosine(a, b []float32) float32 {
	if len(a) != len(b) || len(a) == 0 {
		return float32(math.NaN())
	}
	var s float32
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// exifTime returns the capture time when EXIF gave it (not the file's
// modification time).
func exifTime(p catalog.Photo) (time.Time, bool) {
	return p.TakenAt, !p.TakenAt.IsZero() && p.TakenAtSource != "" && p.TakenAtSource != "mtime"
}

func camera(p catalog.Photo) string {
	if p.Make == "" && p.Model == "" {
		return ""
	}
	return p.Make + "\x00" + p.Model
}
