package bench

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/simili/simili/library/catalog"
	"github.com/simili/simili/library/signature"
	"github.com/simili/simili/search/duplicates"
	"github.com/simili/simili/search/engine"
)

// DuplicatesResult is `simili duplicates` (tiers identical, same, burst)
// on a generated catalog: photos with signatures and embeddings as a scan
// stores them, under paths that do not exist, so nothing can be read but
// the catalog.
type DuplicatesResult struct {
	Photos int `json:"photos"`
	// Seconds is the median of Runs calls of Engine.Duplicates, each
	// reading the catalog afresh; FirstSeconds the first of them.
	Seconds      float64 `json:"seconds"`
	FirstSeconds float64 `json:"first_seconds"`
	Runs         int     `json:"runs"`
	// CPUSeconds is the process's CPU time during the median run: on a
	// shared machine the wall time also counts other programs' turns.
	CPUSeconds float64 `json:"cpu_seconds"`
	// Groups found by tier, and what the generator planted.
	Groups  map[string]int `json:"groups"`
	Planted map[string]int `json:"planted"`
	BuildS  float64        `json:"build_s"`
}

// Duplicates builds a catalog of n generated photos in dir (512-d
// embeddings) and times Engine.Duplicates on it.
func Duplicates(ctx context.Context, dir string, n, runs int) (DuplicatesResult, error) {
	res := DuplicatesResult{Photos: n, Runs: runs}
	if err := os.RemoveAll(dir); err != nil {
		return res, err
	}
	cfg := engine.Config{DataDir: filepath.Join(dir, "data"), CacheDir: filepath.Join(dir, "cache"), Model: "squeezenet", Store: "embedded", ThumbSize: 64}
	start := time.Now()
	cat, err := catalog.Open(ctx, cfg.CatalogPath())
	if err != nil {
		return res, err
	}
	planted, err := generateLibrary(ctx, cat, n, 512, "squeezenet", 1)
	cat.Close()
	if err != nil {
		return res, err
	}
	res.Planted = planted
	res.BuildS = time.Since(start).Seconds()
	e, err := engine.Open(ctx, cfg, nil)
	if err != nil {
		return res, err
	}
	defer e.Close()
	type run struct{ wall, cpu float64 }
	var times []run
	for i := 0; i < runs; i++ {
		t0, c0 := time.Now(), cpuSeconds()
		groups, err := e.Duplicates(ctx, duplicates.Options{})
		if err != nil {
			return res, err
		}
		times = append(times, run{time.Since(t0).Seconds(), cpuSeconds() - c0})
		res.Groups = map[string]int{}
		for _, g := range groups {
			res.Groups[g.Tier.String()]++
		}
	}
	res.FirstSeconds = times[0].wall
	sort.Slice(times, func(i, j int) bool { return times[i].wall < times[j].wall })
	res.Seconds, res.CPUSeconds = times[len(times)/2].wall, times[len(times)/2].cpu
	return res, nil
}

