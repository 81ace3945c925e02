package engine

import (
	"context"
	"image"

	"github.com/simili/simili/library/catalog"
	"github.com/simili/simili/library/facet"
)

// The catalog reads that the grid, the detail pane and the CLI make. They
// go through the engine so that neither reaches the catalog itself.

// Photos lists catalogued photos passing q.Filter, newest first.
func (e *Engine) Photos(ctx context.Context, q catalog.Query) ([]catalog.Photo, error) {
	return e.cat.List(ctx, q)
}

// CountPhotos counts the catalogued photos passing f.
func (e *Engine) CountPhotos(ctx context.Context, f facet.Filter) (int, error) {
	return e.cat.Count(ctx, f)
}

// Facets lists the values of a filterable field with their photo counts.
func (e *Engine) Facets(ctx context.Context, field string) ([]catalog.Facet, error) {
	return e.cat.Facets(ctx, field)
}

// Photo returns one catalogued photo.
func (e *Engine) Photo(ctx context.Context, id int64) (catalog.Photo, error) {
	return e.cat.Photo(ctx, id)
}

// PhotoByPath returns the catalogued photo at path.
func (e *Engine) PhotoByPath(ctx context.Context, path string) (catalog.Photo, error) {
	return e.cat.PhotoByPath(ctx, path)
}

// Roots lists the library folders.
func (e *Engine) Roots(ctx context.Context) ([]string, error) { return e.cat.Roots(ctx) }

// Failures lists up to limit files and folders that could not be indexed.
func (e *Engine) Failures(ctx context.Context, limit int) ([]catalog.Failure, error) {
	return e.cat.Failures(ctx, limit)
}

// SetAside lists up to limit photos the active store refused, with why
// (limit < 0: all).
func (e *Engine) SetAside(ctx context.Context, limit int) ([]catalog.Aside, error) {
	return e.cat.AsideList(ctx, e.storeKey, e.VectorModel().Name, limit)
}

// Thumbnail loads a photo's thumbnail by content hash from the cache.
func (e *Engine) Thumbnail(hash string) (image.Image, error) { return e.thumbs.Load(hash) }

// StoreCount is how many vectors the active store holds.
func (e *Engine) StoreCount(ctx context.Context) (int, error) { return e.store.Count(ctx) }
