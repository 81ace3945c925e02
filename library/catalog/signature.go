package catalog

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/simili/simili/library/signature"
)

// PutSignature stores the content signature of the content hash.
func (c *Catalog) PutSignature(ctx context.Context, hash string, s signature.Signature) error {
	fine := make([]byte, 8*len(s.Fine))
	for i, w := range s.Fine {
		binary.LittleEndian.PutUint64(fine[8*i:], w)
	}
	_, err := c.db.ExecContext(ctx, `INSERT INTO signatures (hash, version, phash, centre1, centre2, fine, aspect, sharpness)
		VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (hash) DO UPDATE SET version = excluded.version, phash = excluded.phash,
		centre1 = excluded.centre1, centre2 = excluded.centre2, fine = excluded.fine, aspect = excluded.aspect,
		sharpness = excluded.sharpness`,
		hash, signature.Version, int64(s.PHash), int64(s.Centre[0]), int64(s.Centre[1]), fine, s.Aspect, s.Sharpness)
	if err != nil {
		return fmt.Errorf("store signature %s: %w", hash, err)
	}
	return nil
}

// SignedHashes returns the content hashes that have a signature of the
// current version; the scan computes the others.
func (c *Catalog) SignedHashes(ctx context.Context) (map[string]bool, error) {
	rows, err := c.db.QueryContext(ctx, "SELECT hash FROM signatures WHERE version = ?", signature.Version)
	if err != nil {
		return nil, fmt.Errorf("read signed hashes: %w", err)
	}
	defer rows.Close()
	out := make(map[string]bool)
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, fmt.Errorf("read signed hash: %w", err)
		}
		out[h] = true
	}
	return out, rows.Err()
}

// Signatures returns the current-version signature of every catalogued
// content, by content hash.
func (c *Catalog) Signatures(ctx context.Context) (map[string]signature.Signature, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT hash, phash, centre1, centre2, fine, aspect, sharpness FROM signatures
		WHERE version = ? AND hash IN (SELECT hash FROM photos)`, signature.Version)
	if err != nil {
		return nil, fmt.Errorf("read signatures: %w", err)
	}
	defer rows.Close()
	out := make(map[string]signature.Signature)
	for rows.Next() {
		var (
			h         string
			p, c1, c2 int64
			fine      []byte
			s         signature.Signature
		)
		if err := rows.Scan(&h, &p, &c1, &c2, &fine, &s.Aspect, &s.Sharpness); err != nil {
			return nil, fmt.Errorf("read signature: %w", err)
		}
		if len(fine) == 8*len(s.Fine) {
			for i := range s.Fine {
				s.Fine[i] = binary.LittleEndian.Uint64(fine[8*i:])
			}
		}
		s.PHash, s.Centre = uint64(p), [2]uint64{uint64(c1), uint64(c2)}
		out[h] = s
	}
	return out, rows.Err()
}

// EmbeddingsOf returns the stored vectors under model of the given content
// hashes (those without one are left out), reading them in a few queries
// rather than one per hash.
func (c *Catalog) EmbeddingsOf(ctx context.Context, model string, hashes []string) (map[string][]float32, error) {
	out := make(map[string][]float32, len(hashes))
	const chunk = 500
	for start := 0; start < len(hashes); start += chunk {
		part := hashes[start:min(start+chunk, len(hashes))]
		args := make([]any, 0, len(part)+1)
		args = append(args, model)
		for _, h := range part {
			args = append(args, h)
		}
		rows, err := c.db.QueryContext(ctx, "SELECT hash, vec FROM embeddings WHERE model = ? AND hash IN (?"+strings.Repeat(",?", len(part)-1)+")", args...)
		if err != nil {
			return nil, fmt.Errorf("read embeddings: %w", err)
		}
		for rows.Next() {
			var (
				h    string
				blob []byte
			)
			if err := rows.Scan(&h, &blob); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read embedding: %w", err)
			}
			v, err := decodeVector(blob)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("embedding %s/%s: %w", model, h, err)
			}
			out[h] = v
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("read embeddings: %w", err)
		}
	}
	return out, nil
}
