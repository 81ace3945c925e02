package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/simili/simili/library/catalog"
	"github.com/simili/simili/library/facet"
	"github.com/simili/simili/library/scan"
	"github.com/simili/simili/search/vector"
)

// Match is one similar photo.
type Match struct {
	Photo catalog.Photo
	Score float32 // cosine similarity, 1 = identical
}

// SimilarQuery says what to look for and where.
type SimilarQuery struct {
	K       int
	Filter  facet.Filter
	Options vector.SearchOptions
	// ExcludeID leaves one photo out (the query itself when browsing).
	ExcludeID int64
}

// queryVector returns the embedding of any image file: the stored one when
// the file is catalogued and unchanged, else a fresh model run.
func (e *Engine) queryVector(ctx context.Context, path string) ([]float32, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("query image %s: %w", path, err)
	}
	if p, err := e.cat.PhotoByPath(ctx, abs); err == nil {
		if fi, err := os.Stat(abs); err == nil && fi.Size() == p.Size && fi.ModTime().Equal(p.ModTime) {
			if v, ok, err := e.cat.Embedding(ctx, p.Hash, e.VectorModel().Name); err == nil && ok {
				return v, nil
			}
		}
	} else if !errors.Is(err, catalog.ErrNotFound) {
		return nil, err
	}
	// LoadUpright refuses FIFOs, devices and oversized files before reading
	// (imagefile.ReadFile), so nothing below can block on the file.
	img, _, err := scan.LoadUpright(abs, 0, 0, scan.PrepSide(e.spec().Size))
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err // interrupted while decoding: do not load the model
	}
	return e.embedImage(img)
}

// SimilarToFile finds photos that look like the image at path, which may be
// anywhere on disk.
func (e *Engine) SimilarToFile(ctx context.Context, path string, q SimilarQuery) ([]Match, error) {
	vec, err := e.queryVector(ctx, path)
	if err != nil {
		return nil, err
	}
	return e.similarToVector(ctx, vec, q)
}

// SimilarToPhoto finds the neighbours of a catalogued photo from its stored
// embedding, leaving the photo itself out.
func (e *Engine) SimilarToPhoto(ctx context.Context, id int64, q SimilarQuery) ([]Match, error) {
	p, err := e.cat.Photo(ctx, id)
	if err != nil {
		return nil, err
	}
	model := e.VectorModel().Name
	vec, ok, err := e.cat.Embedding(ctx, p.Hash, model)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%s has no %s embedding yet: run `simili index --model %s` on its folder (re-embed)", p.Path, model, model)
	}
	q.ExcludeID = id
	return e.similarToVector(ctx, vec, q)
}

// similarToVector searches the store and joins the hits with the catalog.
func (e *Engine) similarToVector(ctx context.Context, vec []float32, q SimilarQuery) ([]Match, error) {
	if q.K <= 0 {
		q.K = 20
	}
	n, err := e.cat.CountEmbedded(ctx, e.VectorModel().Name)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, fmt.Errorf("the library has no %s embeddings: run `simili index --model %s DIR` first", e.VectorModel().Name, e.VectorModel().Name)
	}
	k := q.K
	if q.ExcludeID != 0 {
		k++
	}
	hits, err := e.store.Search(ctx, vec, k, q.Filter, q.Options)
	if err != nil {
		return nil, fmt.Errorf("search %s: %w", e.storeKey, err)
	}
	if len(hits) == 0 && q.Filter.IsZero() {
		// The catalog has embeddings but this store none: it was added or
		// switched to after indexing. Say how to fill it instead of "no match".
		if c, err := e.store.Count(ctx); err == nil && c == 0 {
			if last, ok, err := e.cat.LastScan(ctx); err == nil && ok && last.State == "running" {
				return nil, fmt.Errorf("vector store %s holds none of the library's %d %s vectors yet: an index is running and sends them in batches; try again in a moment (or, if that index was killed, run `simili sync`)", e.storeKey, n, e.VectorModel().Name)
			}
			return nil, fmt.Errorf("vector store %s holds none of the library's %d %s vectors yet: run `simili sync` (no model runs)", e.storeKey, n, e.VectorModel().Name)
		}
	}
	out := make([]Match, 0, len(hits))
	for _, h := range hits {
		if h.ID == q.ExcludeID {
			continue
		}
		p, err := e.cat.Photo(ctx, h.ID)
		if errors.Is(err, catalog.ErrNotFound) {
			continue // deleted since the store saw it; the next sync removes it
		}
		if err != nil {
			return nil, err
		}
		if !q.Filter.IsZero() && !q.Filter.Match(p.VectorMeta()) {
			// A store may hold a value cut to its limit (Milvus: 2048
			// bytes, invalid UTF-8 replaced); the catalog's true value
			// decides.
			continue
		}
		out = append(out, Match{Photo: p, Score: h.Score})
		if len(out) == q.K {
			break
		}
	}
	return out, nil
}
