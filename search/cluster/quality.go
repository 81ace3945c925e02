package cluster

// Purity is the share of photos whose group's majority label is their own
// label: 1 when no group mixes scenes. truth maps an ID to its label; IDs
// missing from truth are ignored.
func Purity(groups []Group, truth map[int64]string) float64 {
	var right, total int
	for _, g := range groups {
		counts := map[string]int{}
		best := 0
		for _, id := range g.IDs {
			l, ok := truth[id]
			if !ok {
				continue
			}
			counts[l]++
			best = max(best, counts[l])
			total++
		}
		right += best
	}
	if total == 0 {
		return 0
	}
	return float64(right) / float64(total)
}

// ARI is the adjusted Rand index between groups and the ground truth: 1
// for the same partition, about 0 for a random one.
func ARI(groups []Group, truth map[int64]string) float64 {
	type cell struct {
		g int
		l string
	}
	table := map[cell]int{}
	rows := map[int]int{}
	cols := map[string]int{}
	n := 0
	for gi, g := range groups {
		for _, id := range g.IDs {
			l, ok := truth[id]
			if !ok {
				continue
			}
			table[cell{gi, l}]++
			rows[gi]++
			cols[l]++
			n++
		}
	}
	pairs := func(x int) float64 { return float64(x) * float64(x-1) / 2 }
	var index, sumRows, sumCols float64
	for _, v := range table {
		index += pairs(v)
	}
	for _, v := range rows {
		sumRows += pairs(v)
	}
	for _, v := range cols {
		sumCols += pairs(v)
	}
	total := pairs(n)
	if total == 0 {
		return 0
	}
	expected := sumRows * sumCols / total
	maxIndex := (sumRows + sumCols) / 2
	if maxIndex == expected {
		return 1
	}
	return (index - expected) / (maxIndex - expected)
}
