// Package storesync keeps a vector store in step with the catalog. The
// catalog records, per store, which photos the store has not received yet,
// so an unreachable store (a Milvus server that went away) loses nothing:
// the work stays pending and is pushed on the next run that can connect.
//
// That record is a hint, not the truth: a process killed with vectors still
// queued, or a store that lost acknowledged writes, leaves it wrong. What a
// store lacks is therefore derived whenever the store can be reached: the
// catalog's embedded photos minus the ids the store holds, compared id by
// id (Diff), at the start of every scan and sync and again at the end of a
// sync, which fails if any difference is left.
package storesync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

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
	if err := s.upsert(ctx, recs); err != nil {
		return s.storeFailed(err)
	}
	return s.cat.ClearPending(ctx, s.key, s.model, done)
}

// upsert sends recs. When the store refuses the batch for a reason other
// than being unreachable, it is split until the records at fault are
// alone; those are set aside in the catalog with the store's reason and
// the rest goes through, so one bad value cannot block the store for good.
func (s *Syncer) upsert(ctx context.Context, recs []vector.Record) error {
	err := s.store.Upsert(ctx, recs)
	if err == nil {
		ids := make([]int64, len(recs))
		for i, r := range recs {
			ids[i] = r.ID
		}
		return s.cat.ClearAside(ctx, s.key, s.model, ids)
	}
	if errors.Is(err, vector.ErrUnavailable) || ctx.Err() != nil {
		return err
	}
	if len(recs) == 1 {
		reason := firstLine(err.Error())
		s.log.Warn("vector store refused a photo; set aside", "store", s.key, "photo", recs[0].ID, "err", reason)
		return s.cat.SetAside(ctx, s.key, s.model, recs[0].ID, reason)
	}
	half := len(recs) / 2
	if err := s.upsert(ctx, recs[:half]); err != nil {
		return err
	}
	return s.upsert(ctx, recs[half:])
}

func firstLine(msg string) string {
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		return msg[:i]
	}
	return msg
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

// Diff is how a store differs from the catalog, id by id.
type Diff struct {
	// Missing are photos embedded under the store's model that the store
	// lacks (set-aside photos excluded); Extra are ids the store holds that
	// the catalog has no embedded photo for. Both ascending.
	Missing, Extra []int64
	// Exact is false when the store cannot list its ids and only the
	// counts were compared: then the ids are unknown and Missing holds no
	// ids, only Lag says how far the counts are apart.
	Exact bool
	// CountLag is |catalog − store| when the comparison was by count.
	CountLag int
}

// Lag is how many photos the store is out of step by.
func (d Diff) Lag() int {
	if !d.Exact {
		return d.CountLag
	}
	return len(d.Missing) + len(d.Extra)
}

// Diff compares the store with the catalog by id. Store errors are
// returned as they are (an unreachable store wraps vector.ErrUnavailable).
func (s *Syncer) Diff(ctx context.Context) (Diff, error) {
	want, err := s.cat.EmbeddedIDs(ctx, s.model)
	if err != nil {
		return Diff{}, err
	}
	aside, err := s.cat.AsideList(ctx, s.key, s.model, -1)
	if err != nil {
		return Diff{}, err
	}
	l, ok := s.store.(vector.IDLister)
	if !ok {
		have, err := s.store.Count(ctx)
		if err != nil {
			return Diff{}, err
		}
		lag := len(want) - len(aside) - have
		return Diff{CountLag: max(lag, -lag)}, nil
	}
	have, err := l.IDs(ctx)
	if err != nil {
		return Diff{}, err
	}
	skip := make(map[int64]bool, len(aside))
	for _, a := range aside {
		skip[a.PhotoID] = true
	}
	d := Diff{Exact: true}
	i, j := 0, 0
	for i < len(want) || j < len(have) {
		switch {
		case j == len(have) || i < len(want) && want[i] < have[j]:
			if !skip[want[i]] {
				d.Missing = append(d.Missing, want[i])
			}
			i++
		case i == len(want) || have[j] < want[i]:
			d.Extra = append(d.Extra, have[j])
			j++
		default:
			i++
			j++
		}
	}
	return d, nil
}

