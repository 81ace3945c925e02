package desktop

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/simili/simili/library/catalog"
	"github.com/simili/simili/library/trash"
	"github.com/simili/simili/search/duplicates"
	"github.com/simili/simili/search/engine"
)

// The base fake library has no copies and no trash: every move fails, as
// for photos that are not catalogued.
func (b *fakeBackend) Duplicates(context.Context, duplicates.Options) ([]duplicates.Group, error) {
	return nil, nil
}

func (b *fakeBackend) MoveToTrash(_ context.Context, ids []int64) (engine.TrashResult, error) {
	var res engine.TrashResult
	for _, id := range ids {
		res.Failed = append(res.Failed, engine.TrashFailure{Photo: catalog.Photo{ID: id}, Err: fmt.Errorf("photo %d is not in the catalog", id)})
	}
	return res, nil
}

func (b *fakeBackend) RestoreFromTrash(_ context.Context, items []engine.TrashedPhoto) (engine.RestoreResult, error) {
	var res engine.RestoreResult
	for _, it := range items {
		res.Failed = append(res.Failed, engine.TrashFailure{Photo: it.Photo, Err: errors.New("not in the trash")})
	}
	return res, nil
}

// dupBackend is a fake library with copies in every tier and a trash in
// memory. Identical: photos 1-2, 3-4, 5-6; same picture: 11-13, 14-16;
// burst: 21-26; look-alikes: from 31 in runs of 4 below a 0.95 threshold,
// of 2 from 0.95. Trashed photos leave their groups.
type dupBackend struct {
	*fakeBackend
	dmu     sync.Mutex
	trashed map[int64]bool
	queries []duplicates.Options
	moves   [][]int64
	refuse  map[int64]string // MoveToTrash fails these with this message
}

func newDupBackend() *dupBackend {
	b := &dupBackend{fakeBackend: newFakeBackend(60), trashed: map[int64]bool{}, refuse: map[int64]string{}}
	for i := range b.photos {
		b.photos[i].Size = int64(100_000 * (i + 1)) // bytes differ, so sums are checked
	}
	return b
}

func (b *dupBackend) runs(t duplicates.Tier, threshold float32) [][]int64 {
	seq := func(from, n, size int) [][]int64 {
		var out [][]int64
		for g := range n {
			var ids []int64
			for k := range size {
				ids = append(ids, int64(from+g*size+k))
			}
			out = append(out, ids)
		}
		return out
	}
	switch t {
	case duplicates.Identical:
		return seq(1, 3, 2)
	case duplicates.Same:
		return seq(11, 2, 3)
	case duplicates.Burst:
		return seq(21, 1, 6)
	case duplicates.Similar:
		if threshold >= 0.95 {
			return seq(31, 4, 2)
		}
		return seq(31, 2, 4)
	}
	return nil
}

func (b *dupBackend) Duplicates(_ context.Context, opt duplicates.Options) ([]duplicates.Group, error) {
	b.dmu.Lock()
	defer b.dmu.Unlock()
	b.queries = append(b.queries, opt)
	var out []duplicates.Group
	for _, tier := range opt.Tiers {
		for _, ids := range b.runs(tier, opt.Threshold) {
			g := duplicates.Group{Tier: tier, KeeperReason: "most pixels"}
			for _, id := range ids {
				if b.trashed[id] {
					continue
				}
				m := duplicates.Member{Photo: b.photos[id-1], Keeper: len(g.Members) == 0}
				if !m.Keeper {
					m.Reason = tier.String() + " as " + filepath.Base(g.Members[0].Photo.Path)
				}
				g.Members = append(g.Members, m)
			}
			if len(g.Members) > 1 {
				out = append(out, g)
			}
		}
	}
	return out, nil
}

func (b *dupBackend) MoveToTrash(_ context.Context, ids []int64) (engine.TrashResult, error) {
	b.dmu.Lock()
	defer b.dmu.Unlock()
	b.moves = append(b.moves, slices.Clone(ids))
	var res engine.TrashResult
	for _, id := range ids {
		p := b.photos[id-1]
		if msg, ok := b.refuse[id]; ok {
			res.Failed = append(res.Failed, engine.TrashFailure{Photo: p, Err: errors.New(msg)})
			continue
		}
		b.trashed[id] = true
		res.Moved = append(res.Moved, engine.TrashedPhoto{Photo: p, Item: trash.Item{Original: p.Path, Trashed: "/trash/files/" + filepath.Base(p.Path), Size: p.Size}})
		res.Bytes += p.Size
	}
	return res, nil
}

