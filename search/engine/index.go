package engine

import (
	"context"
	"errors"

	"github.com/simili/simili/library/scan"
)

// IndexOptions tunes one indexing run.
type IndexOptions struct {
	Progress  func(scan.Progress)
	OnProblem func(scan.Problem)
}

// Index scans roots: catalog, thumbnails, embeddings and the vector store.
// An unreachable store does not stop the scan: Result.StoreOffline says so,
// Result.Pending counts the vectors waiting in the catalog for `simili sync`.
func (e *Engine) Index(ctx context.Context, roots []string, opt IndexOptions) (scan.Result, error) {
	if len(roots) == 0 {
		return scan.Result{}, errors.New("index: no folder given")
	}
	emb, err := e.Embedder()
	if err != nil {
		return scan.Result{}, err
	}
	return scan.Run(ctx, roots, scan.Options{
		Catalog:   e.cat,
		Thumbs:    e.thumbs,
		Embedder:  emb,
		Sync:      e.syncer(),
		Workers:   e.cfg.Workers,
		Progress:  opt.Progress,
		OnProblem: opt.OnProblem,
		Log:       e.log,
	})
}

// Sync pushes the work the store has not received; with rebuild it empties
// the store and refills it from the catalog's embeddings (no model runs).
func (e *Engine) Sync(ctx context.Context, rebuild bool, progress func(done, total int)) (int, error) {
	sy := e.syncer()
	if rebuild {
		return sy.Rebuild(ctx, progress)
	}
	if _, err := sy.Reconcile(ctx); err != nil {
		return 0, err
	}
	if err := sy.Offline(); err != nil {
		return 0, err
	}
	return sy.Push(ctx, progress)
}

// Pending returns how many photos the active store has not received.
func (e *Engine) Pending(ctx context.Context) (int, error) {
	return e.cat.PendingCount(ctx, e.storeKey, e.VectorModel().Name)
}
