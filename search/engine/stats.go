package engine

import (
	"context"

	"github.com/simili/simili/library/catalog"
	"github.com/simili/simili/library/facet"
)

// Stats summarises the library for `simili stats` and the status bar.
type Stats struct {
	Photos     int
	Failures   map[string]int // failed files by reason
	Models     []catalog.ModelCount
	Model      string // active model
	Embedded   int    // photos with an embedding of the active model
	Store      string // store key
	StoreCount int    // vectors in the store, -1 when unreachable
	StoreError string // why the store is unreachable
	Pending    int    // photos the store has not received
	LastScan   *catalog.ScanRecord
	Roots      []string
}

// Stats gathers the figures; an unreachable store is reported, not fatal.
func (e *Engine) Stats(ctx context.Context) (Stats, error) {
	var (
		st  = Stats{Model: e.VectorModel().Name, Store: e.storeKey, StoreCount: -1}
		err error
	)
	if st.Photos, err = e.cat.Count(ctx, facet.Filter{}); err != nil {
		return st, err
	}
	if st.Failures, err = e.cat.FailureCounts(ctx); err != nil {
		return st, err
	}
	if st.Models, err = e.cat.Models(ctx); err != nil {
		return st, err
	}
	if st.Embedded, err = e.cat.CountEmbedded(ctx, st.Model); err != nil {
		return st, err
	}
	if st.Pending, err = e.Pending(ctx); err != nil {
		return st, err
	}
	if st.Roots, err = e.cat.Roots(ctx); err != nil {
		return st, err
	}
	if r, ok, err := e.cat.LastScan(ctx); err != nil {
		return st, err
	} else if ok {
		st.LastScan = &r
	}
	if n, err := e.store.Count(ctx); err != nil {
		st.StoreError = err.Error()
	} else {
		st.StoreCount = n
	}
	return st, nil
}
