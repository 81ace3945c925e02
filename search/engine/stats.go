package engine

import (
	"context"
	"time"

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
	// Pending is how many photos the store is out of step by: checked id
	// by id against the store when it can be reached (PendingChecked),
	// else the work the catalog recorded as not sent.
	Pending        int
	PendingChecked bool
	Missing        int // embedded photos the store lacks (checked by id)
	Extra          int // ids the store holds that the catalog does not
	// Aside lists the photos the store refused (a value it cannot hold),
	// with the reason; they are left out of it and of Pending.
	Aside    []catalog.Aside
	LastScan *catalog.ScanRecord
	Roots    []string
	// Offline lists the library folders whose disk was away at the last
	// scan; their photos are kept and counted in Photos.
	Offline []OfflineFolder
}

// OfflineFolder is a library folder whose disk was away when last looked
// at, with the photos kept for it.
type OfflineFolder struct {
	Path   string
	Reason string
	Since  time.Time
	Photos int
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
	if st.Offline, err = e.offlineFolders(ctx); err != nil {
		return st, err
	}
	if _, err := e.cat.ReapScans(ctx); err != nil { // scans whose process died
		return st, err
	}
	if r, ok, err := e.cat.LastScan(ctx); err != nil {
		return st, err
	} else if ok {
		st.LastScan = &r
	}
	if st.Aside, err = e.cat.AsideList(ctx, e.storeKey, st.Model, -1); err != nil {
		return st, err
	}
	n, err := e.store.Count(ctx)
	if err != nil {
		st.StoreError = err.Error()
		return st, nil
	}
	st.StoreCount = n
	d, err := e.syncer().Diff(ctx)
	if err != nil {
		st.StoreError = err.Error()
		return st, nil
	}
	st.Pending, st.PendingChecked = d.Lag(), d.Exact
	st.Missing, st.Extra = len(d.Missing), len(d.Extra)
	return st, nil
}

// StoreLag is a quick check, for every search, of how many photos the
// store is out of step by: the store's count against the catalog's
// embedded photos (minus those set aside), or else the work recorded as
// pending. Counts can agree while ids differ; `simili stats` and `simili
// sync` check id by id. An unreachable store returns its error.
func (e *Engine) StoreLag(ctx context.Context) (int, error) {
	model := e.VectorModel().Name
	want, err := e.cat.CountEmbedded(ctx, model)
	if err != nil {
		return 0, err
	}
	aside, err := e.cat.AsideList(ctx, e.storeKey, model, -1)
	if err != nil {
		return 0, err
	}
	have, err := e.store.Count(ctx)
	if err != nil {
		return 0, err
	}
	if lag := want - len(aside) - have; lag != 0 {
		return max(lag, -lag), nil
	}
	return e.Pending(ctx)
}

func (e *Engine) offlineFolders(ctx context.Context) ([]OfflineFolder, error) {
	roots, err := e.cat.RootStates(ctx)
	if err != nil {
		return nil, err
	}
	var out []OfflineFolder
	for _, r := range roots {
		if !r.Offline() {
			continue
		}
		n, err := e.cat.Count(ctx, facet.Filter{Folder: r.Path})
		if err != nil {
			return nil, err
		}
		out = append(out, OfflineFolder{Path: r.Path, Reason: r.OfflineReason, Since: r.OfflineSince, Photos: n})
	}
	return out, nil
}
