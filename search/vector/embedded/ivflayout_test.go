package embedded

import (
	"math"
	"testing"
)

// After training, every list occupies one run of slots, and every record
// still has its own vector and metadata under its ID.
func TestTrainingLaysListsOutContiguously(t *testing.T) {
	s, recs := openIVF(t, t.TempDir(), ivfMin+3000) // the last 3000 absorbed
	s.wmu.Lock()
	s.rebuildIVF()
	s.wmu.Unlock()
	checkIVF(t, s)
	s.mu.RLock()
	defer s.mu.RUnlock()
	x, v := s.idx, s.idx.ivf
	for l, list := range v.lists[:v.nlist] {
		for p, sl := range list {
			if p > 0 && sl != list[p-1]+1 {
				t.Fatalf("list %d: slot %d follows %d", l, sl, list[p-1])
			}
		}
	}
	for _, r := range recs {
		sl, ok := x.slot[r.ID]
		if !ok || x.ids[sl] != r.ID {
			t.Fatalf("record %d lost its slot", r.ID)
		}
		sc, _ := unitScale(r.Vector)
		for j, f := range x.vecs[int(sl)*x.dim : int(sl+1)*x.dim] {
			if math.Abs(float64(f-r.Vector[j]*sc)) > 1e-6 {
				t.Fatalf("record %d: dimension %d is %v, want %v", r.ID, j, f, r.Vector[j]*sc)
			}
		}
		if got := x.strs.strs[x.metas[sl].model]; got != r.Meta.Model {
			t.Fatalf("record %d: model %q, want %q", r.ID, got, r.Meta.Model)
		}
	}
}
