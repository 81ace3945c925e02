package scan

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/simili/simili/library/catalog"
	"github.com/simili/simili/library/facet"
	"github.com/simili/simili/search/storesync"
)

// rootState reads what the catalog recorded about one library folder.
func rootState(t *testing.T, cat *catalog.Catalog, root string) catalog.RootState {
	t.Helper()
	rs, err := cat.RootStates(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.Path == root {
			return r
		}
	}
	t.Fatalf("library folder %s not in the catalog", root)
	return catalog.RootState{}
}

func (f *fixture) runWith(ctx context.Context, roots []string, device func(string) (uint64, error)) (Result, error) {
	return Run(ctx, roots, Options{
		Catalog: f.cat, Thumbs: f.thumbs, Embedder: f.emb, Workers: 2,
		Sync:   storesync.New(f.cat, f.store, "embedded", 4, nil),
		Device: device,
	})
}

// expectKept asserts that a scan kept every photo of an offline root.
func (f *fixture) expectKept(res Result, err error, reason string, photos int) {
	f.t.Helper()
	ctx := context.Background()
	if err != nil {
		f.t.Fatalf("scan with the disk away: %v", err)
	}
	if res.Deleted != 0 {
		f.t.Fatalf("the scan removed %d photos of a disk that is away", res.Deleted)
	}
	if len(res.Offline) != 1 || res.Offline[0].Root != f.root || res.Offline[0].Reason != reason || res.Offline[0].Photos != photos {
		f.t.Fatalf("offline = %+v, want %s %q with %d photos", res.Offline, f.root, reason, photos)
	}
	if n, _ := f.cat.Count(ctx, facet.Filter{}); n != photos {
		f.t.Fatalf("catalog holds %d photos, want %d", n, photos)
	}
	if n, _ := f.store.Count(ctx); n != photos {
		f.t.Fatalf("store holds %d vectors, want %d", n, photos)
	}
	if st := rootState(f.t, f.cat, f.root); st.OfflineReason != reason || st.OfflineSince.IsZero() {
		f.t.Fatalf("catalog root state = %+v, want offline %q", st, reason)
	}
	ps, err := f.cat.List(ctx, catalog.Query{})
	if err != nil {
		f.t.Fatal(err)
	}
	for _, p := range ps {
		if !p.Offline {
			f.t.Fatalf("%s not shown offline", p.Path)
		}
	}
}

// expectBack asserts that the scan after the disk came back found every
// photo unchanged, ran no model and removed nothing.
func (f *fixture) expectBack(res Result, err error, photos int, callsBefore int64) {
	f.t.Helper()
	if err != nil {
		f.t.Fatalf("scan with the disk back: %v", err)
	}
	if len(res.Offline) != 0 || res.Deleted != 0 || res.Unchanged != photos || res.Processed != 0 {
		f.t.Fatalf("disk back: offline=%v deleted=%d unchanged=%d processed=%d; want none, 0, %d, 0",
			res.Offline, res.Deleted, res.Unchanged, res.Processed, photos)
	}
	if got := f.emb.calls.Load(); got != callsBefore {
		f.t.Fatalf("the model ran %d times when the disk came back", got-callsBefore)
	}
	if st := rootState(f.t, f.cat, f.root); st.Offline() {
		f.t.Fatalf("root still offline after it came back: %+v", st)
	}
	ps, _ := f.cat.List(context.Background(), catalog.Query{})
	for _, p := range ps {
		if p.Offline {
			f.t.Fatalf("%s still shown offline", p.Path)
		}
	}
}

