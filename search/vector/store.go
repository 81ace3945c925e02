// Package vector defines the vector-store contract shared by the embedded
// store and the Milvus store, so callers never know which one they talk to.
package vector

import (
	"context"
	"errors"
	"fmt"

	"github.com/simili/simili/library/facet"
)

// Model identifies the embedding space a store holds. Vectors from different
// models are not comparable, so every store is bound to exactly one Model.
type Model struct {
	Name string // e.g. "squeezenet", "resnet50"
	Dim  int    // vector length, e.g. 512 or 2048
}

func (m Model) String() string { return fmt.Sprintf("%s (%d-d)", m.Name, m.Dim) }

// Record is one photo's vector. ID is the catalog's photo id.
type Record struct {
	ID     int64
	Vector []float32 // L2-normalised, len == Model.Dim
	Meta   facet.Meta
}

// Hit is one search result. Score is the cosine similarity (1 = identical).
type Hit struct {
	ID    int64
	Score float32
}

// SearchOptions tunes approximate indexes; exact stores ignore them.
type SearchOptions struct {
	Ef     int // HNSW search breadth (0 = store default)
	Nprobe int // IVF clusters probed (0 = store default)
}

// Store is a vector index bound to one Model. Implementations must be safe
// for concurrent use.
type Store interface {
	// Model returns the embedding space this store holds.
	Model() Model
	// Upsert inserts or replaces records by ID. A vector whose length is not
	// Model().Dim is refused with ErrDimension.
	Upsert(ctx context.Context, recs []Record) error
	// Delete removes records by ID; unknown IDs are ignored.
	Delete(ctx context.Context, ids []int64) error
	// Search returns up to k hits, best first, among records passing f.
	Search(ctx context.Context, query []float32, k int, f facet.Filter, opt SearchOptions) ([]Hit, error)
	// Count returns the number of records stored.
	Count(ctx context.Context) (int, error)
	// Flush makes every acknowledged write durable and visible to Search.
	Flush(ctx context.Context) error
	// Drop removes every record (used to rebuild from the catalog).
	Drop(ctx context.Context) error
	// Close releases resources; the data stays persisted.
	Close() error
}

// IDLister is implemented by stores that can list the ids they hold. The
// sync compares them with the catalog id by id, because counts can agree
// while the ids differ, and a store may lose acknowledged writes (a crash
// before they were durable) without anyone being told.
type IDLister interface {
	// IDs returns every stored id, in ascending order.
	IDs(ctx context.Context) ([]int64, error)
}

// Optimizer is implemented by stores that keep an index of their own and
// can bring it up to date with their records after a bulk load (the
// embedded store retrains its IVF index if it was trained on too few of
// them). It may take as long as a training; a cancelled ctx stops the
// wait, not the store's consistency.
type Optimizer interface {
	Optimize(ctx context.Context) error
}

var (
	// ErrModelMismatch means a store already holds vectors of another model.
	ErrModelMismatch = errors.New("vector store holds another model's vectors")
	// ErrDimension means a vector has the wrong length for the store's model.
	ErrDimension = errors.New("vector has the wrong dimension for this store")
	// ErrUnavailable means the store's server cannot be reached right now;
	// callers keep the work pending and retry later.
	ErrUnavailable = errors.New("vector store unavailable")
)

// MismatchError explains which models collided and how to fix it.
type MismatchError struct {
	Have, Want Model
	Where      string
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("%s holds %s vectors but this run uses %s: re-embed with `simili index --model %s` into an empty store, or `simili sync --rebuild`",
		e.Where, e.Have, e.Want, e.Want.Name)
}

func (e *MismatchError) Unwrap() error { return ErrModelMismatch }
