package cluster

import "context"

// averageLinkage clusters items exactly: average-linkage agglomerative
// clustering on cosine similarity, merging while the two closest groups are
// at least threshold alike. It uses the nearest-neighbour-chain algorithm
// (O(n²) time on the similarity matrix), which gives the same result as the
// textbook O(n³) loop because average linkage is reducible. It returns the
// groups as index lists into items, plus the matrix for later use.
func averageLinkage(ctx context.Context, items []Item, threshold float32) ([][]int, *simMatrix, error) {
	n := len(items)
	if n == 0 {
		return nil, nil, nil
	}
	m, err := newSimMatrix(ctx, items)
	if err != nil {
		return nil, nil, err
	}
	// link holds the current average similarities between clusters; it
	// starts as a copy of the matrix, which stays intact for the callers.
	link := &simMatrix{n: n, s: append([]float32(nil), m.s...)}
	members := make([][]int, n)
	for i := range members {
		members[i] = []int{i}
	}
	active := make([]bool, n) // still mergeable
	for i := range active {
		active[i] = true
	}
	remaining := n
	var chain []int
	next := 0 // lowest index that may still be active
	for remaining > 1 {
		if len(chain) == 0 {
			for !active[next] {
				next++
			}
			chain = append(chain, next)
		}
		a := chain[len(chain)-1]
		// a's nearest active neighbour; ties go to the previous chain
		// element (so the chain terminates), then to the lower index.
		prev := -1
		if len(chain) > 1 {
			prev = chain[len(chain)-2]
		}
		best, bestSim := -1, float32(-2)
		if prev >= 0 {
			best, bestSim = prev, link.at(a, prev)
		}
		for c := 0; c < n; c++ {
			if c == a || !active[c] {
				continue
			}
			if s := link.at(a, c); s > bestSim {
				best, bestSim = c, s
			}
		}
		if best < 0 { // a is the only active cluster left
			break
		}
		if best != prev {
			chain = append(chain, best)
			continue
		}
		// a and prev are reciprocal nearest neighbours.
		chain = chain[:len(chain)-2]
		if bestSim < threshold {
			// Neither can ever reach threshold with anything: both are final.
			active[a], active[prev] = false, false
			remaining -= 2
			continue
		}
		keep, drop := min(a, prev), max(a, prev)
		na, nb := float32(len(members[keep])), float32(len(members[drop]))
		for c := 0; c < n; c++ {
			if !active[c] || c == keep || c == drop {
				continue
			}
			link.set(keep, c, (na*link.at(keep, c)+nb*link.at(drop, c))/(na+nb))
		}
		members[keep] = append(members[keep], members[drop]...)
		members[drop] = nil
		active[drop] = false
		remaining--
		if n > 2000 && remaining%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
		}
	}
	var groups [][]int
	for _, g := range members {
		if len(g) > 0 {
			groups = append(groups, g)
		}
	}
	return groups, m, nil
}
