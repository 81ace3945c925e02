package catalog

import (
	"context"
	"database/sql"
	"fmt"
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
