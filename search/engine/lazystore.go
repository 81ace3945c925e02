package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/simili/simili/library/facet"
	"github.com/simili/simili/search/vector"
)

// lazyStore opens its backing store on first use and again after it was
// unreachable, so an engine can start, scan and catalogue while a Milvus
// server is down; every call then fails with vector.ErrUnavailable and the
// sync state keeps the work.
type lazyStore struct {
	model vector.Model
	open  func(ctx context.Context) (vector.Store, error)

	mu        sync.Mutex
	store     vector.Store
	lastErr   error
	lastTry   time.Time
	retryWait time.Duration
}

func newLazyStore(m vector.Model, open func(ctx context.Context) (vector.Store, error)) *lazyStore {
	return &lazyStore{model: m, open: open, retryWait: 2 * time.Second}
}

func (l *lazyStore) get(ctx context.Context) (vector.Store, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.store != nil {
		return l.store, nil
	}
	if l.lastErr != nil && time.Since(l.lastTry) < l.retryWait {
		return nil, l.lastErr
	}
	l.lastTry = time.Now()
	s, err := l.open(ctx)
	if err != nil {
		l.lastErr = err
		return nil, err
	}
	l.store, l.lastErr = s, nil
	return s, nil
}

// Connected reports whether the backing store is open.
func (l *lazyStore) Connected(ctx context.Context) error {
	_, err := l.get(ctx)
	return err
}

func (l *lazyStore) Model() vector.Model { return l.model }

func (l *lazyStore) Upsert(ctx context.Context, recs []vector.Record) error {
	s, err := l.get(ctx)
	if err != nil {
		return err
	}
	return s.Upsert(ctx, recs)
}

func (l *lazyStore) Delete(ctx context.Context, ids []int64) error {
	s, err := l.get(ctx)
	if err != nil {
		return err
	}
	return s.Delete(ctx, ids)
}

func (l *lazyStore) Search(ctx context.Context, q []float32, k int, f facet.Filter, opt vector.SearchOptions) ([]vector.Hit, error) {
	s, err := l.get(ctx)
	if err != nil {
		return nil, err
	}
	return s.Search(ctx, q, k, f, opt)
}

func (l *lazyStore) Count(ctx context.Context) (int, error) {
	s, err := l.get(ctx)
	if err != nil {
		return 0, err
	}
	return s.Count(ctx)
}

// IDs lists the backing store's ids when it can (vector.IDLister).
func (l *lazyStore) IDs(ctx context.Context) ([]int64, error) {
	s, err := l.get(ctx)
	if err != nil {
		return nil, err
	}
	il, ok := s.(vector.IDLister)
	if !ok {
		return nil, fmt.Errorf("vector store %T cannot list its ids", s)
	}
	return il.IDs(ctx)
}

func (l *lazyStore) Flush(ctx context.Context) error {
	s, err := l.get(ctx)
	if err != nil {
		return err
	}
	return s.Flush(ctx)
}

// Optimize passes on to the backing store when it has an index to bring up
// to date (vector.Optimizer); others have nothing to do.
func (l *lazyStore) Optimize(ctx context.Context) error {
	s, err := l.get(ctx)
	if err != nil {
		return err
	}
	if o, ok := s.(vector.Optimizer); ok {
		return o.Optimize(ctx)
	}
	return nil
}

func (l *lazyStore) Drop(ctx context.Context) error {
	s, err := l.get(ctx)
	if err != nil {
		return err
	}
	return s.Drop(ctx)
}

func (l *lazyStore) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.store == nil {
		return nil
	}
	err := l.store.Close()
	l.store = nil
	if err != nil {
		return fmt.Errorf("close vector store: %w", err)
	}
	return nil
}

var (
	_ vector.Store     = (*lazyStore)(nil)
	_ vector.IDLister  = (*lazyStore)(nil)
	_ vector.Optimizer = (*lazyStore)(nil)
)

// isUnavailable reports whether err means "try again later".
func isUnavailable(err error) bool { return errors.Is(err, vector.ErrUnavailable) }
