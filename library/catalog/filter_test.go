package catalog

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/simili/simili/library/facet"
)

// TestSQLFilterAgreesWithMatch checks the catalog's SQL against the
// reference semantics on names where SQL's habits differ from byte-wise
// comparison: case, LIKE wildcards, prefixes that are not parents.
func TestSQLFilterAgreesWithMatch(t *testing.T) {
	ctx := context.Background()
	c, _ := openTest(t)
	folders := []string{"/p/a", "/p/A", "/p/a/deep", "/p/ab", "/p/a%", "/p/a_", "/p/A/x", "/p/a0", "/p/a.", "/q"}
	cameras := []string{"Canon", "canon", "CANON", "Can%", "Can_n"}
	var photos []*Photo
	for i, dir := range folders {
		for j, cam := range cameras {
			p := &Photo{Path: fmt.Sprintf("%s/%d-%d.jpg", dir, i, j), Size: 1, ModTime: time.Unix(1, 0),
				Hash: fmt.Sprintf("h%d-%d", i, j), Make: cam, Model: cam + " X", Lens: cam + " L"}
			if j%2 == 0 {
				p.TakenAt = time.Date(2020, 1, 1+j, 0, 0, 0, 0, time.UTC)
			}
			if err := c.PutPhoto(ctx, p, 1); err != nil {
				t.Fatal(err)
			}
			photos = append(photos, p)
		}
	}
	filters := []facet.Filter{
		{Folder: "/p/a"}, {Folder: "/p/A"}, {Folder: "/p/a/"}, {Folder: "/p/a%"}, {Folder: "/p/a_"}, {Folder: "/"},
		{Camera: "canon"}, {Camera: "Canon X"}, {Camera: "Can%"}, {Camera: "Can_n"},
		{Lens: "CANON L"}, {Lens: "canon l"},
		{From: time.Date(2020, 1, 2, 0, 0, 0, 0, time.UTC)}, {To: time.Date(2020, 1, 3, 0, 0, 0, 0, time.UTC)},
		{Folder: "/p/a", Camera: "Canon", To: time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	for _, f := range filters {
		t.Run(fmt.Sprintf("%+v", f), func(t *testing.T) {
			var want []string
			for _, p := range photos {
				if f.Match(p.VectorMeta()) {
					want = append(want, p.Path)
				}
			}
			got, err := c.List(ctx, Query{Filter: f})
			if err != nil {
				t.Fatal(err)
			}
			var paths []string
			for _, p := range got {
				paths = append(paths, p.Path)
			}
			slices.Sort(want)
			slices.Sort(paths)
			if !slices.Equal(paths, want) {
				t.Fatalf("SQL gives %d photos %v\nMatch gives %d %v", len(paths), paths, len(want), want)
			}
			n, err := c.Count(ctx, f)
			if err != nil || n != len(want) {
				t.Fatalf("Count = %d, %v; want %d", n, err, len(want))
			}
		})
	}
}
