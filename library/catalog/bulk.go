package catalog

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"

	"github.com/simili/simili/library/signature"
)

// BulkItem is one photo with what a scan stores for it.
type BulkItem struct {
	Photo     *Photo
	Signature *signature.Signature // nil: none
	Model     string               // with Vector: the embedding's model
	Vector    []float32
}

// PutBulk stores many photos in one transaction, as scan generation gen
// saw them; benchmarks use it to build large catalogs quickly.
func (c *Catalog) PutBulk(ctx context.Context, items []BulkItem, gen int64) error {
	return c.tx(ctx, func(tx *sql.Tx) error {
		for _, it := range items {
			if err := putPhoto(ctx, tx, it.Photo, gen); err != nil {
				return err
			}
			if s := it.Signature; s != nil {
				fine := make([]byte, 8*len(s.Fine))
				for i, w := range s.Fine {
					binary.LittleEndian.PutUint64(fine[8*i:], w)
				}
				if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO signatures (hash, version, phash, centre1, centre2, fine, aspect, sharpness)
					VALUES (?,?,?,?,?,?,?,?)`, it.Photo.Hash, signature.Version, int64(s.PHash), int64(s.Centre[0]), int64(s.Centre[1]),
					fine, s.Aspect, s.Sharpness); err != nil {
					return fmt.Errorf("store signature %s: %w", it.Photo.Hash, err)
				}
			}
			if it.Vector != nil {
				if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO embeddings (hash, model, dim, vec) VALUES (?,?,?,?)`,
					it.Photo.Hash, it.Model, len(it.Vector), encodeVector(it.Vector)); err != nil {
					return fmt.Errorf("store embedding %s/%s: %w", it.Model, it.Photo.Hash, err)
				}
			}
		}
		return nil
	})
}