// TestUnmountedDiskKeepsItsPhotos is issue 14's case: index a folder that is
// a file system of its own, unmount it (the empty mount point stays on the
// parent's device), index again. The old scanner reported "10 removed" and
// emptied catalog and store; now the folder is offline and everything stays.
// Mounting it again brings the photos back without a model run.
func TestUnmountedDiskKeepsItsPhotos(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// The "disk": a tmpfs that lives on elsewhere while its library folder
	// is unmounted, so it can come back with the same files and device.
	disk := filepath.Join(t.TempDir(), "disk")
	if err := os.MkdirAll(disk, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("simili-scan-test", disk, "tmpfs", 0, "size=16m,mode=0755"); err != nil {
		t.Skipf("cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN): %v; TestChangedDeviceKeepsPhotos covers the rule with a simulated device", err)
	}
	t.Cleanup(func() { unix.Unmount(disk, unix.MNT_DETACH) })
	if err := os.MkdirAll(f.root, 0o755); err != nil {
		t.Fatal(err)
	}
	mount := func() {
		t.Helper()
		if err := unix.Mount(disk, f.root, "", unix.MS_BIND, ""); err != nil {
			t.Fatalf("bind %s on %s: %v", disk, f.root, err)
		}
	}
	unmount := func() {
		t.Helper()
		if err := unix.Unmount(f.root, unix.MNT_DETACH); err != nil {
			t.Fatalf("unmount %s: %v", f.root, err)
		}
	}
	mount()
	t.Cleanup(func() { unix.Unmount(f.root, unix.MNT_DETACH) })
	for i := 0; i < 10; i++ {
		f.writeImage(filepath.Join("2008", string(rune('a'+i))+".jpg"), i, false)
	}
	res, err := f.run(ctx, f.store)
	if err != nil || res.Processed != 10 {
		t.Fatalf("first scan: processed %d, %v", res.Processed, err)
	}
	if st := rootState(t, f.cat, f.root); !st.OwnMount || st.Dev == 0 {
		t.Fatalf("the mounted folder was not recorded as its own mount: %+v", st)
	}
	calls := f.emb.calls.Load()

	unmount()
	if entries, _ := os.ReadDir(f.root); len(entries) != 0 {
		t.Fatalf("the mount point is not empty after unmounting: %v", entries)
	}
	res, err = f.run(ctx, f.store)
	f.expectKept(res, err, "not mounted", 10)

	mount()
	res, err = f.run(ctx, f.store)
	f.expectBack(res, err, 10, calls)
}

// TestChangedDeviceKeepsPhotos covers the same rule with the device numbers
// simulated, so it runs without mount privileges: a folder that was its own
// mount and now lies on its parent's device, or that moved to another
// device, is offline unless its files are there; a file deleted on the
// same disk still leaves the catalog.
func TestChangedDeviceKeepsPhotos(t *testing.T) {
	for _, tc := range []struct {
		name       string
		before     uint64 // the root's device at the first scan (the parent's is 1)
		after      uint64 // ... at the second
		keepFiles  bool   // the files stay at the second scan (else the folder is empty)
		wantReason string // "" online
	}{
		{"unmounted: empty mount point on the parent's device", 7, 1, false, "not mounted"},
		{"another empty device at the same path", 7, 8, false, "on another device"},
		{"a folder on the parent's device now on another, empty", 1, 8, false, "on another device"},
		{"same disk under a new device number", 7, 9, true, ""},
		{"same disk, same device", 7, 7, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			ctx := context.Background()
			var mu sync.Mutex
			rootDev := tc.before
			device := func(path string) (uint64, error) {
				if _, err := os.Stat(path); err != nil {
					return 0, err
				}
				mu.Lock()
				defer mu.Unlock()
				if path == f.root {
					return rootDev, nil
				}
				return 1, nil
			}
			for i := 0; i < 4; i++ {
				f.writeImage(string(rune('a'+i))+".jpg", i, false)
			}
			if _, err := f.runWith(ctx, []string{f.root}, device); err != nil {
				t.Fatal(err)
			}
			calls := f.emb.calls.Load()
			away := filepath.Join(t.TempDir(), "away")
			if !tc.keepFiles {
				if err := os.Rename(f.root, away); err != nil {
					t.Fatal(err)
				}
				if err := os.Mkdir(f.root, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			mu.Lock()
			rootDev = tc.after
			mu.Unlock()
			res, err := f.runWith(ctx, []string{f.root}, device)
			if tc.wantReason != "" {
				f.expectKept(res, err, tc.wantReason, 4)
				// The disk comes back as it was.
				if err := os.Remove(f.root); err != nil {
					t.Fatal(err)
				}
				if err := os.Rename(away, f.root); err != nil {
					t.Fatal(err)
				}
				mu.Lock()
				rootDev = tc.before
				mu.Unlock()
				res, err = f.runWith(ctx, []string{f.root}, device)
			}
			f.expectBack(res, err, 4, calls)
			if st := rootState(t, f.cat, f.root); st.Dev != rootDev {
				t.Fatalf("recorded device %d, want %d", st.Dev, rootDev)
			}

			// With the disk online, a deleted file does leave the catalog.
			if err := os.Remove(filepath.Join(f.root, "a.jpg")); err != nil {
				t.Fatal(err)
			}
			res, err = f.runWith(ctx, []string{f.root}, device)
			if err != nil || res.Deleted != 1 || len(res.Offline) != 0 {
				t.Fatalf("deleting a file on the online disk: deleted=%d offline=%v err=%v; want 1, none, nil", res.Deleted, res.Offline, err)
			}
		})
	}
}

// TestOfflinePhotoIsNotTakenOver: a copy of a photo found in another folder
// while the original's disk is away is a photo of its own; the original
// keeps its identity. The old move detection took the original's id over
// (os.Stat says "no such file" for a file on an unplugged disk too).
func TestOfflinePhotoIsNotTakenOver(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	base := filepath.Dir(f.root)
	rootA, rootB := filepath.Join(base, "A"), filepath.Join(base, "B")
	f.root = rootA
	x := f.writeImage("x.jpg", 1, false)
	f.writeImage("y.jpg", 2, false)
	if err := os.MkdirAll(rootB, 0o755); err != nil {
		t.Fatal(err)
	}
	roots := []string{rootA, rootB}
	if _, err := f.runWith(ctx, roots, nil); err != nil {
		t.Fatal(err)
	}
	orig, err := f.cat.PhotoByPath(ctx, x)
	if err != nil {
		t.Fatal(err)
	}
	calls := f.emb.calls.Load()

	// A's disk goes away; a copy of x turns up in B.
	away := filepath.Join(base, "A-unplugged")
	if err := os.Rename(rootA, away); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(away, "x.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	copyPath := filepath.Join(rootB, "copy-of-x.jpg")
	if err := os.WriteFile(copyPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, scanRoots := range [][]string{{rootB}, roots} { // B alone, then both
		res, err := f.runWith(ctx, scanRoots, nil)
		if err != nil {
			t.Fatalf("scan %v: %v", scanRoots, err)
		}
		if res.Moved != 0 || res.Deleted != 0 {
			t.Fatalf("scan %v: moved=%d deleted=%d, want 0, 0", scanRoots, res.Moved, res.Deleted)
		}
		still, err := f.cat.PhotoByPath(ctx, x)
		if err != nil {
			t.Fatalf("scan %v: the photo on the disk that is away lost its place: %v", scanRoots, err)
		}
		if still.ID != orig.ID || !still.Offline {
			t.Fatalf("scan %v: original = id %d offline %v; want id %d, offline", scanRoots, still.ID, still.Offline, orig.ID)
		}
		cp, err := f.cat.PhotoByPath(ctx, copyPath)
		if err != nil || cp.ID == orig.ID || cp.Offline {
			t.Fatalf("scan %v: copy = %+v, %v; want a photo of its own, online", scanRoots, cp, err)
		}
	}
	if n, _ := f.cat.Count(ctx, facet.Filter{}); n != 3 {
		t.Fatalf("catalog holds %d photos, want 3 (x, y, the copy)", n)
	}

	// A comes back: nothing embedded again (the copy had x's content, and
	// A's files are unchanged), nothing deleted, both x and its copy there.
	if err := os.Rename(away, rootA); err != nil {
		t.Fatal(err)
	}
	res, err := f.runWith(ctx, roots, nil)
	if err != nil || res.Deleted != 0 || res.Moved != 0 || len(res.Offline) != 0 {
		t.Fatalf("A back: deleted=%d moved=%d offline=%v err=%v", res.Deleted, res.Moved, res.Offline, err)
	}
	if got := f.emb.calls.Load(); got != calls {
		t.Fatalf("the model ran %d times for content it had embedded", got-calls)
	}
	back, err := f.cat.PhotoByPath(ctx, x)
	if err != nil || back.ID != orig.ID || back.Offline {
		t.Fatalf("x after A came back = %+v, %v; want id %d online", back, err, orig.ID)
	}
	if n, _ := f.store.Count(ctx); n != 3 {
		t.Fatalf("store holds %d vectors, want 3", n)
	}

	// A real move inside an online folder is still a move.
	moved := filepath.Join(rootA, "sub", "x-moved.jpg")
	if err := os.MkdirAll(filepath.Dir(moved), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(x, moved); err != nil {
		t.Fatal(err)
	}
	res, err = f.runWith(ctx, roots, nil)
	if err != nil || res.Moved != 1 {
		t.Fatalf("move inside A: moved=%d err=%v; want 1", res.Moved, err)
	}
	if p, err := f.cat.PhotoByPath(ctx, moved); err != nil || p.ID != orig.ID {
		t.Fatalf("moved x = %+v, %v; want id %d", p, err, orig.ID)
	}
	if _, err := f.cat.PhotoByPath(ctx, x); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("x's old path still catalogued: %v", err)
	}
}
