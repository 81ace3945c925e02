package catalog

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// ScanRecord is the bookkeeping of one scan run.
type ScanRecord struct {
	ID                                int64
	StartedAt, FinishedAt             time.Time
	State                             string // "running", "complete", "cancelled", "failed"
	Roots                             []string
	Model                             string
	Found, Processed, Skipped, Failed int
}

// BeginScan records a new scan and returns its id, which is also the scan
// generation photos are marked with.
func (c *Catalog) BeginScan(ctx context.Context, roots []string, model string) (int64, error) {
	res, err := c.db.ExecContext(ctx, "INSERT INTO scans (started_at, state, roots, model) VALUES (?, 'running', ?, ?)",
		time.Now().Unix(), strings.Join(roots, "\n"), model)
	if err != nil {
		return 0, fmt.Errorf("record scan start: %w", err)
	}
	return res.LastInsertId()
}

// EndScan records how a scan ended.
func (c *Catalog) EndScan(ctx context.Context, r ScanRecord) error {
	_, err := c.db.ExecContext(ctx, `UPDATE scans SET finished_at = ?, state = ?, found = ?, processed = ?, skipped = ?, failed = ? WHERE id = ?`,
		time.Now().Unix(), r.State, r.Found, r.Processed, r.Skipped, r.Failed, r.ID)
	if err != nil {
		return fmt.Errorf("record scan end: %w", err)
	}
	return nil
}

// LastScan returns the most recent scan, if any.
func (c *Catalog) LastScan(ctx context.Context) (ScanRecord, bool, error) {
	var (
		r        ScanRecord
		started  int64
		finished sql.NullInt64
		roots    string
	)
	err := c.db.QueryRowContext(ctx, `SELECT id, started_at, finished_at, state, roots, model, found, processed, skipped, failed
		FROM scans ORDER BY id DESC LIMIT 1`).Scan(&r.ID, &started, &finished, &r.State, &roots, &r.Model, &r.Found, &r.Processed, &r.Skipped, &r.Failed)
	if err == sql.ErrNoRows {
		return ScanRecord{}, false, nil
	}
	if err != nil {
		return ScanRecord{}, false, fmt.Errorf("read last scan: %w", err)
	}
	r.StartedAt = time.Unix(started, 0)
	if finished.Valid {
		r.FinishedAt = time.Unix(finished.Int64, 0)
	}
	r.Roots = strings.Split(roots, "\n")
	return r, true, nil
}

// AddRoot remembers a library folder.
func (c *Catalog) AddRoot(ctx context.Context, path string) error {
	_, err := c.db.ExecContext(ctx, "INSERT INTO roots (path, added_at) VALUES (?, ?) ON CONFLICT DO NOTHING", path, time.Now().Unix())
	if err != nil {
		return fmt.Errorf("add library folder %s: %w", path, err)
	}
	return nil
}

// RemoveRoot forgets a library folder (its photos go on the next prune).
func (c *Catalog) RemoveRoot(ctx context.Context, path string) error {
	if _, err := c.db.ExecContext(ctx, "DELETE FROM roots WHERE path = ?", path); err != nil {
		return fmt.Errorf("remove library folder %s: %w", path, err)
	}
	return nil
}

// Roots lists the library folders.
func (c *Catalog) Roots(ctx context.Context) ([]string, error) {
	rows, err := c.db.QueryContext(ctx, "SELECT path FROM roots ORDER BY path")
	if err != nil {
		return nil, fmt.Errorf("list library folders: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, fmt.Errorf("read library folder: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
