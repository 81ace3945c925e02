package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/simili/simili/library/scan"
	"github.com/simili/simili/search/embed"
	"github.com/simili/simili/search/vector"
)

// IndexOptions tunes one indexing run.
type IndexOptions struct {
	Progress  func(scan.Progress)
	OnProblem func(scan.Problem)
}

// Index scans roots: catalog, thumbnails, embeddings and the vector store.
// An unreachable store does not stop the scan: Result.StoreOffline says so,
// Result.Pending counts the vectors waiting in the catalog for `simili sync`
// or the next Index that reaches the store, which sends them.
func (e *Engine) Index(ctx context.Context, roots []string, opt IndexOptions) (scan.Result, error) {
	if len(roots) == 0 {
		return scan.Result{}, errors.New("index: no folder given")
	}
	// The folder watcher's batches wait for this scan, and it for them.
	if err := e.scans.lock(ctx); err != nil {
		return scan.Result{Cancelled: true}, err
	}
	defer e.scans.unlock()
	sy := e.syncer()
	so := scan.Options{
		Catalog:   e.cat,
		Thumbs:    e.thumbs,
		Sync:      sy,
		Workers:   e.cfg.Workers,
		Progress:  opt.Progress,
		OnProblem: opt.OnProblem,
		Log:       e.log,
	}
	// Without the model file the library is still catalogued and
	// thumbnailed, so the app has something to show; the next run with the
	// model embeds exactly what is missing.
	emb, modelErr := e.loadedModel()
	switch {
	case modelErr == nil:
		so.Embedder = emb
	case !errors.Is(modelErr, embed.ErrModelMissing):
		return scan.Result{}, modelErr
	}
	// A store that refuses this process (the embedded store is open in
	// another one) refuses the scan before it is recorded; only an
	// unreachable server lets the scan go on with the work kept pending.
	if err := e.store.Connected(ctx); err != nil && !isUnavailable(err) {
		return scan.Result{}, fmt.Errorf("index: %w", err)
	}
	res, err := scan.Run(ctx, roots, so)
	if err == nil && res.StoreOffline == nil && res.Pending > 0 && !res.Cancelled {
		// Work an earlier run left pending (the store was away) goes now,
		// without waiting for `simili sync`.
		if _, perr := sy.Push(ctx, nil); perr != nil {
			if !errors.Is(perr, vector.ErrUnavailable) {
				return res, perr
			}
			res.StoreOffline = perr
		}
		if n, perr := sy.Pending(ctx); perr == nil {
			res.Pending = n
		}
	}
	if err == nil && !res.Cancelled && res.StoreOffline == nil {
		e.optimizeStore(ctx)
	}
	if err == nil && modelErr != nil {
		err = fmt.Errorf("%d photos catalogued without embeddings: %w", res.Processed+res.Unchanged, modelErr)
	}
	return res, err
}

// optimizeStore brings the store's index up to date once a scan or sync
// has written to it: a bulk load otherwise leaves the embedded store's
// index trained on as few as half the records, and searches probing twice
// the lists (vector.Optimizer). A failure costs only search speed, so it
// is logged, not returned.
func (e *Engine) optimizeStore(ctx context.Context) {
	start := time.Now()
	if err := e.store.Optimize(ctx); err != nil {
		if ctx.Err() == nil {
			e.log.Warn("vector index not brought up to date; searches stay correct but slower", "err", err)
		}
		return
	}
	if took := time.Since(start); took > time.Second {
		e.log.Info("vector index brought up to date", "took", took.Round(time.Millisecond))
	}
}

// Sync pushes the work the store has not received; with rebuild it empties
// the store and refills it from the catalog's embeddings (no model runs).
func (e *Engine) Sync(ctx context.Context, rebuild bool, progress func(done, total int)) (int, error) {
	sy := e.syncer()
	var n int
	var err error
	if rebuild {
		n, err = sy.Rebuild(ctx, progress)
	} else {
		if _, err := sy.Reconcile(ctx); err != nil {
			return 0, err
		}
		if err := sy.Offline(); err != nil {
			return 0, err
		}
		n, err = sy.Push(ctx, progress)
	}
	if err == nil && n > 0 {
		e.optimizeStore(ctx)
	}
	return n, err
}

// Pending returns how many photos the active store has not received.
func (e *Engine) Pending(ctx context.Context) (int, error) {
	return e.cat.PendingCount(ctx, e.storeKey, e.VectorModel().Name)
}
