package scan

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/simili/simili/library/catalog"
	"github.com/simili/simili/library/facet"
	"github.com/simili/simili/search/storesync"
)

// runPaths scans only paths under the fixture's root.
func (f *fixture) runPaths(ctx context.Context, paths ...string) (Result, error) {
	return Run(ctx, []string{f.root}, Options{
		Catalog: f.cat, Thumbs: f.thumbs, Embedder: f.emb, Workers: 2,
		Sync:  storesync.New(f.cat, f.store, "embedded", 4, nil),
		Paths: paths,
	})
}

// TestPathsScanOnlyTheChangedPaths is what the folder watcher relies on: a
// scan of a few paths catalogues, moves and removes exactly those, and
// leaves everything else alone, even files that changed elsewhere.
func TestPathsScanOnlyTheChangedPaths(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for i, rel := range []string{"a/1.jpg", "a/2.jpg", "b/3.jpg", "b/4.jpg", "album/5.jpg", "album/deep/6.jpg"} {
		f.writeImage(rel, i, false)
	}
	if _, err := f.run(ctx, f.store); err != nil {
		t.Fatal(err)
	}
	count := func() int {
		n, err := f.cat.Count(ctx, facet.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	runs := f.emb.calls.Load()

	// A new file, and one elsewhere that the batch does not name: only
	// the named one is read.
	added := f.writeImage("a/new.jpg", 10, false)
	f.writeImage("b/unnamed.jpg", 11, false)
	res, err := f.runPaths(ctx, added)
	if err != nil {
		t.Fatal(err)
	}
	if res.Processed != 1 || f.emb.calls.Load() != runs+1 || count() != 7 {
		t.Fatalf("processed %d, model runs %d, photos %d; want 1, 1, 7", res.Processed, f.emb.calls.Load()-runs, count())
	}
	runs++

	// A move from a/ to a new folder c/: both sides in one batch; the
	// photo keeps its id and embedding, no model run, and nothing else in
	// a/ is removed although a/ is not walked.
	from, to := filepath.Join(f.root, "a", "1.jpg"), filepath.Join(f.root, "c", "1.jpg")
	before, err := f.cat.PhotoByPath(ctx, from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(from, to); err != nil {
		t.Fatal(err)
	}
	res, err = f.runPaths(ctx, from, to)
	if err != nil {
		t.Fatal(err)
	}
	after, err := f.cat.PhotoByPath(ctx, to)
	if err != nil || after.ID != before.ID || res.Moved != 1 || res.Deleted != 0 || f.emb.calls.Load() != runs {
		t.Fatalf("moved photo %d (was %d), %v; moved %d, deleted %d, model runs %d; want the same id, 1, 0, 0",
			after.ID, before.ID, err, res.Moved, res.Deleted, f.emb.calls.Load()-runs)
	}
	if count() != 7 {
		t.Fatalf("%d photos after a move; want 7", count())
	}

	// A deleted folder, named alone: its photos (at any depth) leave the
	// catalog and the store; the rest stays.
	if err := os.RemoveAll(filepath.Join(f.root, "album")); err != nil {
		t.Fatal(err)
	}
	res, err = f.runPaths(ctx, filepath.Join(f.root, "album"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Deleted != 2 || count() != 5 {
		t.Fatalf("deleted %d, %d photos left; want 2 and 5", res.Deleted, count())
	}
	if n, err := f.store.Count(ctx); err != nil || n != 5 {
		t.Fatalf("store holds %d (%v); want 5", n, err)
	}

	// A deleted file whose name is in the batch with a file that is still
	// there: only the gone one leaves.
	gone := filepath.Join(f.root, "b", "3.jpg")
	if err := os.Remove(gone); err != nil {
		t.Fatal(err)
	}
	if _, err := f.runPaths(ctx, gone, filepath.Join(f.root, "b", "4.jpg")); err != nil {
		t.Fatal(err)
	}
	if _, err := f.cat.PhotoByPath(ctx, gone); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("deleted file still catalogued: %v", err)
	}
	if _, err := f.cat.PhotoByPath(ctx, filepath.Join(f.root, "b", "4.jpg")); err != nil {
		t.Fatalf("a file that is still there left: %v", err)
	}

	// Paths outside the root, and hidden ones, are ignored.
	hidden := f.writeImage(".cache/7.jpg", 12, false)
	outside := filepath.Join(t.TempDir(), "8.jpg")
	if err := os.WriteFile(outside, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if res, err := f.runPaths(ctx, hidden, outside); err != nil || res.Found != 0 {
		t.Fatalf("hidden and outside paths: found %d, %v; want 0", res.Found, err)
	}
}

// TestPathsUnderAMissingRootRemoveNothing: a watcher's batch for a library
// folder whose disk went away (the paths are gone because the disk is)
// must not remove its photos.
func TestPathsUnderAMissingRootRemoveNothing(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	p := f.writeImage("x/1.jpg", 1, false)
	f.writeImage("x/2.jpg", 2, false)
	if _, err := f.run(ctx, f.store); err != nil {
		t.Fatal(err)
	}
	moved := f.root + ".away"
	if err := os.Rename(f.root, moved); err != nil {
		t.Fatal(err)
	}
	res, _ := f.runPaths(ctx, p, filepath.Join(f.root, "x"))
	if res.Deleted != 0 {
		t.Fatalf("deleted %d photos of a missing library folder", res.Deleted)
	}
	if n, err := f.cat.Count(ctx, facet.Filter{}); err != nil || n != 2 {
		t.Fatalf("%d photos (%v) after a batch under a missing root; want 2", n, err)
	}
}
