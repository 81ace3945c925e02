package cluster

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// clustered returns n points around k random unit centres in d dimensions,
// with Gaussian noise of the given scale, normalised, in shuffled order.
func clustered(seed uint64, n, k, d int, noise float64) ([]Item, map[int64]string) {
	rng := rand.New(rand.NewPCG(seed, 1))
	centres := make([][]float32, k)
	for c := range centres {
		v := make([]float32, d)
		for j := range v {
			v[j] = float32(rng.NormFloat64())
		}
		normalise(v)
		centres[c] = v
	}
	items := make([]Item, n)
	truth := map[int64]string{}
	for i := range items {
		c := i % k
		v := make([]float32, d)
		for j := range v {
			v[j] = centres[c][j] + float32(noise*rng.NormFloat64()/math.Sqrt(float64(d)))
		}
		normalise(v)
		items[i] = Item{ID: int64(i + 1), Vec: v}
		truth[int64(i+1)] = fmt.Sprint(c)
	}
	rng.Shuffle(n, func(a, b int) { items[a], items[b] = items[b], items[a] })
	return items, truth
}

func TestGroupsRecoverGeneratedClusters(t *testing.T) {
	items, truth := clustered(1, 600, 12, 64, 0.5)
	groups, err := Groups(context.Background(), items, Options{Threshold: 0.6})
	if err != nil {
		t.Fatal(err)
	}
	p, ari := Purity(groups, truth), ARI(groups, truth)
	t.Logf("600 points, 12 clusters: %d groups, purity %.3f, ARI %.3f", len(groups), p, ari)
	if len(groups) != 12 || p < 0.999 || ari < 0.999 {
		t.Fatalf("got %d groups, purity %.3f, ARI %.3f; want 12, 1, 1", len(groups), p, ari)
	}
	for i := 1; i < len(groups); i++ {
		if len(groups[i].IDs) > len(groups[i-1].IDs) {
			t.Fatalf("groups not sorted by size: %d after %d", len(groups[i].IDs), len(groups[i-1].IDs))
		}
	}
}

func TestGroupsAreDeterministic(t *testing.T) {
	items, _ := clustered(2, 400, 9, 32, 0.8)
	a, err := Groups(context.Background(), items, Options{MaxExact: 100, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Groups(context.Background(), items, Options{MaxExact: 100, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(a, b, func(x, y Group) bool { return slices.Equal(x.IDs, y.IDs) }) {
		t.Fatal("two runs on the same input gave different groups")
	}
}

func TestPartitionedGroupsStayPure(t *testing.T) {
	items, truth := clustered(3, 3000, 40, 64, 0.5)
	start := time.Now()
	groups, err := Groups(context.Background(), items, Options{Threshold: 0.6, MaxExact: 500})
	if err != nil {
		t.Fatal(err)
	}
	p, ari := Purity(groups, truth), ARI(groups, truth)
	t.Logf("3000 points in parts of ≤500: %d groups, purity %.3f, ARI %.3f in %s", len(groups), p, ari, time.Since(start))
	if p < 0.999 || ari < 0.9 {
		t.Fatalf("purity %.3f, ARI %.3f; want 1 and ≥ 0.9", p, ari)
	}
}

func TestSingletonsAndEdgeCases(t *testing.T) {
	g, err := Groups(context.Background(), nil, Options{})
	if err != nil || len(g) != 0 {
		t.Fatalf("empty input: %v, %v", g, err)
	}
	one := []Item{{ID: 5, Vec: []float32{1, 0}}}
	g, err = Groups(context.Background(), one, Options{})
	if err != nil || len(g) != 1 || g[0].IDs[0] != 5 || g[0].Cohesion != 1 {
		t.Fatalf("one item: %+v, %v", g, err)
	}
	_, err = Groups(context.Background(), []Item{{ID: 1, Vec: []float32{1}}, {ID: 2, Vec: []float32{1, 0}}}, Options{})
	if err == nil {
		t.Fatal("mixed dimensions accepted")
	}
	same := make([]Item, 50)
	for i := range same {
		same[i] = Item{ID: int64(i), Vec: []float32{0, 1}}
	}
	g, err = Groups(context.Background(), same, Options{MaxExact: 10})
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, x := range g {
		total += len(x.IDs)
	}
	if total != 50 {
		t.Fatalf("identical vectors: %d items in groups, want 50", total)
	}
}

func TestCancelledContextStops(t *testing.T) {
	items, _ := clustered(4, 2000, 10, 64, 0.5)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Groups(ctx, items, Options{}); err == nil {
		t.Fatal("cancelled context: no error")
	}
}

func TestOrderKeepsNeighboursTogether(t *testing.T) {
	items, truth := clustered(5, 300, 10, 64, 0.5)
	for _, maxExact := range []int{0, 50} {
		ids, err := Order(context.Background(), items, Options{Threshold: 0.6, MaxExact: maxExact})
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) != len(items) {
			t.Fatalf("order has %d ids, want %d", len(ids), len(items))
		}
		seen := map[int64]bool{}
		switches := 0
		for i, id := range ids {
			if seen[id] {
				t.Fatalf("id %d twice", id)
			}
			seen[id] = true
			if i > 0 && truth[id] != truth[ids[i-1]] {
				switches++
			}
		}
		t.Logf("MaxExact %d: %d cluster changes along the order (10 clusters → 9 at best)", maxExact, switches)
		if switches > 12 {
			t.Fatalf("MaxExact %d: %d cluster changes, want ≤ 12", maxExact, switches)
		}
		if maxExact == 0 && ids[0] != items[0].ID {
			t.Fatalf("order starts at %d, want the first item %d", ids[0], items[0].ID)
		}
	}
}

func TestARIAndPurity(t *testing.T) {
	truth := map[int64]string{1: "a", 2: "a", 3: "b", 4: "b"}
	perfect := []Group{{IDs: []int64{1, 2}}, {IDs: []int64{3, 4}}}
	if ARI(perfect, truth) != 1 || Purity(perfect, truth) != 1 {
		t.Fatal("perfect partition not scored 1")
	}
	mixed := []Group{{IDs: []int64{1, 3}}, {IDs: []int64{2, 4}}}
	if a := ARI(mixed, truth); a >= 0 {
		t.Fatalf("crossed partition ARI %.3f, want < 0", a)
	}
}

func BenchmarkGroups(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		items, _ := clustered(6, n, n/20, 512, 0.6)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				if _, err := Groups(context.Background(), items, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
