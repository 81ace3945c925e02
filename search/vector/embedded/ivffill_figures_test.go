package embedded

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/simili/simili/library/facet"
	"github.com/simili/simili/search/vector"
)

// TestIVFUpsertFillFigures reports the IVF path as `simili bench` builds
// it: 1M×512 written through Upsert in batches of 2000, so the index is
// trained part way and the rest absorbed, then reopened; then measured
// again after a calibration at 1M and after a training at 1M. Skipped
// unless SIMILI_IVF_FILL_FIGURES is set: 6 GB and about 7 minutes.
func TestIVFUpsertFillFigures(t *testing.T) {
	if os.Getenv("SIMILI_IVF_FILL_FIGURES") == "" {
		t.Skip("set SIMILI_IVF_FILL_FIGURES=1 to measure (6 GB, minutes)")
	}
	n, dim, nq := 1000000, 512, 1000
	ctx := context.Background()
	m := vector.Model{Name: "b", Dim: dim}
	dir := filepath.Join(t.TempDir(), "s")
	s, err := Open(dir, m)
	if err != nil {
		t.Fatal(err)
	}
	data := clustered(n+nq, dim, 42)
	t0 := time.Now()
	for lo := 0; lo < n; lo += 2000 {
		recs := make([]vector.Record, 0, 2000)
		for i := lo; i < min(n, lo+2000); i++ {
			recs = append(recs, vector.Record{ID: int64(i + 1), Vector: data[i*dim : (i+1)*dim], Meta: facet.Meta{Model: "x"}})
		}
		if err := s.Upsert(ctx, recs); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("fill %v", time.Since(t0))
	s.Close()
	s, err = Open(dir, m)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.WaitIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	v := s.idx.ivf
	t.Logf("nlist %d built %d stale %d tail %d cal %+v i8 %v", v.nlist, v.built, v.stale, len(v.lists[v.tail()]), v.cal, v.i8 != nil)
	measure := func(label string) {
		v := s.idx.ivf
		t.Logf("%s: nlist %d built %d tail %d moved %d cal %+v", label, v.nlist, v.built, len(v.lists[v.tail()]), v.moved, v.cal)
		c, _ := s.idx.compile(facet.Filter{})
		var recall float64
		for q := range nq {
			qv := data[(n+q)*dim : (n+q+1)*dim]
			truth, _ := s.idx.search(ctx, qv, 10, c)
			hits, _ := s.Search(ctx, qv, 10, facet.Filter{}, vector.SearchOptions{})
			recall += recallOf(hits, truth)
		}
		t.Logf("  recall %.4f", recall/float64(nq))
		for pass := range 2 {
			var lat []time.Duration
			for q := range nq {
				qv := data[(n+q)*dim : (n+q+1)*dim]
				t1 := time.Now()
				if _, err := s.Search(ctx, qv, 10, facet.Filter{}, vector.SearchOptions{}); err != nil {
					t.Fatal(err)
				}
				lat = append(lat, time.Since(t1))
			}
			slices.Sort(lat)
			t.Logf("  pass %d p50 %v p99 %v worst5 %v", pass, lat[nq/2], lat[nq*99/100], lat[nq-5:])
		}
	}
	measure("as loaded")
	s.wmu.Lock()
	t0 = time.Now()
	c := s.idx.ivf.calibrate(s.idx)
	t.Logf("calibrated at 1M in %v", time.Since(t0))
	s.lockIndex()
	s.idx.ivf.cal = c
	s.mu.Unlock()
	s.wmu.Unlock()
	measure("recalibrated")
	s.wmu.Lock()
	t0 = time.Now()
	s.rebuildIVF()
	for work := s.ivfWork(); work != nil; work = s.ivfWork() {
		work()
	}
	t.Logf("retrain at 1M %v", time.Since(t0))
	s.wmu.Unlock()
	measure("retrained at 1M")
}
