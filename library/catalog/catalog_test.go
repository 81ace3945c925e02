package catalog

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/simili/simili/library/facet"
)

func openTest(t *testing.T) (*Catalog, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "catalog.db")
	c, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c, path
}

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestReopenKeepsDataAndSchema(t *testing.T) {
	ctx := context.Background()
	c, path := openTest(t)
	p := &Photo{Path: "/pics/a.jpg", Size: 10, ModTime: time.Unix(100, 5), Hash: "aa", Model: "DMC-FX33", TakenAt: day("2008-01-02"), TakenAtSource: "DateTimeOriginal", GPS: &GPS{Lat: 1.5, Lon: -2.25}}
	if err := c.PutPhoto(ctx, p, 1); err != nil {
		t.Fatal(err)
	}
	c.Close()
	c2, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer c2.Close()
	v, err := c2.SchemaVersion(ctx)
	if err != nil || v != len(migrations) {
		t.Fatalf("schema version = %d, %v; want %d", v, err, len(migrations))
	}
	got, err := c2.PhotoByPath(ctx, "/pics/a.jpg")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != p.ID || got.Folder != "/pics" || !got.ModTime.Equal(p.ModTime) || !got.TakenAt.Equal(p.TakenAt) ||
		got.GPS == nil || got.GPS.Lat != 1.5 || got.GPS.Lon != -2.25 || got.Orientation != 1 {
		t.Fatalf("round trip: got %+v, want %+v", got, p)
	}
}

func TestPutPhotoUpdatesByPathAndID(t *testing.T) {
	ctx := context.Background()
	c, _ := openTest(t)
	p := &Photo{Path: "/a/x.jpg", Hash: "h1", ModTime: time.Unix(1, 0)}
	if err := c.PutPhoto(ctx, p, 1); err != nil {
		t.Fatal(err)
	}
	first := p.ID
	again := &Photo{Path: "/a/x.jpg", Hash: "h2", ModTime: time.Unix(2, 0)}
	if err := c.PutPhoto(ctx, again, 2); err != nil {
		t.Fatal(err)
	}
	if again.ID != first {
		t.Fatalf("same path got a new id %d, want %d", again.ID, first)
	}
	moved := &Photo{ID: first, Path: "/b/y.jpg", Hash: "h2", ModTime: time.Unix(2, 0)}
	if err := c.PutPhoto(ctx, moved, 3); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PhotoByPath(ctx, "/a/x.jpg"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("old path still catalogued: %v", err)
	}
	got, err := c.Photo(ctx, first)
	if err != nil || got.Path != "/b/y.jpg" || got.Folder != "/b" {
		t.Fatalf("moved photo = %+v, %v", got, err)
	}
}

func TestEmbeddingsAreKeyedByContent(t *testing.T) {
	ctx := context.Background()
	c, _ := openTest(t)
	for _, path := range []string{"/a/1.jpg", "/b/copy.jpg"} {
		if err := c.PutPhoto(ctx, &Photo{Path: path, Hash: "same", ModTime: time.Unix(1, 0)}, 1); err != nil {
			t.Fatal(err)
		}
	}
	vec := []float32{0.6, 0.8, -0}
	if err := c.PutEmbedding(ctx, "same", "squeezenet", vec); err != nil {
		t.Fatal(err)
	}
	got, ok, err := c.Embedding(ctx, "same", "squeezenet")
	if err != nil || !ok || len(got) != 3 || got[0] != 0.6 || got[1] != 0.8 {
		t.Fatalf("embedding = %v %v %v", got, ok, err)
	}
	if _, ok, _ := c.Embedding(ctx, "same", "resnet50"); ok {
		t.Fatal("an embedding of another model was returned")
	}
	n, err := c.CountEmbedded(ctx, "squeezenet")
	if err != nil || n != 2 {
		t.Fatalf("both copies share the embedding: count = %d, %v", n, err)
	}
	var seen int
	if err := c.EachEmbedded(ctx, "squeezenet", func(e EmbeddedPhoto) error {
		seen++
		if len(e.Vector) != 3 {
			t.Errorf("vector of %s has %d values", e.Photo.Path, len(e.Vector))
		}
		return nil
	}); err != nil || seen != 2 {
		t.Fatalf("EachEmbedded saw %d, %v", seen, err)
	}
	p, _ := c.PhotoByPath(ctx, "/a/1.jpg")
	q, _ := c.PhotoByPath(ctx, "/b/copy.jpg")
	if err := c.DeletePhotos(ctx, []int64{p.ID}); err != nil {
		t.Fatal(err)
	}
	if n, _ := c.PruneEmbeddings(ctx); n != 0 {
		t.Fatalf("pruned %d embeddings still used by a copy", n)
	}
	if err := c.DeletePhotos(ctx, []int64{q.ID}); err != nil {
		t.Fatal(err)
	}
	if n, _ := c.PruneEmbeddings(ctx); n != 1 {
		t.Fatalf("pruned %d, want 1 unused embedding", n)
	}
}

