package scan

import (
	"context"
	"database/sql"
	"math"
	"path/filepath"
	"testing"

	"github.com/simili/simili/library/signature"
)

// TestScanStoresSignaturesAndBackfillsOldCatalogs: every scanned photo gets
// a content signature from the decode the scan already does; photos
// catalogued before signatures existed get theirs on the next scan, without
// a model run, and the scan after that reads nothing.
func TestScanStoresSignaturesAndBackfillsOldCatalogs(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for i, name := range []string{"a.jpg", "b.png", "c.jpg"} {
		f.writeImage(name, i, filepath.Ext(name) == ".png")
	}
	if _, err := f.run(ctx, f.store); err != nil {
		t.Fatal(err)
	}
	first := f.signatures(3)
	// b.png and a.jpg hold different pictures: their hashes differ.
	pa, _ := f.cat.PhotoByPath(ctx, filepath.Join(f.root, "a.jpg"))
	pb, _ := f.cat.PhotoByPath(ctx, filepath.Join(f.root, "b.png"))
	// The aspect comes from the reduced decode, so it is close, not exact.
	if first[pa.Hash] == first[pb.Hash] || math.Abs(float64(first[pa.Hash].Aspect)-80.0/60) > 0.03 {
		t.Fatalf("signatures %+v / %+v", first[pa.Hash], first[pb.Hash])
	}

	// A catalog from before this feature: no signatures at all.
	db, err := sql.Open("sqlite", f.cat.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "DELETE FROM signatures"); err != nil {
		t.Fatal(err)
	}
	calls := f.emb.calls.Load()
	res, err := f.run(ctx, f.store)
	if err != nil {
		t.Fatal(err)
	}
	if res.Processed != 3 || f.emb.calls.Load() != calls {
		t.Fatalf("backfill processed %d (want 3) with %d model runs (want 0)", res.Processed, f.emb.calls.Load()-calls)
	}
	again := f.signatures(3)
	for h, s := range first {
		if again[h] != s {
			t.Errorf("backfilled signature of %s = %+v, want %+v", h, again[h], s)
		}
	}
	res, err = f.run(ctx, f.store)
	if err != nil || res.Processed != 0 || res.Unchanged != 3 {
		t.Fatalf("third scan processed %d, unchanged %d, %v; want 0, 3", res.Processed, res.Unchanged, err)
	}
}

func (f *fixture) signatures(want int) map[string]signature.Signature {
	f.t.Helper()
	sigs, err := f.cat.Signatures(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	if len(sigs) != want {
		f.t.Fatalf("%d signatures, want %d", len(sigs), want)
	}
	return sigs
}
