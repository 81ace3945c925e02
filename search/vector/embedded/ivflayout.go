package embedded

// Records are stored in slot order, and slots are handed out in insertion
// order, so the members of one IVF list lie scattered through memory: a
// probe of 2% of the lists at 1M×512 reads 20k vectors of 2 KB from 20k
// places, and waits on memory for each. After training, the store
// therefore renumbers its slots list by list (listOrder), so that each
// list's vectors are contiguous and a probe streams them. Records written
// later go to the end (the tail) and, once absorbed, stay there until the
// next training; swap-deletes move one record each. Both only loosen the
// layout a little.

// listOrder returns the index's arrays rearranged so that the slots of
// list 0 come first, then list 1, …, then the tail, together with v
// renumbered to match (its codes too, where it has them). It only reads x and v (the caller holds wmu), so
// searches go on meanwhile; the result is installed by install. Costs one
// transient copy of the vectors.
func listOrder(x *index, v *ivf) (vecs []float32, ids []int64, metas []meta, nv *ivf) {
	n, dim := x.len(), x.dim
	order := make([]int32, 0, n) // new slot → old slot
	for _, list := range v.lists {
		order = append(order, list...)
	}
	vecs = make([]float32, n*dim)
	adviseHuge(vecs)
	ids = make([]int64, n)
	metas = make([]meta, n)
	of := make([]int32, n)
	parallel(n, func(lo, hi int) {
		for ns := lo; ns < hi; ns++ {
			old := int(order[ns])
			copy(vecs[ns*dim:(ns+1)*dim], x.vecs[old*dim:(old+1)*dim])
			ids[ns], metas[ns], of[ns] = x.ids[old], x.metas[old], v.of[old]
		}
	})
	cp := *v
	cp.codes, cp.i8 = nil, nil // by slot: renumbered like the records
	if v.codes != nil {
		cp.codes = v.codes.permuted(order)
	}
	if v.i8 != nil {
		cp.i8 = v.i8.permuted(order)
	}
	cp.fill(n, of) // places slots in increasing order: each list a range
	return vecs, ids, metas, &cp
}

// installLayout replaces x's arrays with a listOrder result. Caller holds
// wmu and mu (exclusively).
func (x *index) installLayout(vecs []float32, ids []int64, metas []meta, v *ivf) {
	x.vecs, x.ids, x.metas, x.ivf = vecs, ids, metas, v
	for s, id := range ids {
		x.slot[id] = int32(s)
	}
}
