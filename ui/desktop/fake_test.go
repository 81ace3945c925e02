package desktop

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/simili/simili/library/catalog"
	"github.com/simili/simili/library/facet"
	"github.com/simili/simili/library/scan"
	"github.com/simili/simili/search/embed"
	"github.com/simili/simili/search/engine"
)

// fakeBackend is a generated library in memory: the window's tests and
// the 100,000-photo benchmark run against it without a model or a disk.
type fakeBackend struct {
	photos []catalog.Photo // newest first, like catalog.List

	mu          sync.Mutex
	lastFilter  facet.Filter
	lists       int
	searches    []string // "file:PATH" or "photo:ID"
	searchDelay time.Duration
	quantized   []string // base models QuantizeModel was asked for
}

var fakeCameras = []string{"DMC-FX33", "Canon PowerShot A60", "C-50Z"}

func newFakeBackend(n int) *fakeBackend {
	b := &fakeBackend{photos: make([]catalog.Photo, n)}
	start := time.Date(2008, 12, 31, 12, 0, 0, 0, time.UTC)
	for i := range b.photos {
		folder := fmt.Sprintf("/photos/%04d", 2008-i%5)
		b.photos[i] = catalog.Photo{
			ID:      int64(i + 1),
			Path:    fmt.Sprintf("%s/IMG_%06d.jpg", folder, i),
			Folder:  folder,
			Hash:    fmt.Sprintf("%064x", i+1),
			Format:  "jpeg",
			Width:   1024,
			Height:  768,
			TakenAt: start.Add(-time.Duration(i) * time.Hour),
			Make:    "Maker",
			Model:   fakeCameras[i%len(fakeCameras)],
			Size:    200_000,
		}
	}
	return b
}

func (b *fakeBackend) filtered(f facet.Filter) []catalog.Photo {
	if f.IsZero() {
		return b.photos
	}
	var out []catalog.Photo
	for _, p := range b.photos {
		if f.Match(p.VectorMeta()) {
			out = append(out, p)
		}
	}
	return out
}

func (b *fakeBackend) Count(_ context.Context, f facet.Filter) (int, error) {
	b.mu.Lock()
	b.lastFilter = f
	b.mu.Unlock()
	return len(b.filtered(f)), nil
}

func (b *fakeBackend) List(_ context.Context, q catalog.Query) ([]catalog.Photo, error) {
	b.mu.Lock()
	b.lists++
	b.mu.Unlock()
	all := b.filtered(q.Filter)
	lo := min(q.Offset, len(all))
	hi := len(all)
	if q.Limit > 0 {
		hi = min(lo+q.Limit, len(all))
	}
	return append([]catalog.Photo(nil), all[lo:hi]...), nil
}

func (b *fakeBackend) Facets(_ context.Context, field string) ([]catalog.Facet, error) {
	counts := map[string]int{}
	for _, p := range b.photos {
		switch field {
		case "model":
			counts[p.Model]++
		case "folder":
			counts[p.Folder]++
		}
	}
	var out []catalog.Facet
	for v, n := range counts {
		out = append(out, catalog.Facet{Value: v, Count: n})
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Count > out[j].Count || out[i].Count == out[j].Count && out[i].Value < out[j].Value
	})
	return out, nil
}

func (b *fakeBackend) Photo(_ context.Context, id int64) (catalog.Photo, error) {
	if id < 1 || int(id) > len(b.photos) {
		return catalog.Photo{}, catalog.ErrNotFound
	}
	return b.photos[id-1], nil
}

func (b *fakeBackend) PhotoByPath(_ context.Context, path string) (catalog.Photo, error) {
	for _, p := range b.photos {
		if p.Path == path {
			return p, nil
		}
	}
	return catalog.Photo{}, catalog.ErrNotFound
}

// Thumb draws a small flat image whose colour depends on the hash.
func (b *fakeBackend) Thumb(hash string) (image.Image, error) {
	img := image.NewRGBA(image.Rect(0, 0, 32, 24))
	c := color.RGBA{hash[60] * 3, hash[61] * 5, hash[63] * 7, 255}
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, 255
	}
	return img, nil
}

func (b *fakeBackend) Preview(_ context.Context, path string, _ int) (image.Image, error) {
	return image.NewRGBA(image.Rect(0, 0, 64, 48)), nil
}

