// Package storesync keeps a vector store in step with the catalog. The
// catalog records, per store, which photos the store has not received yet,
// so an unreachable store (a Milvus server that went away) loses nothing:
// the work stays pending and is pushed on the next run that can connect.
package storesync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/simili/simili/library/catalog"
	"github.com/simili/simili/library/facet"
	"github.com/simili/simili/search/vector"
)

// DefaultBatch is how many records go to the store in one call.
const DefaultBatch = 256

// Syncer pushes catalog changes to one vector store. It is not safe for
// concurrent use: one scan or sync owns it.
type Syncer struct {
	cat   *catalog.Catalog
	store vector.Store
	key   string // identifies the store in the catalog's pending table
	model string
	batch int
	log   *slog.Logger

	buf     []vector.Record
	offline error // set once the store failed as unavailable in this run
}

// New returns a Syncer for store, known in the catalog as key.
func New(cat *catalog.Catalog, store vector.Store, key string, batch int, log *slog.Logger) *Syncer {
	if batch <= 0 {
		batch = DefaultBatch
	}
	if log == nil {
		log = slog.Default()
	}
	return &Syncer{cat: cat, store: store, key: key, model: store.Model().Name, batch: batch, log: log}
}

// Key returns the store's key in the catalog.
func (s *Syncer) Key() string { return s.key }

// Offline returns the error that made the store unavailable in this run,
// or nil.
func (s *Syncer) Offline() error { return s.offline }

// Upsert queues a photo's vector for the store; it is sent in batches.
func (s *Syncer) Upsert(ctx context.Context, id int64, vec []float32, m facet.Meta) error {
	s.buf = append(s.buf, vector.Record{ID: id, Vector: vec, Meta: m})
	if len(s.buf) >= s.batch {
		return s.Flush(ctx)
	}
	return nil
}

// Flush sends queued vectors. When the store is unreachable they are kept
// pending in the catalog and the error is remembered, not returned: the
// scan goes on and a later sync delivers them.
func (s *Syncer) Flush(ctx context.Context) error {
	if len(s.buf) == 0 {
		return nil
	}
	recs := s.buf
	s.buf = nil
	ids := make([]int64, len(recs))
	done := make([]catalog.Pending, len(recs))
	for i, r := range recs {
		ids[i] = r.ID
		done[i] = catalog.Pending{PhotoID: r.ID, Op: catalog.SyncUpsert}
	}
	if err := s.cat.MarkPending(ctx, s.key, s.model, catalog.SyncUpsert, ids); err != nil {
		return err
	}
	if s.offline != nil {
		return nil
	}
	if err := s.store.Upsert(ctx, recs); err != nil {
		return s.storeFailed(err)
	}
	return s.cat.ClearPending(ctx, s.key, s.model, done)
}

// Delete removes photos from the store (or keeps the deletion pending).
func (s *Syncer) Delete(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	if err := s.cat.MarkPending(ctx, s.key, s.model, catalog.SyncDelete, ids); err != nil {
		return err
	}
	if s.offline != nil {
		return nil
	}
	if err := s.store.Delete(ctx, ids); err != nil {
		return s.storeFailed(err)
	}
	done := make([]catalog.Pending, len(ids))
	for i, id := range ids {
		done[i] = catalog.Pending{PhotoID: id, Op: catalog.SyncDelete}
	}
	return s.cat.ClearPending(ctx, s.key, s.model, done)
}

func (s *Syncer) storeFailed(err error) error {
	if errors.Is(err, vector.ErrUnavailable) {
		s.offline = err
		s.log.Warn("vector store unreachable; work kept pending in the catalog", "store", s.key, "err", err)
		return nil
	}
	return fmt.Errorf("vector store %s: %w", s.key, err)
}

// Pending returns how many operations the store has not received.
func (s *Syncer) Pending(ctx context.Context) (int, error) {
	return s.cat.PendingCount(ctx, s.key, s.model)
}

