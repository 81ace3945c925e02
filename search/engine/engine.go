// Package engine wires the library (catalog, thumbnails, scanner) to the
// search side (embedder, vector store) behind one object that the CLI and
// the desktop app share. It holds no UI and no storage logic of its own.
package engine

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"

	"github.com/simili/simili/library/catalog"
	"github.com/simili/simili/library/thumb"
	"github.com/simili/simili/search/embed"
	"github.com/simili/simili/search/storesync"
	"github.com/simili/simili/search/vector"
	"github.com/simili/simili/search/vector/embedded"
)

// Engine is an opened library. Open it once per process; it is safe for
// concurrent use.
type Engine struct {
	cfg    Config
	log    *slog.Logger
	cat    *catalog.Catalog
	thumbs *thumb.Cache

	store    *lazyStore
	storeKey string

	mu       sync.Mutex // guards the lazily opened model
	embedder *embedder
	model    ModelChoice // the configured model, or the best installed one (fallback.go)

	scans scanGate // one scan of the catalog at a time (watch.go)
}

// Open opens the catalog and thumbnail cache. The model and the vector store
// are opened on first use, so commands that need neither stay fast and work
// without ONNX Runtime or a server.
func Open(ctx context.Context, cfg Config, log *slog.Logger) (*Engine, error) {
	if log == nil {
		log = slog.Default()
	}
	if _, err := embed.Builtin(cfg.Model); err != nil {
		return nil, err
	}
	cat, err := catalog.Open(ctx, cfg.CatalogPath())
	if err != nil {
		return nil, err
	}
	thumbs, err := thumb.New(cfg.thumbDir(), cfg.ThumbSize)
	if err != nil {
		cat.Close()
		return nil, fmt.Errorf("thumbnail cache: %w", err)
	}
	e := &Engine{cfg: cfg, log: log, cat: cat, thumbs: thumbs, model: chooseModel(cfg)}
	if e.model.FellBack() {
		log.Info("configured model not installed: using the best installed one", "configured", e.model.Configured, "using", e.model.Active)
	}
	m := e.VectorModel()
	e.storeKey, err = storeKey(cfg.Store)
	if err != nil {
		cat.Close()
		return nil, err
	}
	lib, err := cat.LibraryID(ctx)
	if err != nil {
		cat.Close()
		return nil, err
	}
	e.store = newLazyStore(m, func(ctx context.Context) (vector.Store, error) { return openStore(ctx, cfg, m, lib) })
	return e, nil
}

// Config returns the configuration the engine was opened with.
func (e *Engine) Config() Config { return e.cfg }

// Close releases the model, the store and the catalog.
func (e *Engine) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	var errs []error
	if e.embedder != nil {
		errs = append(errs, e.embedder.Close())
	}
	errs = append(errs, e.store.Close())
	errs = append(errs, e.cat.Close())
	return errors.Join(errs...)
}

// spec returns the active model's spec.
func (e *Engine) spec() embed.Spec {
	s, _ := embed.Builtin(e.model.Active) // validated in Open
	return s
}

// VectorModel is the embedding space of the active model.
func (e *Engine) VectorModel() vector.Model {
	s := e.spec()
	return vector.Model{Name: s.Name, Dim: s.Dim}
}

// embedder adapts embed.Embedder to the scanner's interface.
type embedder struct{ *embed.Embedder }

func (m *embedder) InputSize() int { return m.Embedder.Spec().Size }

func (m *embedder) ModelName() string { return m.Embedder.Spec().Name }

// loadedModel returns the active model, loading it on first use.
func (e *Engine) loadedModel() (*embedder, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.embedder != nil {
		return e.embedder, nil
	}
	m, err := embed.Open(e.spec(), embed.Config{ModelFile: e.cfg.ModelFile, ModelDir: e.cfg.ModelDir(), Threads: e.cfg.Threads})
	if err != nil {
		return nil, err
	}
	e.embedder = &embedder{m}
	return e.embedder, nil
}

// embedImage runs the active model on an upright image.
func (e *Engine) embedImage(img image.Image) ([]float32, error) {
	m, err := e.loadedModel()
	if err != nil {
		return nil, err
	}
	return m.Embed(img)
}

// StoreKey names the active store in logs and in the catalog's sync state;
// it never contains credentials.
func (e *Engine) StoreKey() string { return e.storeKey }

// StoreStatus connects to the store if needed and says whether it works.
func (e *Engine) StoreStatus(ctx context.Context) error { return e.store.Connected(ctx) }

func storeKey(store string) (string, error) {
	switch {
	case store == "" || store == "embedded":
		return "embedded", nil
	case strings.HasPrefix(store, "milvus"):
		return milvusKey(store)
	}
	return "", fmt.Errorf("unknown store %q: use \"embedded\" or milvus://host:port", store)
}

// openStore opens the configured store for model m on behalf of the
// library whose catalog id is lib (a shared server refuses another
// library's collection; "" checks nothing).
func openStore(ctx context.Context, cfg Config, m vector.Model, lib string) (vector.Store, error) {
	if cfg.Store == "" || cfg.Store == "embedded" {
		open := embedded.Open
		if cfg.ReadOnlyStore {
			open = embedded.OpenReadOnly // searches while an index run holds the store
		}
		s, err := open(filepath.Join(cfg.vectorDir(), m.Name), m)
		if err != nil {
			return nil, fmt.Errorf("open embedded store: %w", err)
		}
		return s, nil
	}
	return openMilvus(ctx, cfg.Store, m, lib)
}

// syncer returns a Syncer for the active store.
func (e *Engine) syncer() *storesync.Syncer {
	return storesync.New(e.cat, e.store, e.storeKey, e.cfg.SyncBatch, e.log)
}

// LoadModel loads the active model now rather than on first use, so that
// a measurement or a long run does not pay for it midway.
func (e *Engine) LoadModel() error {
	_, err := e.loadedModel()
	return err
}
