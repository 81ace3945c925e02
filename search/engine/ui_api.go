package engine

// This file holds what the desktop window needs beyond the CLI's surface:
// visual groups, similarity order, previews and model management. It keeps
// the window free of library and search logic.

import (
	"context"
	"fmt"
	"image"
	"os"
	"path/filepath"

	"github.com/disintegration/imaging"

	"github.com/simili/simili/library/catalog"
	"github.com/simili/simili/library/facet"
	"github.com/simili/simili/library/scan"
	"github.com/simili/simili/search/cluster"
	"github.com/simili/simili/search/embed"
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
		if !MatchesFilter(ep.Photo, f) {
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

// MatchesFilter applies f to a photo with the stores' reference semantics
// (facet.Filter.Match), which the catalog's queries mirror.
func MatchesFilter(p catalog.Photo, f facet.Filter) bool { return f.Match(p.VectorMeta()) }

// Preview reads a photo upright (EXIF orientation applied) and scales it to
// fit maxSide, for the detail pane. The original is opened read-only.
func (e *Engine) Preview(ctx context.Context, path string, maxSide int) (image.Image, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	img, _, err := scan.LoadUpright(path, 0, 0, 0)
	if err != nil {
		return nil, fmt.Errorf("preview: %w", err)
	}
	if b := img.Bounds(); maxSide > 0 && (b.Dx() > maxSide || b.Dy() > maxSide) {
		img = imaging.Fit(img, maxSide, maxSide, imaging.Linear)
	}
	return img, nil
}

// ModelStatus says whether a built-in model can be used right now.
type ModelStatus struct {
	Name      string
	Installed bool
	Path      string // the file that would be loaded
	CanFetch  bool   // a download URL is known
	Base      string // for an int8 variant: the float model QuantizeModel makes it from
	// UsingInstead names the installed model the engine uses meanwhile,
	// when this is the configured model and it is not installed.
	UsingInstead string
}

// ModelStatus reports on the named model (the active one when name is "").
func (e *Engine) ModelStatus(name string) (ModelStatus, error) {
	if name == "" {
		name = e.cfg.Model
	}
	spec, err := embed.Builtin(name)
	if err != nil {
		return ModelStatus{}, err
	}
	st := ModelStatus{Name: name, Path: filepath.Join(e.cfg.ModelDir(), spec.File), CanFetch: spec.URL != "", Base: spec.Base}
	if name == e.cfg.Model && e.cfg.ModelFile != "" {
		st.Path = e.cfg.ModelFile
	}
	_, err = os.Stat(st.Path)
	st.Installed = err == nil
	if name == e.model.Configured && e.model.FellBack() {
		st.UsingInstead = e.model.Active
	}
	return st, nil
}

// FetchModel downloads a built-in model into the cache (verified).
func (e *Engine) FetchModel(ctx context.Context, name string, progress func(done, total int64)) error {
	spec, err := embed.Builtin(name)
	if err != nil {
		return err
	}
	_, err = embed.Fetch(ctx, spec, e.cfg.ModelDir(), progress)
	return err
}

// RuntimeStatus says whether ONNX Runtime can be found, and what to do if not.
func RuntimeStatus() error {
	_, err := embed.FindRuntime()
	return err
}

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
