package scan

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/simili/simili/library/catalog"
	"github.com/simili/simili/library/facet"
	"github.com/simili/simili/library/thumb"
	"github.com/simili/simili/search/storesync"
	"github.com/simili/simili/search/vector"
	"github.com/simili/simili/search/vector/embedded"
)

// colorEmbedder is a deterministic stand-in for the CNN: the mean colour of
// the image's four quadrants. It counts model runs, which is what the
// incremental-scan tests assert on.
type colorEmbedder struct{ calls atomic.Int64 }

func (e *colorEmbedder) ModelName() string { return "quadrants" }

func (e *colorEmbedder) InputSize() int { return 32 }

func (e *colorEmbedder) Embed(img image.Image) ([]float32, error) {
	e.calls.Add(1)
	b := img.Bounds()
	v := make([]float32, 12)
	var n [4]float64
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			q := 0
			if x-b.Min.X >= b.Dx()/2 {
				q++
			}
			if y-b.Min.Y >= b.Dy()/2 {
				q += 2
			}
			r, g, bl, _ := img.At(x, y).RGBA()
			v[3*q] += float32(r)
			v[3*q+1] += float32(g)
			v[3*q+2] += float32(bl)
			n[q]++
		}
	}
	var norm float64
	for i := range v {
		v[i] /= float32(math.Max(n[i/3], 1))
		norm += float64(v[i]) * float64(v[i])
	}
	for i := range v {
		v[i] /= float32(math.Sqrt(norm) + 1e-9)
	}
	return v, nil
}

