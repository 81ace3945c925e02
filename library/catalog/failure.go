package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Failure is a file that could not be indexed.
type Failure struct {
	Path    string
	Size    int64
	ModTime time.Time
	Reason  string // short machine-readable class, e.g. "decode", "too-large"
	Message string
}

// PutFailure records that path failed, so the unchanged file is not retried.
func (c *Catalog) PutFailure(ctx context.Context, f Failure) error {
	_, err := c.db.ExecContext(ctx, `INSERT INTO failures (path, size, mtime_ns, reason, message, at) VALUES (?,?,?,?,?,?)
		ON CONFLICT (path) DO UPDATE SET size=excluded.size, mtime_ns=excluded.mtime_ns, reason=excluded.reason, message=excluded.message, at=excluded.at`,
		f.Path, f.Size, f.ModTime.UnixNano(), f.Reason, f.Message, time.Now().Unix())
	if err != nil {
		return fmt.Errorf("record failure of %s: %w", f.Path, err)
	}
	return nil
}

// FailureFor returns the failure recorded for path, if any.
func (c *Catalog) FailureFor(ctx context.Context, path string) (Failure, bool, error) {
	var (
		f     = Failure{Path: path}
		mtime int64
	)
	err := c.db.QueryRowContext(ctx, "SELECT size, mtime_ns, reason, message FROM failures WHERE path = ?", path).
		Scan(&f.Size, &mtime, &f.Reason, &f.Message)
	if errors.Is(err, sql.ErrNoRows) {
		return Failure{}, false, nil
	}
	if err != nil {
		return Failure{}, false, fmt.Errorf("read failure of %s: %w", path, err)
	}
	f.ModTime = time.Unix(0, mtime)
	return f, true, nil
}

// DeleteFailure forgets the failure recorded for path.
func (c *Catalog) DeleteFailure(ctx context.Context, path string) error {
	if _, err := c.db.ExecContext(ctx, "DELETE FROM failures WHERE path = ?", path); err != nil {
		return fmt.Errorf("forget failure of %s: %w", path, err)
	}
	return nil
}

// FailureCounts returns the number of failed files per reason.
func (c *Catalog) FailureCounts(ctx context.Context) (map[string]int, error) {
	rows, err := c.db.QueryContext(ctx, "SELECT reason, count(*) FROM failures GROUP BY reason")
	if err != nil {
		return nil, fmt.Errorf("count failures: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var r string
		var n int
		if err := rows.Scan(&r, &n); err != nil {
			return nil, fmt.Errorf("read failure count: %w", err)
		}
		out[r] = n
	}
	return out, rows.Err()
}

// Failures lists recorded failures, most recent first.
func (c *Catalog) Failures(ctx context.Context, limit int) ([]Failure, error) {
	rows, err := c.db.QueryContext(ctx, "SELECT path, size, mtime_ns, reason, message FROM failures ORDER BY at DESC, path LIMIT ?", limit)
	if err != nil {
		return nil, fmt.Errorf("list failures: %w", err)
	}
	defer rows.Close()
	var out []Failure
	for rows.Next() {
		var f Failure
		var mtime int64
		if err := rows.Scan(&f.Path, &f.Size, &mtime, &f.Reason, &f.Message); err != nil {
			return nil, fmt.Errorf("read failure: %w", err)
		}
		f.ModTime = time.Unix(0, mtime)
		out = append(out, f)
	}
	return out, rows.Err()
}
