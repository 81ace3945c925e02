package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/simili/simili/library/scan"
	"github.com/simili/simili/library/watch"
	"github.com/simili/simili/search/embed"
)

// WatchOptions tunes Watch.
type WatchOptions struct {
	// Rescan runs a quick incremental scan of the roots once the watches
	// are in place, for the changes made while nothing watched. The
	// window leaves it off: its start-up scan does that.
	Rescan bool
	// OnBatch is told about every batch applied (the start-up rescan too).
	// It runs on the watcher's goroutine; batches wait while it runs.
	OnBatch func(WatchBatch)
	// OnLimited is told once when some folders cannot be watched (the
	// system's watch limit): the library is then rescanned every
	// Config.RescanMinutes instead.
	OnLimited func(error)
	// Quiet overrides the debounce (0: the watcher's default).
	Quiet time.Duration
}

// WatchBatch is what applying one batch of changes did.
type WatchBatch struct {
	Paths  int  // changed files and folders in the batch
	Rescan bool // the whole library was rescanned (start, lost events, watch limit)
	// Added counts new or changed photos, Moved the ones recognised at a
	// new path (their embedding kept), Removed the ones that left.
	Added, Moved, Removed, Failed int
	Embedded                      int // model runs
	Took                          time.Duration
	// Finished is when the batch's photos became searchable.
	Finished time.Time
	Err      error
}

// Watch follows roots (nil: the library's folders) until ctx is cancelled,
// and catalogues, embeds, moves and removes photos as their files change,
// scanning only the changed paths. It returns nil when ctx is cancelled.
func (e *Engine) Watch(ctx context.Context, roots []string, opt WatchOptions) error {
	if len(roots) == 0 {
		var err error
		if roots, err = e.cat.Roots(ctx); err != nil {
			return err
		}
		if len(roots) == 0 {
			return errors.New("watch: no library folder yet: give folders, or add them with `simili index DIR`")
		}
	}
	w, err := watch.New(roots, watch.Options{
		Quiet:     opt.Quiet,
		Rescan:    e.cfg.RescanInterval(),
		OnLimited: opt.OnLimited,
		Log:       e.log,
	})
	if err != nil {
		return err
	}
	e.log.Info("watching library folders", "roots", len(roots), "folders", w.Watched())
	report := func(b WatchBatch) {
		if opt.OnBatch != nil {
			opt.OnBatch(b)
		}
	}
	done := make(chan error, 1)
	go func() {
		done <- w.Run(ctx, func(ctx context.Context, b watch.Batch) {
			if ctx.Err() == nil {
				report(e.applyBatch(ctx, roots, b))
			}
		})
	}()
	if opt.Rescan {
		// The watches are in place: nothing changed from here on is missed.
		report(e.applyBatch(ctx, roots, watch.Batch{Rescan: true, Paths: roots}))
	}
	return <-done
}

// applyBatch scans a batch: only its paths, or the whole roots for a
// rescan. It waits while another scan of the catalog runs (the window's
// scan of a new folder), so changes queue behind it.
func (e *Engine) applyBatch(ctx context.Context, roots []string, b watch.Batch) WatchBatch {
	start := time.Now()
	var res scan.Result
	var err error
	if b.Rescan {
		res, err = e.Index(ctx, roots, IndexOptions{})
	} else {
		res, err = e.scanPaths(ctx, roots, b.Paths)
	}
	out := WatchBatch{
		Paths: len(b.Paths), Rescan: b.Rescan,
		Added: res.Processed - res.Moved, Moved: res.Moved, Removed: res.Deleted, Failed: res.Failed,
		Embedded: res.Embedded, Took: time.Since(start), Finished: time.Now(), Err: err,
	}
	if err == nil && res.StoreOffline != nil {
		out.Err = fmt.Errorf("photos catalogued, vectors kept for later: %w", res.StoreOffline)
	}
	if err != nil {
		e.log.Warn("applying folder changes", "paths", len(b.Paths), "err", err)
	}
	return out
}

// scanPaths runs the incremental scanner over paths only.
func (e *Engine) scanPaths(ctx context.Context, roots, paths []string) (scan.Result, error) {
	if err := e.scans.lock(ctx); err != nil {
		return scan.Result{Cancelled: true}, err
	}
	defer e.scans.unlock()
	so := scan.Options{
		Catalog: e.cat,
		Thumbs:  e.thumbs,
		Sync:    e.syncer(),
		Workers: e.cfg.Workers,
		Log:     e.log,
		Paths:   paths,
	}
	emb, err := e.loadedModel()
	switch {
	case err == nil:
		so.Embedder = emb
	case !errors.Is(err, embed.ErrModelMissing):
		return scan.Result{}, err
	}
	return scan.Run(ctx, roots, so)
}

// scanGate lets one scan of the catalog run at a time (Index and the
// watcher's batches), waiting in a way ctx can cancel.
type scanGate struct {
	once sync.Once
	ch   chan struct{}
}

func (g *scanGate) lock(ctx context.Context) error {
	g.once.Do(func() { g.ch = make(chan struct{}, 1) })
	select {
	case g.ch <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for the running scan: %w", ctx.Err())
	}
}

func (g *scanGate) unlock() { <-g.ch }