func (b *dupBackend) RestoreFromTrash(_ context.Context, items []engine.TrashedPhoto) (engine.RestoreResult, error) {
	b.dmu.Lock()
	defer b.dmu.Unlock()
	var res engine.RestoreResult
	for _, it := range items {
		if !b.trashed[it.Photo.ID] {
			res.Failed = append(res.Failed, engine.TrashFailure{Photo: it.Photo, Err: errors.New("not in the trash")})
			continue
		}
		delete(b.trashed, it.Photo.ID)
		res.Restored = append(res.Restored, it.Photo)
	}
	return res, nil
}

func (b *dupBackend) lastQuery() duplicates.Options {
	b.dmu.Lock()
	defer b.dmu.Unlock()
	return b.queries[len(b.queries)-1]
}

// openDuplicates opens the window on be and shows the Duplicates tab.
func openDuplicates(t *testing.T, be Backend) *ui {
	t.Helper()
	u := newTestUI(t, be)
	u.act(func() {
		for _, it := range u.tabs.Items {
			if it.Text == "Duplicates" {
				u.tabs.Select(it)
			}
		}
	})
	return u
}

// rowChecks returns the visible members' tick boxes of the list, by name.
func rowChecks(v *duplicatesView) map[string]*widget.Check {
	out := map[string]*widget.Check{}
	for _, o := range test.LaidOutObjects(v.list) {
		if c, ok := o.(*widget.Check); ok && c.Visible() && c.Text != "" {
			out[c.Text] = c
		}
	}
	return out
}

func overlayText(u *ui) string {
	overlay := u.win.Canvas().Overlays().Top()
	if overlay == nil {
		return ""
	}
	var text []string
	for _, o := range test.LaidOutObjects(overlay) {
		if l, ok := o.(*widget.Label); ok {
			text = append(text, l.Text)
		}
	}
	return strings.Join(text, "\n")
}

func TestDuplicatesViewListsGroupsWithKeeper(t *testing.T) {
	be := newDupBackend()
	u := openDuplicates(t, be)
	u.withUI(func() {
		v := u.dups
		if q := be.lastQuery(); len(q.Tiers) != 1 || q.Tiers[0] != duplicates.Identical {
			t.Fatalf("first query %+v, want the identical tier", q)
		}
		if len(v.groups) != 3 {
			t.Fatalf("%d groups, want 3", len(v.groups))
		}
		// Non-keepers (photos 2, 4, 6) start ticked; keepers do not.
		for id := int64(1); id <= 6; id++ {
			if v.remove[id] != (id%2 == 0) {
				t.Errorf("photo %d ticked = %v", id, v.remove[id])
			}
		}
		checks := rowChecks(v)
		for name, want := range map[string]bool{"IMG_000000.jpg": false, "IMG_000001.jpg": true, "IMG_000003.jpg": true} {
			c, ok := checks[name]
			if !ok {
				t.Fatalf("no tick box for %s among %v", name, mapsKeys(checks))
			}
			if c.Checked != want {
				t.Errorf("%s ticked = %v, want %v", name, c.Checked, want)
			}
		}
		var titles []string
		for _, o := range test.LaidOutObjects(v.list) {
			if l, ok := o.(*widget.Label); ok {
				titles = append(titles, l.Text)
			}
		}
		joined := strings.Join(titles, "\n")
		if !strings.Contains(joined, "2 photos · keep IMG_000000.jpg: most pixels") || !strings.Contains(joined, "IMG_000001.jpg: identical as IMG_000000.jpg") {
			t.Errorf("rows do not show keeper and reasons:\n%s", joined)
		}
		// 200 KB + 400 KB + 600 KB ticked.
		if want := "3 ticked for the trash (1.1 MB)"; !strings.Contains(v.info.Text, want) {
			t.Errorf("info %q, want %q", v.info.Text, want)
		}
		if v.trashB.Text != "Move 3 to Trash" || v.trashB.Disabled() {
			t.Errorf("trash button %q disabled=%v", v.trashB.Text, v.trashB.Disabled())
		}
		if !v.undoB.Disabled() {
			t.Error("Undo enabled before anything was trashed")
		}
		if v.cmp.pair[0].ID != 1 || v.cmp.pair[1].ID != 2 {
			t.Errorf("compare shows %d and %d, want the first group", v.cmp.pair[0].ID, v.cmp.pair[1].ID)
		}
		// Photos 1 and 2 of the fake differ in date, camera and file size.
		if want := "They differ in taken, camera, file."; !strings.Contains(v.cmp.reason.Text, want) {
			t.Errorf("compare summary %q, want %q", v.cmp.reason.Text, want)
		}
		if first := v.cmp.table.Objects[0].(*widget.Label); !strings.HasPrefix(first.Text, "≠ ") || !first.TextStyle.Bold {
			t.Errorf("first compare row %q is not a marked difference", first.Text)
		}
	})
	// Unticking a photo takes it out of the selection.
	u.act(func() { test.Tap(rowChecks(u.dups)["IMG_000003.jpg"]) })
	u.withUI(func() {
		if u.dups.remove[4] || u.dups.trashB.Text != "Move 2 to Trash" {
			t.Errorf("after unticking: remove[4]=%v, button %q", u.dups.remove[4], u.dups.trashB.Text)
		}
	})
}

