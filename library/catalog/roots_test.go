package catalog

import (
	"context"
	"testing"
	"time"

	"github.com/simili/simili/library/facet"
)

// TestOfflineRootMarksItsPhotos: photos under a folder whose disk is away
// read as Offline from every query the window and search use; the folder's
// device is remembered, and coming back clears the mark.
func TestOfflineRootMarksItsPhotos(t *testing.T) {
	ctx := context.Background()
	c, _ := openTest(t)
	for _, r := range []string{"/media/usb", "/home/me/Pictures"} {
		if err := c.AddRoot(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	away := &Photo{Path: "/media/usb/2008/a.jpg", Size: 1, ModTime: time.Unix(1, 0), Hash: "h1", TakenAt: day("2008-01-02")}
	// A sibling folder whose name starts like the offline root's.
	near := &Photo{Path: "/media/usb2/b.jpg", Size: 1, ModTime: time.Unix(1, 0), Hash: "h1", TakenAt: day("2008-01-03")}
	home := &Photo{Path: "/home/me/Pictures/c.jpg", Size: 1, ModTime: time.Unix(1, 0), Hash: "h2", TakenAt: day("2008-01-04")}
	for _, p := range []*Photo{away, near, home} {
		if err := c.PutPhoto(ctx, p, 1); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.PutEmbedding(ctx, "h1", "m", []float32{1, 0}); err != nil {
		t.Fatal(err)
	}
	if err := c.SetRootOnline(ctx, "/media/usb", 42, true); err != nil {
		t.Fatal(err)
	}
	if err := c.SetRootOffline(ctx, "/media/usb", "not mounted"); err != nil {
		t.Fatal(err)
	}
	first := roots(t, c)["/media/usb"]
	if !first.Offline() || first.Dev != 42 || !first.OwnMount || first.OfflineSince.IsZero() || first.SeenAt.IsZero() {
		t.Fatalf("offline root state = %+v", first)
	}
	if home := roots(t, c)["/home/me/Pictures"]; home.Offline() || home.Dev != 0 {
		t.Fatalf("untouched root state = %+v", home)
	}

	want := map[string]bool{away.Path: true, near.Path: false, home.Path: false}
	check := func(how string, ps []Photo) {
		t.Helper()
		if len(ps) == 0 {
			t.Fatalf("%s: no photos", how)
		}
		for _, p := range ps {
			if p.Offline != want[p.Path] {
				t.Errorf("%s: %s Offline = %v, want %v", how, p.Path, p.Offline, want[p.Path])
			}
		}
	}
	list, err := c.List(ctx, Query{})
	if err != nil {
		t.Fatal(err)
	}
	check("List", list)
	byHash, err := c.PhotosByHash(ctx, "h1")
	if err != nil {
		t.Fatal(err)
	}
	check("PhotosByHash", byHash)
	for _, p := range []*Photo{away, near, home} {
		got, err := c.Photo(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		byPath, err := c.PhotoByPath(ctx, p.Path)
		if err != nil {
			t.Fatal(err)
		}
		check("Photo", []Photo{got, byPath})
	}
	var embedded []Photo
	if err := c.EachEmbedded(ctx, "m", func(e EmbeddedPhoto) error { embedded = append(embedded, e.Photo); return nil }); err != nil {
		t.Fatal(err)
	}
	check("EachEmbedded", embedded)

	// Still offline at the next scan: the time it went away is kept.
	if err := c.SetRootOffline(ctx, "/media/usb", "missing"); err != nil {
		t.Fatal(err)
	}
	if again := roots(t, c)["/media/usb"]; again.OfflineReason != "missing" || !again.OfflineSince.Equal(first.OfflineSince) {
		t.Fatalf("second offline scan: %+v (first %+v)", again, first)
	}
	if err := c.SetRootOnline(ctx, "/media/usb", 43, false); err != nil {
		t.Fatal(err)
	}
	back := roots(t, c)["/media/usb"]
	if back.Offline() || !back.OfflineSince.IsZero() || back.Dev != 43 || back.OwnMount {
		t.Fatalf("back online: %+v", back)
	}
	list, _ = c.List(ctx, Query{Filter: facet.Filter{Folder: "/media/usb"}})
	if len(list) != 1 || list[0].Offline {
		t.Fatalf("after coming back: %+v", list)
	}
}

func roots(t *testing.T, c *Catalog) map[string]RootState {
	t.Helper()
	rs, err := c.RootStates(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]RootState{}
	for _, r := range rs {
		out[r.Path] = r
	}
	return out
}

func TestRootOf(t *testing.T) {
	roots := []string{"/a", "/a/b", "/c/"}
	for _, tc := range []struct{ path, want string }{
		{"/a/x.jpg", "/a"}, {"/a/b/x.jpg", "/a/b"}, {"/a/bc/x.jpg", "/a"},
		{"/ab/x.jpg", ""}, {"/c/d/x.jpg", "/c/"}, {"/a", "/a"},
	} {
		if got := RootOf(roots, tc.path); got != tc.want {
			t.Errorf("RootOf(%q) = %q, want %q", tc.path, got, tc.want)
		}
	}
}
