package catalog

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// SyncOp is what a vector store still has to do for one photo.
type SyncOp string

// The two kinds of pending work.
const (
	SyncUpsert SyncOp = "upsert"
	SyncDelete SyncOp = "delete"
)

// Pending is one photo a store has not yet caught up with.
type Pending struct {
	PhotoID int64
	Op      SyncOp
}

// MarkPending records that store (under model) must apply op to the photos.
// A later op replaces an earlier one for the same photo.
func (c *Catalog) MarkPending(ctx context.Context, store, model string, op SyncOp, ids []int64) error {
	return c.tx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO sync_pending (store, model, photo_id, op) VALUES (?,?,?,?)
			ON CONFLICT (store, model, photo_id) DO UPDATE SET op = excluded.op`)
		if err != nil {
			return fmt.Errorf("prepare pending: %w", err)
		}
		defer stmt.Close()
		for _, id := range ids {
			if _, err := stmt.ExecContext(ctx, store, model, id, string(op)); err != nil {
				return fmt.Errorf("mark photo %d pending for %s: %w", id, store, err)
			}
		}
		return nil
	})
}

// ClearPending records that store applied the given work. Only rows whose op
// is still the one applied are removed, so work queued meanwhile survives.
func (c *Catalog) ClearPending(ctx context.Context, store, model string, done []Pending) error {
	return c.tx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, "DELETE FROM sync_pending WHERE store = ? AND model = ? AND photo_id = ? AND op = ?")
		if err != nil {
			return fmt.Errorf("prepare clear pending: %w", err)
		}
		defer stmt.Close()
		for _, p := range done {
			if _, err := stmt.ExecContext(ctx, store, model, p.PhotoID, string(p.Op)); err != nil {
				return fmt.Errorf("clear pending photo %d: %w", p.PhotoID, err)
			}
		}
		return nil
	})
}

// PendingWork returns up to limit pending operations of store, oldest ids
// first.
func (c *Catalog) PendingWork(ctx context.Context, store, model string, limit int) ([]Pending, error) {
	rows, err := c.db.QueryContext(ctx, "SELECT photo_id, op FROM sync_pending WHERE store = ? AND model = ? ORDER BY photo_id LIMIT ?", store, model, limit)
	if err != nil {
		return nil, fmt.Errorf("list pending work: %w", err)
	}
	defer rows.Close()
	var out []Pending
	for rows.Next() {
		var p Pending
		var op string
		if err := rows.Scan(&p.PhotoID, &op); err != nil {
			return nil, fmt.Errorf("read pending row: %w", err)
		}
		p.Op = SyncOp(op)
		out = append(out, p)
	}
	return out, rows.Err()
}

// PendingCount returns how many operations store still has to apply.
func (c *Catalog) PendingCount(ctx context.Context, store, model string) (int, error) {
	var n int
	err := c.db.QueryRowContext(ctx, "SELECT count(*) FROM sync_pending WHERE store = ? AND model = ?", store, model).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count pending work: %w", err)
	}
	return n, nil
}

// ResetPending drops all pending work of store (before a full rebuild).
func (c *Catalog) ResetPending(ctx context.Context, store, model string) error {
	if _, err := c.db.ExecContext(ctx, "DELETE FROM sync_pending WHERE store = ? AND model = ?", store, model); err != nil {
		return fmt.Errorf("reset pending work: %w", err)
	}
	return nil
}

// EmbeddedIDs returns the ids of the photos that have an embedding under
// model, ascending: what a store of that model must hold. It joins in Go
// (the model's hashes, then every photo's id and hash in id order), which
// reads both tables once instead of probing the embeddings table, whose
// rows are mostly vector, once per photo.
func (c *Catalog) EmbeddedIDs(ctx context.Context, model string) ([]int64, error) {
	hashes, err := c.EmbeddedHashes(ctx, model)
	if err != nil {
		return nil, err
	}
	rows, err := c.db.QueryContext(ctx, "SELECT id, hash FROM photos ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("list embedded photos of %s: %w", model, err)
	}
	defer rows.Close()
	out := make([]int64, 0, len(hashes))
	for rows.Next() {
		var (
			id   int64
			hash string
		)
		if err := rows.Scan(&id, &hash); err != nil {
			return nil, fmt.Errorf("read photo id: %w", err)
		}
		if hashes[hash] {
			out = append(out, id)
		}
	}
	return out, rows.Err()
}

// Aside is a photo a store refused: it is left out of that store (and of
// its pending work) until it changes or the store is rebuilt.
type Aside struct {
	PhotoID int64
	Path    string
	Reason  string
	At      time.Time
}

// SetAside records that store refused the photo, and why.
func (c *Catalog) SetAside(ctx context.Context, store, model string, id int64, reason string) error {
	_, err := c.db.ExecContext(ctx, `INSERT INTO sync_aside (store, model, photo_id, reason, at) VALUES (?,?,?,?,?)
		ON CONFLICT (store, model, photo_id) DO UPDATE SET reason = excluded.reason, at = excluded.at`,
		store, model, id, reason, time.Now().Unix())
	if err != nil {
		return fmt.Errorf("set photo %d aside for %s: %w", id, store, err)
	}
	return nil
}

// ClearAside forgets set-aside photos of store: they were stored after all.
// No ids means all of them (a rebuild tries every photo again).
func (c *Catalog) ClearAside(ctx context.Context, store, model string, ids []int64) error {
	if ids == nil {
		if _, err := c.db.ExecContext(ctx, "DELETE FROM sync_aside WHERE store = ? AND model = ?", store, model); err != nil {
			return fmt.Errorf("clear set-aside photos of %s: %w", store, err)
		}
		return nil
	}
	return c.tx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, "DELETE FROM sync_aside WHERE store = ? AND model = ? AND photo_id = ?")
		if err != nil {
			return fmt.Errorf("prepare clear set-aside: %w", err)
		}
		defer stmt.Close()
		for _, id := range ids {
			if _, err := stmt.ExecContext(ctx, store, model, id); err != nil {
				return fmt.Errorf("clear set-aside photo %d: %w", id, err)
			}
		}
		return nil
	})
}

// AsideList returns up to limit (-1: all) photos store set aside, by id.
// Rows of photos that left the catalog are not listed.
func (c *Catalog) AsideList(ctx context.Context, store, model string, limit int) ([]Aside, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT a.photo_id, p.path, a.reason, a.at FROM sync_aside a JOIN photos p ON p.id = a.photo_id
		WHERE a.store = ? AND a.model = ? ORDER BY a.photo_id LIMIT ?`, store, model, limit)
	if err != nil {
		return nil, fmt.Errorf("list set-aside photos: %w", err)
	}
	defer rows.Close()
	var out []Aside
	for rows.Next() {
		var (
			a  Aside
			at int64
		)
		if err := rows.Scan(&a.PhotoID, &a.Path, &a.Reason, &at); err != nil {
			return nil, fmt.Errorf("read set-aside photo: %w", err)
		}
		a.At = time.Unix(at, 0)
		out = append(out, a)
	}
	return out, rows.Err()
}

// LibraryID returns the catalog's identity: random, made once when the
// catalog was created, kept by copies of the catalog file.
func (c *Catalog) LibraryID(ctx context.Context) (string, error) {
	var id string
	if err := c.db.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = 'library_id'").Scan(&id); err != nil {
		return "", fmt.Errorf("read library id: %w", err)
	}
	return id, nil
}