func mapsKeys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestDuplicatesTierAndSlider(t *testing.T) {
	be := newDupBackend()
	u := openDuplicates(t, be)
	u.act(func() { u.dups.tier.SetSelected(duplicates.Burst.Title()) })
	u.withUI(func() {
		if q := be.lastQuery(); q.Tiers[0] != duplicates.Burst {
			t.Fatalf("query %+v, want burst", q)
		}
		if len(u.dups.groups) != 1 || len(u.dups.groups[0].Members) != 6 || u.dups.sliderBox.Visible() {
			t.Fatalf("burst: %d groups, slider visible %v", len(u.dups.groups), u.dups.sliderBox.Visible())
		}
		// The row grows past its first cells: every member can be ticked.
		checks := rowChecks(u.dups)
		for i := 20; i < 26; i++ {
			name := fmt.Sprintf("IMG_%06d.jpg", i)
			if c, ok := checks[name]; !ok || c.Checked != (i != 20) {
				t.Errorf("burst member %s: shown %v, ticked %v", name, ok, ok && c.Checked)
			}
		}
	})
	u.act(func() { u.dups.tier.SetSelected(duplicates.Similar.Title()) })
	u.withUI(func() {
		q := be.lastQuery()
		if q.Tiers[0] != duplicates.Similar || q.Threshold != duplicates.DefaultThreshold {
			t.Fatalf("query %+v, want look-alikes at the default threshold", q)
		}
		if !u.dups.sliderBox.Visible() || len(u.dups.groups) != 2 {
			t.Fatalf("look-alikes: slider visible %v, %d groups", u.dups.sliderBox.Visible(), len(u.dups.groups))
		}
	})
	// Moving the slider up asks again with the new threshold.
	u.act(func() {
		u.dups.slider.SetValue(0.96)
		u.dups.slider.OnChangeEnded(u.dups.slider.Value)
	})
	u.withUI(func() {
		if q := be.lastQuery(); q.Threshold < 0.955 || q.Threshold > 0.965 {
			t.Fatalf("threshold sent %v, want 0.96", q.Threshold)
		}
		if len(u.dups.groups) != 4 || u.dups.sliderLbl.Text != "0.96" {
			t.Fatalf("%d groups, label %q", len(u.dups.groups), u.dups.sliderLbl.Text)
		}
	})
}

