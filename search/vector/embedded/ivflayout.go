package embedded

import "sync"

// Records are stored in slot order, and slots are handed out in insertion
// order, so the members of one IVF list lie scattered through memory: a
// probe of 2% of the lists at 1M×512 reads 20k vectors of 2 KB from 20k
// places, and waits on memory for each. After training, the store
// therefore renumbers its slots list by list (listOrder), so that each
// list's vectors are contiguous and a probe streams them. Records written
// later go to the end (the tail) and, once absorbed, stay there until the
// next training; swap-deletes move one record each. Both only loosen the
// layout a little.
//
// The records are moved in place, cycle by cycle, under the exclusive
// lock: searches wait for it (0.6 s at 1M×512), but no second copy of
// the vectors is made. With one, `simili bench` peaked at 8.5 GB in its
// 1M×512 row (the grown array with its slack, the copy, both code sets);
// a library of 1M ResNet50 vectors would have needed 16 GB.

// layout is a renumbering of the slots list by list, ready to install.
type layout struct {
	order []int32 // new slot → old slot
	v     *ivf    // the index renumbered to match
}

// listOrder returns the renumbering that puts the slots of list 0 first,
// then list 1, …, then the tail, with v renumbered to match; v's codes,
// if any, are the ones installLayout rearranges. It only reads x and v
// (the caller holds wmu), so searches go on meanwhile.
func listOrder(x *index, v *ivf) layout {
	n := x.len()
	order := make([]int32, 0, n)
	for _, list := range v.lists {
		order = append(order, list...)
	}
	of := make([]int32, n)
	for ns, old := range order {
		of[ns] = v.of[old]
	}
	cp := *v
	cp.fill(n, of) // places slots in increasing order: each list a range
	return layout{order: order, v: &cp}
}

// installLayout moves x's records (and the slot-indexed codes of l.v)
// into l's order and installs l.v. Caller holds wmu and mu (exclusively).
func (x *index) installLayout(l layout) {
	dim, order := x.dim, l.order
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the vectors are most of the work: one core for them
		defer wg.Done()
		permuteRows(x.vecs, dim, order)
	}()
	permuteRows(x.ids, 1, order)
	permuteRows(x.metas, 1, order)
	if c := l.v.codes; c != nil {
		permuteRows(c.bits, c.nb, order)
		permuteRows(c.scale, 1, order)
	}
	if c := l.v.i8; c != nil {
		permuteRows(c.codes, c.dim, order)
		permuteRows(c.scale, 1, order)
	}
	wg.Wait()
	x.ivf = l.v
	for s, id := range x.ids {
		x.slot[id] = int32(s)
	}
}

// permuteRows rearranges data, rows of width elements, so that row i holds
// what row order[i] held. It follows the permutation's cycles with one row
// of scratch (and a bit per row), so the array is never copied whole.
func permuteRows[T any](data []T, width int, order []int32) {
	done := make([]uint64, (len(order)+63)/64)
	mark := func(i int) { done[i>>6] |= 1 << (i & 63) }
	tmp := make([]T, width)
	row := func(i int) []T { return data[i*width : (i+1)*width] }
	for start := range order {
		if done[start>>6]&(1<<(start&63)) != 0 {
			continue
		}
		mark(start)
		if int(order[start]) == start {
			continue
		}
		copy(tmp, row(start))
		i := start
		for {
			src := int(order[i])
			if src == start {
				copy(row(i), tmp)
				break
			}
			copy(row(i), row(src))
			mark(src)
			i = src
		}
	}
}
