package embedded

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
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

// permuteRows must give what a copy into the new order gives, for every
// cycle structure: none (identity), one long cycle, many short ones, and
// random permutations, with rows of one and of several elements.
func TestPermuteRowsMatchesACopy(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	cycle := func(n int) []int32 { // one cycle through every row
		o := make([]int32, n)
		for i := range o {
			o[i] = int32((i + 1) % n)
		}
		return o
	}
	swaps := func(n int) []int32 { // n/2 cycles of two
		o := make([]int32, n)
		for i := range o {
			o[i] = int32(i ^ 1)
		}
		return o
	}
	identity := func(n int) []int32 {
		o := make([]int32, n)
		for i := range o {
			o[i] = int32(i)
		}
		return o
	}
	random := func(n int) []int32 {
		o := identity(n)
		rng.Shuffle(n, func(a, b int) { o[a], o[b] = o[b], o[a] })
		return o
	}
	for _, tc := range []struct {
		name     string
		n, width int
		order    func(int) []int32
	}{
		{"empty", 0, 3, identity},
		{"one row", 1, 5, identity},
		{"identity", 100, 3, identity},
		{"one cycle", 129, 1, cycle},
		{"one cycle, wide rows", 65, 7, cycle},
		{"pairs", 128, 2, swaps},
		{"random", 1000, 1, random},
		{"random, wide rows", 777, 16, random},
	} {
		t.Run(tc.name, func(t *testing.T) {
			order := tc.order(tc.n)
			data := make([]float32, tc.n*tc.width)
			for i := range data {
				data[i] = float32(i)
			}
			want := make([]float32, len(data))
			for ns, old := range order {
				copy(want[ns*tc.width:(ns+1)*tc.width], data[int(old)*tc.width:])
			}
			permuteRows(data, tc.width, order)
			if !slices.Equal(data, want) {
				t.Fatalf("rows differ from the copied order")
			}
		})
	}
}

// A layout moves the records in place: what it allocates (the order, the
// list maps) is a small fraction of the vectors it moves, where the copy
// it replaced allocated all of them again, with their codes.
func TestLayoutAllocatesNoSecondCopy(t *testing.T) {
	s, _ := openIVF(t, t.TempDir(), ivfMin+3000)
	defer s.Close()
	s.wmu.Lock()
	defer s.wmu.Unlock()
	vecBytes := uint64(len(s.idx.vecs)) * 4
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	s.relayoutIVF()
	runtime.ReadMemStats(&after)
	if got := after.TotalAlloc - before.TotalAlloc; got > vecBytes/4 {
		t.Fatalf("a layout of %d MB of vectors allocated %d MB", vecBytes>>20, got>>20)
	}
}
