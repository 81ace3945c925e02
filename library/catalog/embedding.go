package catalog

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Embedding returns the stored vector of the content hash under model.
func (c *Catalog) Embedding(ctx context.Context, hash, model string) ([]float32, bool, error) {
	var blob []byte
	err := c.db.QueryRowContext(ctx, "SELECT vec FROM embeddings WHERE hash = ? AND model = ?", hash, model).Scan(&blob)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read embedding %s/%s: %w", model, hash, err)
	}
	v, err := decodeVector(blob)
	if err != nil {
		return nil, false, fmt.Errorf("embedding %s/%s: %w", model, hash, err)
	}
	return v, true, nil
}

// PutEmbedding stores the vector of the content hash under model.
func (c *Catalog) PutEmbedding(ctx context.Context, hash, model string, vec []float32) error {
	_, err := c.db.ExecContext(ctx, `INSERT INTO embeddings (hash, model, dim, vec) VALUES (?,?,?,?)
		ON CONFLICT (hash, model) DO UPDATE SET dim = excluded.dim, vec = excluded.vec`,
		hash, model, len(vec), encodeVector(vec))
	if err != nil {
		return fmt.Errorf("store embedding %s/%s: %w", model, hash, err)
	}
	return nil
}

// EmbeddedPhoto pairs a photo with its vector under one model.
type EmbeddedPhoto struct {
	Photo  Photo
	Vector []float32
}

// EachEmbedded calls fn for every photo that has an embedding under model,
// in id order, and stops at the first error fn returns.
func (c *Catalog) EachEmbedded(ctx context.Context, model string, fn func(EmbeddedPhoto) error) error {
	offline, err := c.offlineRoots(ctx)
	if err != nil {
		return err
	}
	rows, err := c.db.QueryContext(ctx, "SELECT "+prefixed("p.", photoColumns)+`, e.vec
		FROM photos p JOIN embeddings e ON e.hash = p.hash AND e.model = ? ORDER BY p.id`, model)
	if err != nil {
		return fmt.Errorf("list embeddings of %s: %w", model, err)
	}
	defer rows.Close()
	for rows.Next() {
		var blob []byte
		p, err := scanPhoto(scanWithTail{rows, &blob})
		if err != nil {
			return fmt.Errorf("read embedded photo: %w", err)
		}
		v, err := decodeVector(blob)
		if err != nil {
			return fmt.Errorf("embedding of %s: %w", p.Path, err)
		}
		p.Offline = underAny(p.Folder, offline)
		if err := fn(EmbeddedPhoto{Photo: p, Vector: v}); err != nil {
			return err
		}
	}
	return rows.Err()
}

// CountEmbedded returns how many photos have an embedding under model.
func (c *Catalog) CountEmbedded(ctx context.Context, model string) (int, error) {
	var n int
	err := c.db.QueryRowContext(ctx, `SELECT count(*) FROM photos p JOIN embeddings e ON e.hash = p.hash AND e.model = ?`, model).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count embedded photos: %w", err)
	}
	return n, nil
}

// ModelCount is how many distinct contents one model has embedded.
type ModelCount struct {
	Model string
	Dim   int
	Count int
}

// Models lists the models that have embeddings in the catalog.
func (c *Catalog) Models(ctx context.Context) ([]ModelCount, error) {
	rows, err := c.db.QueryContext(ctx, "SELECT model, dim, count(*) FROM embeddings GROUP BY model, dim ORDER BY model")
	if err != nil {
		return nil, fmt.Errorf("list models: %w", err)
	}
	defer rows.Close()
	var out []ModelCount
	for rows.Next() {
		var m ModelCount
		if err := rows.Scan(&m.Model, &m.Dim, &m.Count); err != nil {
			return nil, fmt.Errorf("read model row: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// scanWithTail scans a photo row followed by extra columns.
type scanWithTail struct {
	rows *sql.Rows
	tail any
}

func (s scanWithTail) Scan(dest ...any) error { return s.rows.Scan(append(dest, s.tail)...) }

func prefixed(prefix, cols string) string {
	out := make([]byte, 0, len(cols)*2)
	start := true
	for i := 0; i < len(cols); i++ {
		ch := cols[i]
		if start && ch != ' ' && ch != '\n' && ch != '\t' {
			out = append(out, prefix...)
			start = false
		}
		if ch == ',' {
			start = true
		}
		out = append(out, ch)
	}
	return string(out)
}

func encodeVector(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return b
}

func decodeVector(b []byte) ([]float32, error) {
	if len(b)%4 != 0 {
		return nil, fmt.Errorf("corrupt vector blob of %d bytes", len(b))
	}
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v, nil
}
