package cluster

import (
	"cmp"
	"context"
	"slices"
)

// Groups splits items into visual groups, largest first (ties: the group
// holding the smallest ID first). A photo unlike any other is a group of
// one. Up to Options.MaxExact items are clustered exactly; beyond that the
// items are first split by spherical k-means, and groups never span parts.
func Groups(ctx context.Context, items []Item, opt Options) ([]Group, error) {
	opt = opt.withDefaults()
	if err := checkDims(items); err != nil {
		return nil, err
	}
	var out []Group
	for _, part := range partition(ctx, items, opt) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		sub := make([]Item, len(part))
		for i, idx := range part {
			sub[i] = items[idx]
		}
		idxGroups, m, err := averageLinkage(ctx, sub, opt.Threshold)
		if err != nil {
			return nil, err
		}
		for _, g := range idxGroups {
			out = append(out, makeGroup(sub, m, g))
		}
	}
	sortGroups(out)
	return out, nil
}

// makeGroup orders a group's members: medoid first, then by similarity to it.
func makeGroup(items []Item, m *simMatrix, idx []int) Group {
	medoid, bestSum := idx[0], float32(-1e30)
	for _, i := range idx {
		var sum float32
		for _, j := range idx {
			sum += m.at(i, j)
		}
		if sum > bestSum || (sum == bestSum && items[i].ID < items[medoid].ID) {
			medoid, bestSum = i, sum
		}
	}
	ordered := slices.Clone(idx)
	slices.SortFunc(ordered, func(a, b int) int {
		if a == medoid || b == medoid {
			if a == b {
				return 0
			}
			if a == medoid {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(m.at(medoid, b), m.at(medoid, a)); c != 0 {
			return c
		}
		return cmp.Compare(items[a].ID, items[b].ID)
	})
	g := Group{IDs: make([]int64, len(ordered)), Cohesion: 1}
	var sum float32
	for k, i := range ordered {
		g.IDs[k] = items[i].ID
		if k > 0 {
			sum += m.at(medoid, i)
		}
	}
	if len(ordered) > 1 {
		g.Cohesion = sum / float32(len(ordered)-1)
	}
	return g
}

func sortGroups(gs []Group) {
	slices.SortFunc(gs, func(a, b Group) int {
		if c := cmp.Compare(len(b.IDs), len(a.IDs)); c != 0 {
			return c
		}
		return cmp.Compare(slices.Min(a.IDs), slices.Min(b.IDs))
	})
}
