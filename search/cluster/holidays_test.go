package cluster_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/simili/simili/search/eval"

	"github.com/simili/simili/internal/testenv"
	"github.com/simili/simili/library/catalog"
	"github.com/simili/simili/search/cluster"
	"github.com/simili/simili/search/embed"
	"github.com/simili/simili/search/engine"
)

// holidaysItems indexes the holidays photos with SqueezeNet into a
// temporary library and returns their vectors and ground-truth scenes.
func holidaysItems(t *testing.T) ([]cluster.Item, map[int64]string) {
	t.Helper()
	if _, err := embed.FindRuntime(); err != nil {
		testenv.Skipf(t, "ONNX Runtime not installed (run `make onnxruntime`): %v", err)
	}
	dir := testenv.Holidays(t)
	root := t.TempDir()
	cfg := engine.Config{
		DataDir: filepath.Join(root, "data"), CacheDir: filepath.Join(root, "cache"),
		Model: "squeezenet", ModelFile: testenv.SqueezeNet(t), Store: "embedded", Workers: 2, ThumbSize: 64,
	}
	ctx := context.Background()
	eng, err := engine.Open(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = eng.Index(ctx, []string{dir}, engine.IndexOptions{})
	eng.Close() // the catalog is read directly below
	if err != nil {
		t.Fatal(err)
	}
	groups := readGroups(t, filepath.Join(dir, "groups.csv"))
	var items []cluster.Item
	truth := map[int64]string{}
	cat, err := catalog.Open(ctx, cfg.CatalogPath())
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	err = cat.EachEmbedded(ctx, "squeezenet", func(ep catalog.EmbeddedPhoto) error {
		items = append(items, cluster.Item{ID: ep.Photo.ID, Vec: ep.Vector})
		g, ok := groups[filepath.Base(ep.Photo.Path)]
		if !ok {
			return fmt.Errorf("%s not in groups.csv", ep.Photo.Path)
		}
		truth[ep.Photo.ID] = g
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 261 {
		t.Fatalf("%d embedded photos, want 261", len(items))
	}
	return items, truth
}

// readGroups reads the scene labels with the product's own reader.
func readGroups(t *testing.T, path string) map[string]string {
	t.Helper()
	g, err := eval.ReadGroups(path)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestHolidaysGroups measures the visual groups against the scenes of
// groups.csv (157 scenes, 98 of them single photos). A perfect grouping
// has purity 1 and ARI 1; it reports a sweep over thresholds, and checks
// the default.
func TestHolidaysGroups(t *testing.T) {
	items, truth := holidaysItems(t)
	ctx := context.Background()
	var lines []string
	for _, th := range []float32{0.60, 0.70, 0.75, 0.78, 0.80, 0.82, 0.85} {
		start := time.Now()
		groups, err := cluster.Groups(ctx, items, cluster.Options{Threshold: th})
		if err != nil {
			t.Fatal(err)
		}
		multi := 0
		for _, g := range groups {
			if len(g.IDs) > 1 {
				multi++
			}
		}
		lines = append(lines, fmt.Sprintf("threshold %.2f: %3d groups (%2d with 2+ photos), purity %.3f, ARI %.3f, %s",
			th, len(groups), multi, cluster.Purity(groups, truth), cluster.ARI(groups, truth), time.Since(start).Round(time.Millisecond)))
	}
	t.Log("holidays-1024, SqueezeNet, average linkage:\n" + strings.Join(lines, "\n"))

	groups, err := cluster.Groups(ctx, items, cluster.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, ari := cluster.Purity(groups, truth), cluster.ARI(groups, truth)
	t.Logf("default threshold %.2f: %d groups, purity %.3f, ARI %.3f", cluster.DefaultThreshold, len(groups), p, ari)
	if p < 0.90 || ari < 0.60 {
		t.Errorf("purity %.3f, ARI %.3f; want ≥ 0.90 and ≥ 0.60", p, ari)
	}

	// Similarity order: how often is a photo next to one of its own scene?
	ids, err := cluster.Order(ctx, items, cluster.Options{})
	if err != nil {
		t.Fatal(err)
	}
	adjacent, pairs := 0, 0
	for i := 1; i < len(ids); i++ {
		if truth[ids[i]] == truth[ids[i-1]] {
			adjacent++
		}
	}
	sizes := map[string]int{}
	for _, g := range truth {
		sizes[g]++
	}
	for _, n := range sizes {
		pairs += n - 1 // the most same-scene neighbours an order can have
	}
	t.Logf("similarity order: %d of at most %d neighbours share their scene (%.0f%%)", adjacent, pairs, 100*float64(adjacent)/float64(pairs))
	if float64(adjacent) < 0.6*float64(pairs) {
		t.Errorf("only %d of %d same-scene neighbours in the order", adjacent, pairs)
	}
}
