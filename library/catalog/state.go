package catalog

import (
	"context"
	"fmt"
	"time"
)

// FileState is what the scanner needs to decide whether a file changed.
type FileState struct {
	ID      int64
	Size    int64
	ModTime time.Time
	Hash    string
}

// FileStates returns the state of every catalogued file, by path, so a scan
// can skip unchanged files without a query per file.
func (c *Catalog) FileStates(ctx context.Context) (map[string]FileState, error) {
	rows, err := c.db.QueryContext(ctx, "SELECT path, id, size, mtime_ns, hash FROM photos")
	if err != nil {
		return nil, fmt.Errorf("read file states: %w", err)
	}
	defer rows.Close()
	out := make(map[string]FileState)
	for rows.Next() {
		var (
			path  string
			s     FileState
			mtime int64
		)
		if err := rows.Scan(&path, &s.ID, &s.Size, &mtime, &s.Hash); err != nil {
			return nil, fmt.Errorf("read file state: %w", err)
		}
		s.ModTime = time.Unix(0, mtime)
		out[path] = s
	}
	return out, rows.Err()
}

// EmbeddedHashes returns the content hashes that have an embedding under
// model.
func (c *Catalog) EmbeddedHashes(ctx context.Context, model string) (map[string]bool, error) {
	rows, err := c.db.QueryContext(ctx, "SELECT hash FROM embeddings WHERE model = ?", model)
	if err != nil {
		return nil, fmt.Errorf("read embedded hashes: %w", err)
	}
	defer rows.Close()
	out := make(map[string]bool)
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, fmt.Errorf("read embedded hash: %w", err)
		}
		out[h] = true
	}
	return out, rows.Err()
}

// FailureStates returns recorded failures by path.
func (c *Catalog) FailureStates(ctx context.Context) (map[string]Failure, error) {
	fs, err := c.Failures(ctx, -1)
	if err != nil {
		return nil, err
	}
	out := make(map[string]Failure, len(fs))
	for _, f := range fs {
		out[f.Path] = f
	}
	return out, nil
}
