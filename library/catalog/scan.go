package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ScanRecord is the bookkeeping of one scan run.
type ScanRecord struct {
	ID                                int64
	StartedAt, FinishedAt             time.Time
	State                             string // "running", "complete", "cancelled", "failed", "interrupted"
	Roots                             []string
	Model                             string
	Found, Processed, Skipped, Failed int
}

// scanLocks holds a lock file per running scan of this process. Another
// process that can take a scan's lock knows its owner is gone (killed,
// crashed, powered off) and marks the scan interrupted (ReapScans).
type scanLocks struct {
	mu    sync.Mutex
	files map[int64]*os.File
}

func (l *scanLocks) put(id int64, f *os.File) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.files == nil {
		l.files = map[int64]*os.File{}
	}
	l.files[id] = f
}

func (l *scanLocks) owns(id int64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.files[id] != nil
}

// release unlocks and removes the scan's lock file, if this process has it.
func (l *scanLocks) release(id int64) {
	l.mu.Lock()
	f := l.files[id]
	delete(l.files, id)
	l.mu.Unlock()
	if f != nil {
		os.Remove(f.Name())
		f.Close()
	}
}

// releaseAll closes the locks without removing the files: their scans
// did not end, so the next ReapScans marks them interrupted.
func (l *scanLocks) releaseAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for id, f := range l.files {
		f.Close()
		delete(l.files, id)
	}
}

// scanLockPath is the lock file of scan id, beside the database.
func (c *Catalog) scanLockPath(id int64) string {
	return filepath.Join(c.path+".scans", strconv.FormatInt(id, 10)+".lock")
}

// BeginScan records a new scan and returns its id, which is also the scan
// generation photos are marked with. The scan holds a lock file until
// EndScan (or until its process dies), so a scan whose process was killed
// is not shown as running for ever.
func (c *Catalog) BeginScan(ctx context.Context, roots []string, model string) (int64, error) {
	if _, err := c.ReapScans(ctx); err != nil {
		return 0, err
	}
	if err := os.MkdirAll(c.path+".scans", 0o755); err != nil {
		return 0, fmt.Errorf("record scan start: %w", err)
	}
	var id int64
	// One transaction, so no other process sees the row before its lock.
	err := c.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "INSERT INTO scans (started_at, state, roots, model) VALUES (?, 'running', ?, ?)",
			time.Now().Unix(), strings.Join(roots, "\n"), model)
		if err != nil {
			return fmt.Errorf("record scan start: %w", err)
		}
		if id, err = res.LastInsertId(); err != nil {
			return fmt.Errorf("record scan start: %w", err)
		}
		f, err := tryLock(c.scanLockPath(id))
		if err != nil {
			return fmt.Errorf("lock scan %d: %w", id, err)
		}
		c.scans.put(id, f)
		return nil
	})
	if err != nil {
		if id != 0 {
			c.scans.release(id)
		}
		return 0, err
	}
	return id, nil
}

// ReapScans marks as interrupted every scan recorded as running whose
// process is gone, and returns how many it marked.
func (c *Catalog) ReapScans(ctx context.Context) (int, error) {
	var running int
	if err := c.db.QueryRowContext(ctx, "SELECT count(*) FROM scans WHERE state = 'running'").Scan(&running); err != nil {
		return 0, fmt.Errorf("count running scans: %w", err)
	}
	if running == 0 { // the usual case: no write transaction needed
		return 0, nil
	}
	n := 0
	err := c.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, "SELECT id FROM scans WHERE state = 'running'")
		if err != nil {
			return fmt.Errorf("list running scans: %w", err)
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return fmt.Errorf("read running scan: %w", err)
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("list running scans: %w", err)
		}
		for _, id := range ids {
			if c.scans.owns(id) {
				continue
			}
			path := c.scanLockPath(id)
			f, err := tryLock(path)
			if errors.Is(err, errBusy) {
				continue // its process is alive
			}
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("check scan %d: %w", id, err)
			}
			if f != nil {
				os.Remove(path)
				f.Close()
			}
			if _, err := tx.ExecContext(ctx, "UPDATE scans SET state = 'interrupted', finished_at = ? WHERE id = ? AND state = 'running'", time.Now().Unix(), id); err != nil {
				return fmt.Errorf("mark scan %d interrupted: %w", id, err)
			}
			n++
		}
		return nil
	})
	return n, err
}

// EndScan records how a scan ended.
func (c *Catalog) EndScan(ctx context.Context, r ScanRecord) error {
	_, err := c.db.ExecContext(ctx, `UPDATE scans SET finished_at = ?, state = ?, found = ?, processed = ?, skipped = ?, failed = ? WHERE id = ?`,
		time.Now().Unix(), r.State, r.Found, r.Processed, r.Skipped, r.Failed, r.ID)
	if err != nil {
		return fmt.Errorf("record scan end: %w", err)
	}
	c.scans.release(r.ID)
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
	return c.rootPaths(ctx, "SELECT path FROM roots ORDER BY path", "list library folders")
}

// rootPaths runs a query of library-folder paths.
func (c *Catalog) rootPaths(ctx context.Context, query, what string) ([]string, error) {
	rows, err := c.db.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
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
