package engine

import (
	"context"
	"fmt"

	"github.com/simili/simili/library/catalog"
	"github.com/simili/simili/library/facet"
)

// RemoveFolder forgets a library folder and takes its photos out of the
// catalog, the vector store and the thumbnail cache, unless another library
// folder still covers them. The files themselves are never touched.
func (e *Engine) RemoveFolder(ctx context.Context, root string) (int, error) {
	if err := e.cat.RemoveRoot(ctx, root); err != nil {
		return 0, err
	}
	roots, err := e.cat.Roots(ctx)
	if err != nil {
		return 0, err
	}
	photos, err := e.cat.List(ctx, catalog.Query{Filter: facet.Filter{Folder: root}})
	if err != nil {
		return 0, err
	}
	var ids []int64
	var gone []catalog.Photo
outer:
	for _, p := range photos {
		for _, r := range roots {
			if facet.InFolder(p.Folder, r) {
				continue outer
			}
		}
		ids = append(ids, p.ID)
		gone = append(gone, p)
	}
	if len(ids) == 0 {
		return 0, nil
	}
	if err := e.cat.DeletePhotos(ctx, ids); err != nil {
		return 0, err
	}
	// An unreachable store keeps the deletions pending for the next sync.
	if err := e.syncer().Delete(ctx, ids); err != nil && !isUnavailable(err) {
		return len(ids), fmt.Errorf("remove %s from the vector store: %w", root, err)
	}
	for _, p := range gone {
		if others, err := e.cat.PhotosByHash(ctx, p.Hash); err == nil && len(others) == 0 {
			if err := e.thumbs.Remove(p.Hash); err != nil {
				e.log.Warn("could not remove thumbnail", "hash", p.Hash, "err", err)
			}
		}
	}
	return len(ids), nil
}
