package desktop

import (
	"context"
	"image"

	"github.com/simili/simili/library/catalog"
	"github.com/simili/simili/library/facet"
	"github.com/simili/simili/library/scan"
	"github.com/simili/simili/search/embed"
	"github.com/simili/simili/search/engine"
)

// Backend is everything the window asks of the library and search side: a
// narrow bridge, so the widgets hold no business logic and tests can run the
// window against a generated library.
type Backend interface {
	Count(ctx context.Context, f facet.Filter) (int, error)
	List(ctx context.Context, q catalog.Query) ([]catalog.Photo, error)
	Facets(ctx context.Context, field string) ([]catalog.Facet, error)
	Photo(ctx context.Context, id int64) (catalog.Photo, error)
	PhotoByPath(ctx context.Context, path string) (catalog.Photo, error)
	Thumb(hash string) (image.Image, error)
	Preview(ctx context.Context, path string, maxSide int) (image.Image, error)

	SimilarToFile(ctx context.Context, path string, q engine.SimilarQuery) ([]engine.Match, error)
	SimilarToPhoto(ctx context.Context, id int64, q engine.SimilarQuery) ([]engine.Match, error)
	VisualGroups(ctx context.Context, f facet.Filter) (engine.Grouping, error)
	SimilarityOrder(ctx context.Context, f facet.Filter) ([]catalog.Photo, error)

	Index(ctx context.Context, roots []string, progress func(scan.Progress), problem func(scan.Problem)) (scan.Result, error)
	Roots(ctx context.Context) ([]string, error)
	RemoveFolder(ctx context.Context, path string) (int, error)
	Stats(ctx context.Context) (engine.Stats, error)

	Config() engine.Config
	SaveConfig(cfg engine.Config) error
	TestStore(ctx context.Context, store string) error
	ModelStatus(name string) (engine.ModelStatus, error)
	FetchModel(ctx context.Context, name string, progress func(done, total int64)) error
	QuantizeModel(ctx context.Context, base string, dirs []string, photos int, progress func(done, total int)) (string, embed.Fidelity, error)
	RuntimeStatus() error
	// Watch follows the library folders until ctx ends (watch.go).
	Watch(ctx context.Context, roots []string, opt engine.WatchOptions) error

	duplicatesBackend // duplicates.go
}

// engineBackend adapts the engine to Backend.
type engineBackend struct{ *engine.Engine }

// NewBackend wraps an opened engine for the window.
func NewBackend(e *engine.Engine) Backend { return engineBackend{e} }

func (b engineBackend) Count(ctx context.Context, f facet.Filter) (int, error) {
	return b.CountPhotos(ctx, f)
}

func (b engineBackend) List(ctx context.Context, q catalog.Query) ([]catalog.Photo, error) {
	return b.Photos(ctx, q)
}

func (b engineBackend) Thumb(hash string) (image.Image, error) { return b.Thumbnail(hash) }

func (b engineBackend) Index(ctx context.Context, roots []string, progress func(scan.Progress), problem func(scan.Problem)) (scan.Result, error) {
	return b.Engine.Index(ctx, roots, engine.IndexOptions{Progress: progress, OnProblem: problem})
}

func (b engineBackend) SaveConfig(cfg engine.Config) error { return engine.Save(cfg) }

// TestStore asks whether a store answers: the active one directly, another
// one through a throw-away engine on the same library.
func (b engineBackend) TestStore(ctx context.Context, store string) error {
	cfg := b.Engine.Config()
	if store == cfg.Store || (store == "embedded" && cfg.Store == "") {
		return b.StoreStatus(ctx)
	}
	cfg.Store = store
	e, err := engine.Open(ctx, cfg, nil)
	if err != nil {
		return err
	}
	defer e.Close()
	return e.StoreStatus(ctx)
}

func (b engineBackend) RuntimeStatus() error { return engine.RuntimeStatus() }
