package engine

import (
	"context"
	"fmt"

	"github.com/simili/simili/library/catalog"
	"github.com/simili/simili/library/facet"
	"github.com/simili/simili/search/cluster"
)

// PhotoGroup is one visual group: its photos, most representative first.
type PhotoGroup struct {
	Photos   []catalog.Photo
	Cohesion float32 // mean cosine similarity to the first photo
}

// Grouping is the result of VisualGroups.
type Grouping struct {
	Groups      []PhotoGroup // largest first; photos alike nothing else are groups of one
	NotEmbedded int          // photos passing the filter that have no embedding yet
}

// clusterOptions uses cluster's default cut (0.80), which was chosen on the
// holidays photos with SqueezeNet. ResNet50 could not be measured here; its
// pooled features spread unrelated photos at least as far apart, so the
// same cut errs on the side of purer groups.
func (e *Engine) clusterOptions() cluster.Options {
	return cluster.Options{Seed: 1}
}

// embeddedItems loads the active model's vectors of the photos passing f.
func (e *Engine) embeddedItems(ctx context.Context, f facet.Filter) ([]cluster.Item, map[int64]catalog.Photo, int, error) {
	photos := map[int64]catalog.Photo{}
	var items []cluster.Item
	err := e.cat.EachEmbedded(ctx, e.VectorModel().Name, func(ep catalog.EmbeddedPhoto) error {
		if !f.Match(ep.Photo.VectorMeta()) {
			return nil
		}
		photos[ep.Photo.ID] = ep.Photo
		items = append(items, cluster.Item{ID: ep.Photo.ID, Vec: ep.Vector})
		return ctx.Err()
	})
	if err != nil {
		return nil, nil, 0, err
	}
	total, err := e.cat.Count(ctx, f)
	if err != nil {
		return nil, nil, 0, err
	}
	return items, photos, max(total-len(items), 0), nil
}

// VisualGroups groups the photos passing f by how they look.
func (e *Engine) VisualGroups(ctx context.Context, f facet.Filter) (Grouping, error) {
	items, photos, missing, err := e.embeddedItems(ctx, f)
	if err != nil {
		return Grouping{}, err
	}
	groups, err := cluster.Groups(ctx, items, e.clusterOptions())
	if err != nil {
		return Grouping{}, fmt.Errorf("visual groups: %w", err)
	}
	out := Grouping{Groups: make([]PhotoGroup, len(groups)), NotEmbedded: missing}
	for i, g := range groups {
		pg := PhotoGroup{Photos: make([]catalog.Photo, len(g.IDs)), Cohesion: g.Cohesion}
		for j, id := range g.IDs {
			pg.Photos[j] = photos[id]
		}
		out.Groups[i] = pg
	}
	return out, nil
}

// SimilarityOrder returns the embedded photos passing f arranged so that
// look-alikes sit together, starting with the newest photo.
func (e *Engine) SimilarityOrder(ctx context.Context, f facet.Filter) ([]catalog.Photo, error) {
	items, photos, _, err := e.embeddedItems(ctx, f)
	if err != nil {
		return nil, err
	}
	// Start the chain at the newest photo, as the library view does.
	newest := 0
	for i, it := range items {
		if photos[it.ID].TakenAt.After(photos[items[newest].ID].TakenAt) {
			newest = i
		}
	}
	if len(items) > 0 {
		items[0], items[newest] = items[newest], items[0]
	}
	ids, err := cluster.Order(ctx, items, e.clusterOptions())
	if err != nil {
		return nil, fmt.Errorf("similarity order: %w", err)
	}
	out := make([]catalog.Photo, len(ids))
	for i, id := range ids {
		out[i] = photos[id]
	}
	return out, nil
}