func TestListFilters(t *testing.T) {
	ctx := context.Background()
	c, _ := openTest(t)
	photos := []Photo{
		{Path: "/lib/2007/a.jpg", Make: "Panasonic", Model: "DMC-FX33", TakenAt: day("2007-05-01")},
		{Path: "/lib/2007/b.jpg", Make: "Canon", Model: "Canon PowerShot A60", Lens: "L1", TakenAt: day("2007-06-01")},
		{Path: "/lib/2008/c.jpg", Make: "Panasonic", Model: "DMC-FX33", TakenAt: day("2008-01-01")},
		{Path: "/lib/2007x/d.jpg", Make: "Panasonic", Model: "DMC-FX33", TakenAt: day("2009-01-01")},
		{Path: "/lib/100%_done/e.jpg", Model: "X", TakenAt: day("2006-01-01")},
		{Path: "/lib/undated.jpg", Model: "DMC-FX33"},
	}
	for i := range photos {
		photos[i].Hash = photos[i].Path
		if err := c.PutPhoto(ctx, &photos[i], 1); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		f    facet.Filter
		want []string // newest first
	}{
		{"all", facet.Filter{}, []string{"/lib/2007x/d.jpg", "/lib/2008/c.jpg", "/lib/2007/b.jpg", "/lib/2007/a.jpg", "/lib/100%_done/e.jpg", "/lib/undated.jpg"}},
		{"camera model", facet.Filter{Camera: "DMC-FX33"}, []string{"/lib/2007x/d.jpg", "/lib/2008/c.jpg", "/lib/2007/a.jpg", "/lib/undated.jpg"}},
		{"camera make", facet.Filter{Camera: "Canon"}, []string{"/lib/2007/b.jpg"}},
		{"lens", facet.Filter{Lens: "L1"}, []string{"/lib/2007/b.jpg"}},
		{"date range inclusive", facet.Filter{From: day("2007-05-01"), To: day("2008-01-01")}, []string{"/lib/2008/c.jpg", "/lib/2007/b.jpg", "/lib/2007/a.jpg"}},
		{"folder not sibling", facet.Filter{Folder: "/lib/2007"}, []string{"/lib/2007/b.jpg", "/lib/2007/a.jpg"}},
		{"folder wildcard chars literal", facet.Filter{Folder: "/lib/100%_done"}, []string{"/lib/100%_done/e.jpg"}},
		{"folder tree", facet.Filter{Folder: "/lib"}, []string{"/lib/2007x/d.jpg", "/lib/2008/c.jpg", "/lib/2007/b.jpg", "/lib/2007/a.jpg", "/lib/100%_done/e.jpg", "/lib/undated.jpg"}},
		{"combined", facet.Filter{Camera: "DMC-FX33", From: day("2008-01-01")}, []string{"/lib/2007x/d.jpg", "/lib/2008/c.jpg"}},
		{"injection is literal", facet.Filter{Camera: "x' OR 1=1 --"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.List(ctx, Query{Filter: tt.f})
			if err != nil {
				t.Fatal(err)
			}
			var paths []string
			for _, p := range got {
				paths = append(paths, p.Path)
			}
			if len(paths) != len(tt.want) {
				t.Fatalf("got %v, want %v", paths, tt.want)
			}
			for i := range paths {
				if paths[i] != tt.want[i] {
					t.Fatalf("got %v, want %v", paths, tt.want)
				}
			}
			n, err := c.Count(ctx, tt.f)
			if err != nil || n != len(tt.want) {
				t.Fatalf("Count = %d, %v; want %d", n, err, len(tt.want))
			}
		})
	}
	facets, err := c.Facets(ctx, "model")
	if err != nil {
		t.Fatal(err)
	}
	if len(facets) == 0 || facets[0].Value != "DMC-FX33" || facets[0].Count != 4 {
		t.Fatalf("model facets = %+v", facets)
	}
	if _, err := c.Facets(ctx, "path; DROP TABLE photos"); err == nil {
		t.Fatal("an unknown facet field was accepted")
	}
}