// Reconcile queues every embedded photo when the store's count disagrees
// with the catalog and no pending work explains it (a new, emptied or
// replaced store). Upserts are idempotent, so over-sending is harmless.
func (s *Syncer) Reconcile(ctx context.Context) (bool, error) {
	pending, err := s.Pending(ctx)
	if err != nil || pending > 0 {
		return false, err
	}
	want, err := s.cat.CountEmbedded(ctx, s.model)
	if err != nil {
		return false, err
	}
	have, err := s.store.Count(ctx)
	if err != nil {
		return false, s.storeFailed(err)
	}
	if have == want {
		return false, nil
	}
	s.log.Info("vector store out of step with the catalog; queueing a full push", "store", s.key, "store_count", have, "catalog_count", want)
	return true, s.queueAll(ctx)
}

func (s *Syncer) queueAll(ctx context.Context) error {
	var ids []int64
	err := s.cat.EachEmbedded(ctx, s.model, func(e catalog.EmbeddedPhoto) error {
		ids = append(ids, e.Photo.ID)
		return nil
	})
	if err != nil {
		return err
	}
	return s.cat.MarkPending(ctx, s.key, s.model, catalog.SyncUpsert, ids)
}

// Push sends all pending work to the store and returns how many operations
// it applied. It stops with an error wrapping vector.ErrUnavailable when the
// store cannot be reached; what was not sent stays pending.
func (s *Syncer) Push(ctx context.Context, progress func(done, total int)) (int, error) {
	if err := s.Flush(ctx); err != nil {
		return 0, err
	}
	total, err := s.Pending(ctx)
	if err != nil {
		return 0, err
	}
	applied := 0
	for {
		work, err := s.cat.PendingWork(ctx, s.key, s.model, s.batch)
		if err != nil {
			return applied, err
		}
		if len(work) == 0 {
			break
		}
		var (
			recs    []vector.Record
			deletes []int64
		)
		for _, w := range work {
			if w.Op == catalog.SyncDelete {
				deletes = append(deletes, w.PhotoID)
				continue
			}
			rec, ok, err := s.record(ctx, w.PhotoID)
			if err != nil {
				return applied, err
			}
			if !ok { // photo or embedding gone meanwhile: make sure the store forgets it
				deletes = append(deletes, w.PhotoID)
				continue
			}
			recs = append(recs, rec)
		}
		if len(recs) > 0 {
			if err := s.store.Upsert(ctx, recs); err != nil {
				return applied, fmt.Errorf("push to %s: %w", s.key, err)
			}
		}
		if len(deletes) > 0 {
			if err := s.store.Delete(ctx, deletes); err != nil {
				return applied, fmt.Errorf("delete from %s: %w", s.key, err)
			}
		}
		if err := s.cat.ClearPending(ctx, s.key, s.model, work); err != nil {
			return applied, err
		}
		applied += len(work)
		if progress != nil {
			progress(applied, total)
		}
	}
	if err := s.store.Flush(ctx); err != nil {
		return applied, fmt.Errorf("flush %s: %w", s.key, err)
	}
	s.offline = nil
	return applied, nil
}

// Rebuild empties the store and refills it from the catalog's stored
// embeddings: no model runs.
func (s *Syncer) Rebuild(ctx context.Context, progress func(done, total int)) (int, error) {
	if err := s.store.Drop(ctx); err != nil {
		return 0, fmt.Errorf("drop %s: %w", s.key, err)
	}
	if err := s.cat.ResetPending(ctx, s.key, s.model); err != nil {
		return 0, err
	}
	if err := s.queueAll(ctx); err != nil {
		return 0, err
	}
	return s.Push(ctx, progress)
}

func (s *Syncer) record(ctx context.Context, id int64) (vector.Record, bool, error) {
	p, err := s.cat.Photo(ctx, id)
	if errors.Is(err, catalog.ErrNotFound) {
		return vector.Record{}, false, nil
	}
	if err != nil {
		return vector.Record{}, false, err
	}
	vec, ok, err := s.cat.Embedding(ctx, p.Hash, s.model)
	if err != nil || !ok {
		return vector.Record{}, false, err
	}
	return vector.Record{ID: p.ID, Vector: vec, Meta: p.VectorMeta()}, true, nil
}