// matches returns every third photo passing the filter, scores falling.
func (b *fakeBackend) matches(q engine.SimilarQuery, exclude int64) []engine.Match {
	var out []engine.Match
	for i, p := range b.filtered(q.Filter) {
		if len(out) == q.K {
			break
		}
		if p.ID == exclude || i%3 != 0 {
			continue
		}
		out = append(out, engine.Match{Photo: p, Score: 0.99 - 0.01*float32(len(out))})
	}
	return out
}

func (b *fakeBackend) SimilarToFile(ctx context.Context, path string, q engine.SimilarQuery) ([]engine.Match, error) {
	b.mu.Lock()
	b.searches = append(b.searches, "file:"+filepath.Base(path))
	delay := b.searchDelay
	b.mu.Unlock()
	time.Sleep(delay)
	return b.matches(q, 0), nil
}

func (b *fakeBackend) SimilarToPhoto(ctx context.Context, id int64, q engine.SimilarQuery) ([]engine.Match, error) {
	b.mu.Lock()
	b.searches = append(b.searches, fmt.Sprintf("photo:%d", id))
	b.mu.Unlock()
	return b.matches(q, id), nil
}

func (b *fakeBackend) VisualGroups(_ context.Context, f facet.Filter) (engine.Grouping, error) {
	var g engine.Grouping
	ps := b.filtered(f)
	for i := 0; i < len(ps) && i < 60; i += 6 {
		g.Groups = append(g.Groups, engine.PhotoGroup{Photos: ps[i:min(i+6, len(ps))], Cohesion: 0.8})
	}
	return g, nil
}

func (b *fakeBackend) SimilarityOrder(_ context.Context, f facet.Filter) ([]catalog.Photo, error) {
	return b.filtered(f), nil
}

// Index reports some progress and a failed file, then runs until cancelled.
func (b *fakeBackend) Index(ctx context.Context, roots []string, progress func(scan.Progress), problem func(scan.Problem)) (scan.Result, error) {
	if len(roots) == 0 {
		return scan.Result{}, errors.New("no folder")
	}
	pr := scan.Progress{Found: 100, Processed: 40, Unchanged: 5, Skipped: 2, Failed: 1, Rate: 12.5, ETA: 4 * time.Second}
	progress(pr)
	problem(scan.Problem{Path: roots[0] + "/broken.jpg", Failed: true, Reason: "decode", Err: errors.New("unexpected EOF")})
	<-ctx.Done()
	return scan.Result{Progress: pr, Cancelled: true}, nil
}

func (b *fakeBackend) Roots(context.Context) ([]string, error)           { return []string{"/photos"}, nil }
func (b *fakeBackend) RemoveFolder(context.Context, string) (int, error) { return 0, nil }
func (b *fakeBackend) Config() engine.Config {
	return engine.Config{Model: "squeezenet", Store: "embedded"}
}
func (b *fakeBackend) SaveConfig(engine.Config) error                               { return nil }
func (b *fakeBackend) TestStore(context.Context, string) error                      { return nil }
func (b *fakeBackend) RuntimeStatus() error                                         { return nil }
func (b *fakeBackend) FetchModel(context.Context, string, func(int64, int64)) error { return nil }

// QuantizeModel pretends to make base's int8 variant from the library's
// folders (dirs must be nil, as Settings passes).
func (b *fakeBackend) QuantizeModel(_ context.Context, base string, dirs []string, photos int, progress func(int, int)) (string, embed.Fidelity, error) {
	if dirs != nil || photos != engine.QuantizePhotos {
		return "", embed.Fidelity{}, fmt.Errorf("fake: unexpected dirs %v, photos %d", dirs, photos)
	}
	progress(photos/2, photos)
	progress(photos, photos)
	b.mu.Lock()
	b.quantized = append(b.quantized, base)
	b.mu.Unlock()
	return "/cache/" + base + "-int8.onnx", embed.Fidelity{Photos: 16, MeanCosine: 0.995, MinCosine: 0.98}, nil
}

// ModelStatus: float models are installed; an int8 variant once made.
func (b *fakeBackend) ModelStatus(name string) (engine.ModelStatus, error) {
	base, isInt8 := strings.CutSuffix(name, "-int8")
	if !isInt8 {
		return engine.ModelStatus{Name: name, Installed: true}, nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return engine.ModelStatus{Name: name, Base: base, Installed: slices.Contains(b.quantized, base)}, nil
}

func (b *fakeBackend) Stats(context.Context) (engine.Stats, error) {
	return engine.Stats{Photos: len(b.photos), Embedded: len(b.photos), Model: "squeezenet", Store: "embedded", StoreCount: len(b.photos)}, nil
}