func TestPendingWork(t *testing.T) {
	ctx := context.Background()
	c, _ := openTest(t)
	if err := c.MarkPending(ctx, "milvus", "squeezenet", SyncUpsert, []int64{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	if err := c.MarkPending(ctx, "milvus", "squeezenet", SyncDelete, []int64{2}); err != nil {
		t.Fatal(err)
	}
	if err := c.MarkPending(ctx, "embedded", "squeezenet", SyncUpsert, []int64{9}); err != nil {
		t.Fatal(err)
	}
	work, err := c.PendingWork(ctx, "milvus", "squeezenet", 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []Pending{{1, SyncUpsert}, {2, SyncDelete}, {3, SyncUpsert}}
	if len(work) != len(want) {
		t.Fatalf("pending = %v, want %v", work, want)
	}
	for i := range want {
		if work[i] != want[i] {
			t.Fatalf("pending = %v, want %v", work, want)
		}
	}
	// Clearing an op that was replaced meanwhile keeps the newer op.
	if err := c.ClearPending(ctx, "milvus", "squeezenet", []Pending{{1, SyncUpsert}, {2, SyncUpsert}}); err != nil {
		t.Fatal(err)
	}
	n, _ := c.PendingCount(ctx, "milvus", "squeezenet")
	if n != 2 {
		t.Fatalf("pending after clear = %d, want 2 (delete of 2 and upsert of 3)", n)
	}
	if n, _ := c.PendingCount(ctx, "embedded", "squeezenet"); n != 1 {
		t.Fatalf("other store's pending work touched: %d", n)
	}
}

func TestFailuresAreRememberedAndClearedOnSuccess(t *testing.T) {
	ctx := context.Background()
	c, _ := openTest(t)
	f := Failure{Path: "/a/bad.jpg", Size: 3, ModTime: time.Unix(5, 0), Reason: "decode", Message: "unexpected EOF"}
	if err := c.PutFailure(ctx, f); err != nil {
		t.Fatal(err)
	}
	got, ok, err := c.FailureFor(ctx, f.Path)
	if err != nil || !ok || got.Reason != "decode" || !got.ModTime.Equal(f.ModTime) {
		t.Fatalf("failure = %+v %v %v", got, ok, err)
	}
	counts, _ := c.FailureCounts(ctx)
	if counts["decode"] != 1 {
		t.Fatalf("counts = %v", counts)
	}
	if err := c.PutPhoto(ctx, &Photo{Path: f.Path, Hash: "fixed"}, 2); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := c.FailureFor(ctx, f.Path); ok {
		t.Fatal("a file that now indexes still has a failure recorded")
	}
}

func TestUnseenLeavesOtherRootsAlone(t *testing.T) {
	ctx := context.Background()
	c, _ := openTest(t)
	for i, path := range []string{"/r/a.jpg", "/r/sub/b.jpg", "/rr/c.jpg"} {
		if err := c.PutPhoto(ctx, &Photo{Path: path, Hash: path}, int64(i+1)); err != nil {
			t.Fatal(err)
		}
	}
	a, _ := c.PhotoByPath(ctx, "/r/a.jpg")
	if err := c.MarkSeen(ctx, []int64{a.ID}, 10); err != nil {
		t.Fatal(err)
	}
	gone, err := c.Unseen(ctx, "/r", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(gone) != 1 || gone[0].Path != "/r/sub/b.jpg" {
		t.Fatalf("unseen = %+v, want only /r/sub/b.jpg", gone)
	}
}