// generateLibrary stores n photos: 60% unique pictures, and the rest
// planted as identical copies, same-picture variants (resized, no EXIF:
// hashes a few bits off, embedding close) and bursts of 3 to 6 frames one
// second apart (coarse hash close, fine hash and embedding apart), so
// every tier has work and the blocking meets realistic near misses.
func generateLibrary(ctx context.Context, cat *catalog.Catalog, n, dim int, model string, seed int64) (map[string]int, error) {
	rng := rand.New(rand.NewSource(seed))
	vecs := newClusterGen(n, dim, seed)
	cameras := [][2]string{{"Canon", "EOS 80D"}, {"NIKON", "D750"}, {"Apple", "iPhone 12"}, {"samsung", "SM-G975F"}, {"Panasonic", "DMC-FX33"}}
	base := time.Date(2012, 1, 1, 0, 0, 0, 0, time.UTC)
	planted := map[string]int{}
	type pic struct {
		photo catalog.Photo
		sig   signature.Signature
		vec   []float32
	}
	var pics []pic // unique pictures, to copy from
	var batch []catalog.BulkItem
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := cat.PutBulk(ctx, batch, 1)
		batch = batch[:0]
		return err
	}
	id := 0
	add := func(p catalog.Photo, s signature.Signature, v []float32) (catalog.Photo, error) {
		id++
		p.Path = fmt.Sprintf("/nonexistent/bench/%03d/%07d.jpg", id%1000, id)
		p.Folder = filepath.Dir(p.Path)
		p.Size = 2_000_000 + rng.Int63n(4_000_000)
		p.ModTime = base.Add(time.Duration(id) * time.Minute)
		if p.Hash == "" {
			p.Hash = fmt.Sprintf("%064x", id)
		}
		sc, pc := s, p
		batch = append(batch, catalog.BulkItem{Photo: &pc, Signature: &sc, Model: model, Vector: v})
		if len(batch) == 5000 {
			return p, flush()
		}
		return p, nil
	}
	randSig := func() signature.Signature {
		s := signature.Signature{PHash: rng.Uint64(), Centre: [2]uint64{rng.Uint64(), rng.Uint64()}, Aspect: 4.0 / 3, Sharpness: float32(50 + rng.Intn(500))}
		for i := range s.Fine {
			s.Fine[i] = rng.Uint64()
		}
		return s
	}
	flip := func(h uint64, k int) uint64 {
		for i := 0; i < k; i++ {
			h ^= 1 << uint(rng.Intn(64))
		}
		return h
	}
	near := func(v []float32, noise float64) []float32 {
		out := make([]float32, len(v))
		for i := range v {
			out[i] = v[i] + float32(rng.NormFloat64()*noise)
		}
		normalise(out)
		return out
	}
	anyTime := func() time.Time {
		return base.Add(time.Duration(rng.Int63n(int64(10 * 365 * 24 * time.Hour)))).Truncate(time.Second)
	}
	newPicture := func(t time.Time, cam [2]string) (pic, error) {
		v := make([]float32, dim)
		vecs.next(v)
		p := pic{photo: catalog.Photo{Format: "jpeg", Width: 4000, Height: 3000, TakenAt: t, TakenAtSource: "DateTimeOriginal", Make: cam[0], Model: cam[1], Orientation: 1},
			sig: randSig(), vec: v}
		var err error
		p.photo, err = add(p.photo, p.sig, p.vec)
		return p, err
	}
	for id < n {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		r := rng.Float64()
		switch {
		case r < 0.10 && len(pics) > 0: // identical copy
			o := pics[rng.Intn(len(pics))]
			if _, err := add(o.photo, o.sig, o.vec); err != nil {
				return nil, err
			}
			planted["identical"]++
		case r < 0.25 && len(pics) > 0: // same picture, re-encoded at half size without EXIF
			o := pics[rng.Intn(len(pics))]
			s := o.sig
			s.PHash = flip(s.PHash, rng.Intn(5))
			s.Centre = [2]uint64{flip(s.Centre[0], 3), flip(s.Centre[1], 3)}
			for i := range s.Fine {
				s.Fine[i] = flip(s.Fine[i], rng.Intn(3))
			}
			p := catalog.Photo{Format: "jpeg", Width: 2000, Height: 1500, TakenAt: anyTime(), TakenAtSource: "mtime", Orientation: 1}
			if _, err := add(p, s, near(o.vec, 0.004)); err != nil {
				return nil, err
			}
			planted["same"]++
		case r < 0.40: // a burst
			t := anyTime()
			first, err := newPicture(t, cameras[rng.Intn(len(cameras))])
			if err != nil {
				return nil, err
			}
			pics = append(pics, first)
			frames := 3 + rng.Intn(4)
			for f := 1; f < frames && id < n; f++ {
				s := randSig()
				s.PHash = flip(first.sig.PHash, 3+rng.Intn(6))
				p := first.photo
				p.Hash, p.TakenAt = "", t.Add(time.Duration(f)*time.Second)
				if _, err := add(p, s, near(first.vec, 0.02)); err != nil {
					return nil, err
				}
			}
			planted["burst"]++
		default:
			p, err := newPicture(anyTime(), cameras[rng.Intn(len(cameras))])
			if err != nil {
				return nil, err
			}
			pics = append(pics, p)
		}
	}
	return planted, flush()
}
