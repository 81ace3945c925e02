package engine

import (
	"context"
	"fmt"

	"github.com/simili/simili/library/catalog"
	"github.com/simili/simili/library/signature"
	"github.com/simili/simili/search/duplicates"
	"github.com/simili/simili/search/vector"
)

// Duplicates finds the library's copies, grouped by tier with a reason for
// every match and a suggested keeper. It reads the catalog (content hashes,
// EXIF, signatures, embeddings) and, for look-alikes only, the vector
// store; no photo file is read.
func (e *Engine) Duplicates(ctx context.Context, opt duplicates.Options) ([]duplicates.Group, error) {
	// The two reads are independent: run them side by side.
	var (
		sigs    map[string]signature.Signature
		sigsErr error
		done    = make(chan struct{})
	)
	go func() {
		defer close(done)
		sigs, sigsErr = e.cat.Signatures(ctx)
	}()
	photos, err := e.cat.List(ctx, catalog.Query{})
	<-done
	if err != nil {
		return nil, err
	}
	if sigsErr != nil {
		return nil, sigsErr
	}
	model := e.VectorModel().Name
	lib := duplicates.Library{
		Photos:     photos,
		Signatures: sigs,
		Embeddings: func(ctx context.Context, hashes []string) (map[string][]float32, error) {
			return e.cat.EmbeddingsOf(ctx, model, hashes)
		},
		Neighbours: func(ctx context.Context, vec []float32, k int) ([]duplicates.Neighbour, error) {
			hits, err := e.store.Search(ctx, vec, k, SimilarQuery{}.Filter, vector.SearchOptions{})
			if err != nil {
				return nil, fmt.Errorf("search %s: %w", e.storeKey, err)
			}
			out := make([]duplicates.Neighbour, len(hits))
			for i, h := range hits {
				out[i] = duplicates.Neighbour{ID: h.ID, Score: h.Score}
			}
			return out, nil
		},
	}
	groups, err := duplicates.Find(ctx, lib, opt)
	if err != nil {
		return nil, fmt.Errorf("duplicates: %w", err)
	}
	return groups, nil
}