type fixture struct {
	t      *testing.T
	root   string
	cat    *catalog.Catalog
	thumbs *thumb.Cache
	emb    *colorEmbedder
	store  vector.Store
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	root := filepath.Join(dir, "photos")
	cat, err := catalog.Open(context.Background(), filepath.Join(dir, "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cat.Close() })
	thumbs, err := thumb.New(filepath.Join(dir, "thumbs"), 64)
	if err != nil {
		t.Fatal(err)
	}
	emb := &colorEmbedder{}
	store, err := embedded.Open(filepath.Join(dir, "vectors"), vector.Model{Name: emb.ModelName(), Dim: 12})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return &fixture{t: t, root: root, cat: cat, thumbs: thumbs, emb: emb, store: store}
}

func (f *fixture) run(ctx context.Context, store vector.Store) (Result, error) {
	return Run(ctx, []string{f.root}, Options{
		Catalog: f.cat, Thumbs: f.thumbs, Embedder: f.emb, Workers: 2,
		Sync: storesync.New(f.cat, store, "embedded", 4, nil),
	})
}

// writeImage writes a generated picture whose quadrants differ by seed.
func (f *fixture) writeImage(rel string, seed int, asPNG bool) string {
	f.t.Helper()
	path := filepath.Join(f.root, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		f.t.Fatal(err)
	}
	img := image.NewNRGBA(image.Rect(0, 0, 80, 60))
	for y := 0; y < 60; y++ {
		for x := 0; x < 80; x++ {
			img.SetNRGBA(x, y, color.NRGBA{uint8(seed*37 + x), uint8(seed*91 + y), uint8(seed * 53), 255})
		}
	}
	out, err := os.Create(path)
	if err != nil {
		f.t.Fatal(err)
	}
	defer out.Close()
	if asPNG {
		err = png.Encode(out, img)
	} else {
		err = jpeg.Encode(out, img, &jpeg.Options{Quality: 90})
	}
	if err != nil {
		f.t.Fatal(err)
	}
	return path
}

func (f *fixture) write(rel string, data []byte) string {
	f.t.Helper()
	path := filepath.Join(f.root, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		f.t.Fatal(err)
	}
	return path
}

func checksums(t *testing.T, root string) map[string][32]byte {
	t.Helper()
	sums := map[string][32]byte{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Type()&fs.ModeSymlink != 0 {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		sums[path] = sha256.Sum256(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return sums
}

func TestScanFindsImagesByContentAndReportsBadFiles(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.writeImage("a.jpg", 1, false)
	f.writeImage("sub/b.png", 2, true)
	f.writeImage("sub/deeper/c.jpg", 3, false)
	png := f.writeImage("sub/png-named.txt", 4, true) // content decides, not the name
	f.writeImage(".hidden/secret.jpg", 5, false)      // hidden folders are skipped
	f.write("notes.txt", []byte("not a photo at all"))
	good, _ := os.ReadFile(filepath.Join(f.root, "a.jpg"))
	f.write("truncated.jpg", good[:len(good)/3])
	if err := os.Symlink(f.root, filepath.Join(f.root, "sub", "loop")); err != nil {
		t.Fatal(err)
	}
	before := checksums(t, f.root)

	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	res, err := f.run(ctx, f.store)
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	if res.Processed != 4 || res.Failed != 1 || res.Skipped != 1 || res.Embedded != 4 {
		t.Fatalf("processed=%d failed=%d skipped=%d embedded=%d; want 4, 1, 1, 4", res.Processed, res.Failed, res.Skipped, res.Embedded)
	}
	if _, err := f.cat.PhotoByPath(ctx, png); err != nil {
		t.Fatalf("PNG data behind a .txt name not catalogued: %v", err)
	}
	if p, err := f.cat.PhotoByPath(ctx, filepath.Join(f.root, "sub", "b.png")); err != nil || p.Width != 80 || p.Height != 60 || p.Format != "png" || p.TakenAtSource != "mtime" {
		t.Fatalf("b.png = %+v, %v", p, err)
	}
	counts, _ := f.cat.FailureCounts(ctx)
	if counts["decode"] != 1 {
		t.Fatalf("failure counts = %v, want the truncated JPEG as a decode failure", counts)
	}
	if n, _ := f.store.Count(ctx); n != 4 {
		t.Fatalf("store holds %d vectors, want 4", n)
	}
	after := checksums(t, f.root)
	if len(after) != len(before) {
		t.Fatalf("files appeared or vanished in the library: %d -> %d", len(before), len(after))
	}
	for p, s := range before {
		if after[p] != s {
			t.Fatalf("original %s was modified", p)
		}
	}
	for _, p := range []string{"a.jpg", "sub/b.png"} {
		ph, _ := f.cat.PhotoByPath(ctx, filepath.Join(f.root, p))
		if !f.thumbs.Has(ph.Hash) {
			t.Fatalf("no thumbnail for %s", p)
		}
	}
}

func TestRescanIsIncremental(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for i := 0; i < 6; i++ {
		f.writeImage(filepath.Join("d", string(rune('a'+i))+".jpg"), i, false)
	}
	if _, err := f.run(ctx, f.store); err != nil {
		t.Fatal(err)
	}
	calls := f.emb.calls.Load()
	res, err := f.run(ctx, f.store)
	if err != nil {
		t.Fatal(err)
	}
	if res.Processed != 0 || res.Unchanged != 6 || f.emb.calls.Load() != calls {
		t.Fatalf("second scan processed=%d unchanged=%d model runs=%d; want 0, 6, none", res.Processed, res.Unchanged, f.emb.calls.Load()-calls)
	}

	// A moved file keeps its id and embedding; no model run.
	oldPath := filepath.Join(f.root, "d", "a.jpg")
	old, _ := f.cat.PhotoByPath(ctx, oldPath)
	newPath := filepath.Join(f.root, "moved", "renamed.jpg")
	os.MkdirAll(filepath.Dir(newPath), 0o755)
	if err := os.Rename(oldPath, newPath); err != nil {
		t.Fatal(err)
	}
	// A deleted file leaves catalog and store.
	gone := filepath.Join(f.root, "d", "b.jpg")
	goneP, _ := f.cat.PhotoByPath(ctx, gone)
	os.Remove(gone)
	res, err = f.run(ctx, f.store)
	if err != nil {
		t.Fatal(err)
	}
	if res.Moved != 1 || res.Deleted != 1 || f.emb.calls.Load() != calls {
		t.Fatalf("moved=%d deleted=%d extra model runs=%d; want 1, 1, 0", res.Moved, res.Deleted, f.emb.calls.Load()-calls)
	}
	moved, err := f.cat.PhotoByPath(ctx, newPath)
	if err != nil || moved.ID != old.ID {
		t.Fatalf("moved photo = %+v, %v; want id %d", moved, err, old.ID)
	}
	if _, err := f.cat.PhotoByPath(ctx, gone); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("deleted file still catalogued: %v", err)
	}
	if n, _ := f.store.Count(ctx); n != 5 {
		t.Fatalf("store holds %d vectors, want 5", n)
	}
	vec, _, _ := f.cat.Embedding(ctx, moved.Hash, f.emb.ModelName())
	hits, err := f.store.Search(ctx, vec, 1, facet.Filter{Folder: filepath.Dir(newPath)}, vector.SearchOptions{})
	if err != nil || len(hits) != 1 || hits[0].ID != old.ID {
		t.Fatalf("store did not learn the new folder of the moved photo: %v %v", hits, err)
	}
	hits, _ = f.store.Search(ctx, vec, 10, facet.Filter{}, vector.SearchOptions{})
	for _, h := range hits {
		if h.ID == goneP.ID {
			t.Fatal("a deleted photo is still in the store")
		}
	}
}

func TestCancelledScanResumes(t *testing.T) {
	f := newFixture(t)
	for i := 0; i < 40; i++ {
		f.writeImage(filepath.Join("many", string(rune('A'+i/10)), string(rune('a'+i%10))+".jpg"), i, false)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var once atomic.Bool
	_, err := Run(ctx, []string{f.root}, Options{
		Catalog: f.cat, Thumbs: f.thumbs, Embedder: f.emb, Workers: 2,
		Sync:          storesync.New(f.cat, f.store, "embedded", 4, nil),
		ProgressEvery: time.Nanosecond,
		Progress: func(p Progress) {
			if p.Processed >= 5 && once.CompareAndSwap(false, true) {
				cancel()
			}
		},
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled scan returned %v", err)
	}
	first := f.emb.calls.Load()
	n, _ := f.cat.Count(context.Background(), facet.Filter{})
	if n == 0 || n >= 40 {
		t.Fatalf("after cancel the catalog holds %d photos; want some but not all", n)
	}
	res, err := f.run(context.Background(), f.store)
	if err != nil {
		t.Fatal(err)
	}
	if res.Unchanged < n || res.Processed+res.Unchanged != 40 {
		t.Fatalf("resumed scan processed=%d unchanged=%d; want the %d done before to be unchanged and 40 in all", res.Processed, res.Unchanged, n)
	}
	if got := f.emb.calls.Load(); got > 40+int64(2) || got < 40 {
		t.Fatalf("model ran %d times for 40 photos (first run %d)", got, first)
	}
	if c, _ := f.store.Count(context.Background()); c != 40 {
		t.Fatalf("store holds %d vectors after resume, want 40", c)
	}
}

// offlineStore fails like a server that went away.
type offlineStore struct{ vector.Store }

func (offlineStore) Upsert(context.Context, []vector.Record) error { return vector.ErrUnavailable }
func (offlineStore) Delete(context.Context, []int64) error         { return vector.ErrUnavailable }
func (offlineStore) Count(context.Context) (int, error)            { return 0, vector.ErrUnavailable }

func TestStoreOutageKeepsVectorsPending(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		f.writeImage(string(rune('a'+i))+".jpg", i, false)
	}
	res, err := f.run(ctx, offlineStore{f.store})
	if err != nil {
		t.Fatalf("scan with the store down must still succeed: %v", err)
	}
	if res.StoreOffline == nil || res.Pending != 5 || res.Processed != 5 {
		t.Fatalf("offline=%v pending=%d processed=%d; want offline, 5 pending, 5 processed", res.StoreOffline, res.Pending, res.Processed)
	}
	calls := f.emb.calls.Load()
	sy := storesync.New(f.cat, f.store, "embedded", 2, nil)
	n, err := sy.Push(ctx, nil)
	if err != nil || n != 5 {
		t.Fatalf("push = %d, %v; want 5", n, err)
	}
	if c, _ := f.store.Count(ctx); c != 5 {
		t.Fatalf("store holds %d after sync, want 5", c)
	}
	if f.emb.calls.Load() != calls {
		t.Fatal("sync ran the model")
	}
	if p, _ := sy.Pending(ctx); p != 0 {
		t.Fatalf("%d still pending after sync", p)
	}
}

func TestMissingRootDeletesNothing(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.writeImage("x.jpg", 1, false)
	if _, err := f.run(ctx, f.store); err != nil {
		t.Fatal(err)
	}
	moved := f.root + ".unplugged"
	if err := os.Rename(f.root, moved); err != nil {
		t.Fatal(err)
	}
	// A folder that held photos and is gone is offline: reported, not an
	// error, and nothing is deleted.
	res, err := f.run(ctx, f.store)
	if err != nil {
		t.Fatalf("an unplugged library folder failed the scan: %v", err)
	}
	if res.Deleted != 0 {
		t.Fatalf("an unplugged folder deleted %d photos", res.Deleted)
	}
	if len(res.Offline) != 1 || res.Offline[0].Root != f.root || res.Offline[0].Reason != "missing" || res.Offline[0].Photos != 1 {
		t.Fatalf("offline = %+v, want %s missing with 1 photo", res.Offline, f.root)
	}
	if n, _ := f.cat.Count(ctx, facet.Filter{}); n != 1 {
		t.Fatalf("catalog holds %d photos, want 1", n)
	}
	// A folder that never held photos and does not exist is a mistake.
	_, err = Run(ctx, []string{filepath.Join(t.TempDir(), "typo")}, Options{Catalog: f.cat, Thumbs: f.thumbs})
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a mistyped folder gave %v, want a not-exist error", err)
	}
}

// A large JPEG is decoded at a reduced scale for the model and thumbnail;
// the catalog must still record the photo's real size.
func TestCatalogKeepsFullSizeOfScaledDecodes(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		w, h int
	}{{"wide.jpg", 1600, 1200}, {"tall.jpg", 900, 2000}} {
		img := image.NewNRGBA(image.Rect(0, 0, tc.w, tc.h))
		for i := range img.Pix {
			img.Pix[i] = uint8(i*7%64 + i/img.Stride/12) // fine detail over a gradient: not blank at 1/8 scale
		}
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80}); err != nil {
			t.Fatal(err)
		}
		f.write(tc.name, buf.Bytes())
	}
	if _, err := f.run(ctx, f.store); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		w, h int
	}{{"wide.jpg", 1600, 1200}, {"tall.jpg", 900, 2000}} {
		p, err := f.cat.PhotoByPath(ctx, filepath.Join(f.root, tc.name))
		if err != nil || p.Width != tc.w || p.Height != tc.h {
			t.Errorf("%s: %d×%d (%v), want %d×%d", tc.name, p.Width, p.Height, err, tc.w, tc.h)
		}
	}
}
