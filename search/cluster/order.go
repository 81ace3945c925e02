package cluster

import "context"

// Order returns the item IDs arranged so that each photo is followed by a
// close look-alike: a greedy nearest-neighbour chain that starts with the
// first item (callers pass their natural order, e.g. newest first). Beyond
// Options.MaxExact items it chains the visual groups instead (by their
// representatives) and keeps each group's members together.
func Order(ctx context.Context, items []Item, opt Options) ([]int64, error) {
	opt = opt.withDefaults()
	if err := checkDims(items); err != nil {
		return nil, err
	}
	if len(items) <= opt.MaxExact {
		m, err := newSimMatrix(ctx, items)
		if err != nil {
			return nil, err
		}
		out := make([]int64, 0, len(items))
		for _, i := range chain(len(items), m.at) {
			out = append(out, items[i].ID)
		}
		return out, nil
	}
	groups, err := Groups(ctx, items, opt)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64][]float32, len(items))
	for _, it := range items {
		byID[it.ID] = it.Vec
	}
	reps := make([][]float32, len(groups))
	for i, g := range groups {
		reps[i] = byID[g.IDs[0]]
	}
	// Chaining thousands of representatives on the fly costs O(g²) dot
	// products but no g² matrix.
	sim := func(a, b int) float32 { return dot(reps[a], reps[b]) }
	out := make([]int64, 0, len(items))
	for _, gi := range chain(len(groups), sim) {
		out = append(out, groups[gi].IDs...)
	}
	return out, nil
}

// chain visits 0..n-1 starting at 0, always moving to the most similar
// unvisited element (ties: lowest index).
func chain(n int, sim func(a, b int) float32) []int {
	if n == 0 {
		return nil
	}
	visited := make([]bool, n)
	out := make([]int, 0, n)
	cur := 0
	for {
		visited[cur] = true
		out = append(out, cur)
		if len(out) == n {
			return out
		}
		best, bestSim := -1, float32(-3)
		for j := 0; j < n; j++ {
			if !visited[j] {
				if s := sim(cur, j); s > bestSim {
					best, bestSim = j, s
				}
			}
		}
		cur = best
	}
}