func TestDuplicatesMoveToTrashAndUndo(t *testing.T) {
	be := newDupBackend()
	u := openDuplicates(t, be)
	// Untick photo 4: only 2 and 6 go.
	u.act(func() { test.Tap(rowChecks(u.dups)["IMG_000003.jpg"]) })
	u.act(func() { test.Tap(u.dups.trashB) })
	u.withUI(func() {
		text := overlayText(u)
		if !strings.Contains(text, "Move 2 photos to the trash? This frees 781 KB.") {
			t.Fatalf("confirmation says %q", text)
		}
		if len(be.moves) != 0 {
			t.Fatal("moved before confirming")
		}
	})
	// Cancel moves nothing.
	u.act(func() { u.dups.confirm.Dismiss() })
	u.withUI(func() {
		if len(be.moves) != 0 {
			t.Fatalf("cancel moved %v", be.moves)
		}
	})
	u.act(func() { test.Tap(u.dups.trashB) })
	u.act(func() { u.dups.confirm.Confirm() })
	u.withUI(func() {
		if len(be.moves) != 1 || !slices.Equal(be.moves[0], []int64{2, 6}) {
			t.Fatalf("moves %v, want [[2 6]]", be.moves)
		}
		// The groups were asked again: only the group whose copy stays is left.
		if len(u.dups.groups) != 1 || u.dups.groups[0].Members[1].Photo.ID != 4 {
			t.Fatalf("after the move: %d groups", len(u.dups.groups))
		}
		if u.dups.undoB.Disabled() {
			t.Error("Undo disabled after a move")
		}
		if !strings.Contains(u.status.problem.Text, "Moved 2 photos (781 KB) to the trash") {
			t.Errorf("status %q", u.status.problem.Text)
		}
	})
	u.act(func() { test.Tap(u.dups.undoB) })
	u.withUI(func() {
		if len(be.trashed) != 0 {
			t.Fatalf("still trashed after Undo: %v", be.trashed)
		}
		if len(u.dups.groups) != 3 || !u.dups.undoB.Disabled() {
			t.Fatalf("after Undo: %d groups, undo disabled %v", len(u.dups.groups), u.dups.undoB.Disabled())
		}
		if !strings.Contains(u.status.problem.Text, "Restored 2 photos") {
			t.Errorf("status %q", u.status.problem.Text)
		}
	})
}

func TestDuplicatesTrashFailureIsShown(t *testing.T) {
	be := newDupBackend()
	be.refuse[4] = "trash /photos/2008/IMG_000003.jpg: permission denied"
	u := openDuplicates(t, be)
	u.act(func() { test.Tap(u.dups.trashB) })
	u.act(func() { u.dups.confirm.Confirm() })
	u.withUI(func() {
		if !be.trashed[2] || !be.trashed[6] || be.trashed[4] {
			t.Fatalf("trashed %v, want 2 and 6", be.trashed)
		}
		if text := overlayText(u); !strings.Contains(text, "permission denied") {
			t.Fatalf("error dialog says %q", text)
		}
		if len(u.dups.undo) != 1 || len(u.dups.undo[0]) != 2 {
			t.Fatalf("undo holds %v", u.dups.undo)
		}
	})
}

func TestDuplicatesEmptyLibrary(t *testing.T) {
	u := openDuplicates(t, newFakeBackend(20))
	u.withUI(func() {
		if !strings.Contains(u.dups.info.Text, "none in the library") || !u.dups.trashB.Disabled() {
			t.Fatalf("info %q, trash disabled %v", u.dups.info.Text, u.dups.trashB.Disabled())
		}
	})
}

func TestCompareRowsMarkDifferences(t *testing.T) {
	base := catalog.Photo{Path: "/p/a.jpg", Folder: "/p", Format: "jpeg", Width: 4000, Height: 3000, Size: 3_000_000,
		Make: "Panasonic", Model: "DMC-FX33", ISO: 100, FNumber: 2.8}
	tests := []struct {
		name   string
		edit   func(p *catalog.Photo)
		differ []string
	}{
		{"identical copy elsewhere", func(p *catalog.Photo) { p.Folder = "/q" }, []string{"Folder"}},
		{"re-encoded smaller", func(p *catalog.Photo) { p.Width, p.Height, p.Size = 1024, 768, 200_000 }, []string{"Size", "File"}},
		{"converted to png", func(p *catalog.Photo) { p.Format = "png" }, []string{"File"}},
		{"EXIF stripped", func(p *catalog.Photo) { p.Make, p.Model, p.ISO, p.FNumber = "", "", 0, 0 }, []string{"Camera", "Aperture", "ISO"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := base
			tc.edit(&b)
			var got []string
			for _, r := range compareRows(base, b) {
				if r.Differs {
					got = append(got, r.Label)
					if r.A == r.B {
						t.Errorf("%s marked but equal: %q", r.Label, r.A)
					}
				} else if r.A != r.B {
					t.Errorf("%s differs (%q vs %q) but is not marked", r.Label, r.A, r.B)
				}
			}
			if !slices.Equal(got, tc.differ) {
				t.Errorf("differing rows %v, want %v", got, tc.differ)
			}
		})
	}
	// A field only the second photo has is listed, with a dash for the first.
	b := base
	b.Lens = "LUMIX"
	rows := compareRows(base, b)
	i := slices.IndexFunc(rows, func(r compareRow) bool { return r.Label == "Lens" })
	if i < 0 || rows[i].A != "—" || rows[i].B != "LUMIX" || !rows[i].Differs {
		t.Errorf("lens row: %+v", rows)
	}
}
