package embedded

import (
	"math"

	"github.com/simili/simili/library/facet"
)

// meta is the compact, interned form of facet.Meta: 32 bytes per record
// instead of five strings and a time.Time.
type meta struct {
	taken                      int64 // Unix seconds; valid when flags&flagDated != 0
	maker, model, lens, folder uint32
	flags                      uint8
}

const (
	flagDated uint8 = 1 << iota
	flagGPS
)

// interner keeps one copy of each make/model/lens/folder string; photo
// libraries repeat a few hundred of them across every record. ID 0 is "".
type interner struct {
	ids  map[string]uint32
	strs []string
}

func newInterner() interner {
	return interner{ids: map[string]uint32{"": 0}, strs: []string{""}}
}

func (in *interner) intern(s string) uint32 {
	if id, ok := in.ids[s]; ok {
		return id
	}
	id := uint32(len(in.strs))
	s = string([]byte(s)) // detach from any larger buffer the caller holds
	in.ids[s] = id
	in.strs = append(in.strs, s)
	return id
}

func (in *interner) lookup(s string) (uint32, bool) {
	id, ok := in.ids[s]
	return id, ok
}

// index is the in-memory store: vectors in one contiguous slice (slot i at
// vecs[i*dim:]), parallel ids and metas, and an id→slot map. Deletes move the
// last slot into the hole, so the slices stay dense.
type index struct {
	dim   int
	vecs  []float32
	ids   []int64
	metas []meta
	slot  map[int64]int32
	strs  interner
	ivf   *ivf // nil until built; kept in step by put and remove
}

func newIndex(dim, capacity int) *index {
	return &index{
		dim:   dim,
		vecs:  make([]float32, 0, capacity*dim),
		ids:   make([]int64, 0, capacity),
		metas: make([]meta, 0, capacity),
		slot:  make(map[int64]int32, capacity),
		strs:  newInterner(),
	}
}

func (x *index) len() int { return len(x.ids) }

func (x *index) compact(m facet.Meta) meta {
	c := meta{
		maker:  x.strs.intern(m.Make),
		model:  x.strs.intern(m.Model),
		lens:   x.strs.intern(m.Lens),
		folder: x.strs.intern(m.Folder),
	}
	if !m.TakenAt.IsZero() {
		c.taken = m.TakenAt.Unix()
		c.flags |= flagDated
	}
	if m.HasGPS {
		c.flags |= flagGPS
	}
	return c
}

// put inserts or replaces id with v scaled by scale (to unit length).
func (x *index) put(id int64, v []float32, scale float32, m meta) {
	s, ok := x.slot[id]
	if !ok {
		s = int32(len(x.ids))
		x.slot[id] = s
		x.ids = append(x.ids, id)
		x.metas = append(x.metas, m)
		if len(x.vecs)+len(v) > cap(x.vecs) {
			// Grow by half into memory backed by huge pages: append's
			// 1.25× for large slices, each copy into 4 KB pages faulted
			// in one by one, took 9.5 of 50 CPU seconds of a 100k×2048
			// bulk load, all of it under the lock.
			grown := make([]float32, len(x.vecs), len(x.vecs)+max(len(v), len(x.vecs)/2))
			adviseHuge(grown[:cap(grown)])
			copy(grown, x.vecs)
			x.vecs = grown
		}
		x.vecs = append(x.vecs, v...)
	} else {
		x.metas[s] = m
		copy(x.vecs[int(s)*x.dim:], v)
	}
	dst := x.vecs[int(s)*x.dim : int(s+1)*x.dim]
	if scale != 1 {
		for i := range dst {
			dst[i] *= scale
		}
	}
	switch {
	case x.ivf == nil:
	case ok:
		x.ivf.changed(s, dst)
	default:
		x.ivf.added(s, dst)
	}
}

// remove deletes id by moving the last slot into its place.
func (x *index) remove(id int64) {
	s, ok := x.slot[id]
	if !ok {
		return
	}
	last := int32(len(x.ids) - 1)
	if x.ivf != nil {
		x.ivf.removed(s, last)
	}
	if s != last {
		lid := x.ids[last]
		x.ids[s] = lid
		x.metas[s] = x.metas[last]
		copy(x.vecs[int(s)*x.dim:int(s+1)*x.dim], x.vecs[int(last)*x.dim:])
		x.slot[lid] = s
	}
	delete(x.slot, id)
	x.ids = x.ids[:last]
	x.metas = x.metas[:last]
	x.vecs = x.vecs[:int(last)*x.dim]
}

// reset empties the index and lets the old arrays be collected.
func (x *index) reset() { *x = *newIndex(x.dim, 0) }

// unitScale returns the factor that brings v to unit length; ok is false for
// non-finite vectors. A zero vector keeps scale 1 (it scores 0 with
// everything) rather than failing a whole batch.
func unitScale(v []float32) (float32, bool) {
	var s float64
	for _, f := range v {
		s += float64(f) * float64(f)
	}
	if math.IsNaN(s) || math.IsInf(s, 0) {
		return 0, false
	}
	if s == 0 {
		return 1, true
	}
	return float32(1 / math.Sqrt(s)), true
}