// Reconcile compares the store with the catalog id by id and queues what
// differs: photos the store lacks (a crash lost them before they were
// queued, or the store lost acknowledged writes) and ids it holds that the
// catalog no longer has. It reports whether anything was queued.
func (s *Syncer) Reconcile(ctx context.Context) (bool, error) {
	d, err := s.Diff(ctx)
	if err != nil {
		return false, s.storeFailed(err)
	}
	return s.queueDiff(ctx, d)
}

// queueDiff marks what d found as pending work and reports whether there
// was any.
func (s *Syncer) queueDiff(ctx context.Context, d Diff) (bool, error) {
	if !d.Exact {
		if d.CountLag == 0 {
			return false, nil
		}
		s.log.Info("vector store count differs from the catalog; queueing a full push", "store", s.key, "lag", d.CountLag)
		return true, s.queueAll(ctx)
	}
	if d.Lag() == 0 {
		return false, nil
	}
	s.log.Info("vector store out of step with the catalog; queueing the difference", "store", s.key, "missing", len(d.Missing), "extra", len(d.Extra))
	if err := s.cat.MarkPending(ctx, s.key, s.model, catalog.SyncUpsert, d.Missing); err != nil {
		return false, err
	}
	return true, s.cat.MarkPending(ctx, s.key, s.model, catalog.SyncDelete, d.Extra)
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
// store cannot be reached; what was not sent stays pending. It ends with an
// id-level check (Verify).
func (s *Syncer) Push(ctx context.Context, progress func(done, total int)) (int, error) {
	applied, err := s.push(ctx, progress)
	if err != nil {
		return applied, err
	}
	// What the store still lacks (it lost writes it acknowledged, or the
	// pending record was wrong) is queued and sent once more; what is left
	// after that is an error, never a silent success.
	d, err := s.Diff(ctx)
	if err != nil {
		return applied, fmt.Errorf("check %s: %w", s.key, err)
	}
	if queued, err := s.queueDiff(ctx, d); err != nil || !queued {
		return applied, err
	}
	n, err := s.push(ctx, progress)
	applied += n
	if err != nil {
		return applied, err
	}
	return applied, s.Verify(ctx)
}

// LagError says that a store still differs from the catalog after a sync.
type LagError struct {
	Store string
	Diff  Diff
}

func (e *LagError) Error() string {
	if !e.Diff.Exact {
		return fmt.Sprintf("vector store %s still differs from the catalog by %d vectors after the sync", e.Store, e.Diff.CountLag)
	}
	return fmt.Sprintf("vector store %s still lacks %d photos (ids %s) and holds %d the catalog does not (ids %s) after the sync",
		e.Store, len(e.Diff.Missing), idList(e.Diff.Missing), len(e.Diff.Extra), idList(e.Diff.Extra))
}

func idList(ids []int64) string {
	if len(ids) == 0 {
		return "none"
	}
	var b strings.Builder
	for i, id := range ids {
		if i == 10 {
			fmt.Fprintf(&b, ", … %d more", len(ids)-i)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprint(&b, id)
	}
	return b.String()
}

// Verify compares the store with the catalog id by id and returns a
// *LagError when they differ.
func (s *Syncer) Verify(ctx context.Context) error {
	d, err := s.Diff(ctx)
	if err != nil {
		return fmt.Errorf("check %s: %w", s.key, err)
	}
	if d.Lag() != 0 {
		return &LagError{Store: s.key, Diff: d}
	}
	return nil
}

func (s *Syncer) push(ctx context.Context, progress func(done, total int)) (int, error) {
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
			if err := s.upsert(ctx, recs); err != nil {
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
	if err := s.cat.ClearAside(ctx, s.key, s.model, nil); err != nil { // every photo gets another try
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
