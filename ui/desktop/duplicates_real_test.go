package desktop

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/simili/simili/internal/testenv"
	"github.com/simili/simili/search/embed"
	"github.com/simili/simili/search/engine"
)

func fileSums(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		s := sha256.Sum256(data)
		out[p] = hex.EncodeToString(s[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRealDuplicatesTrashAndUndo runs the window on the real engine over a
// copy of three holidays photos plus a byte-identical copy of one: the
// Duplicates view finds the pair, Move to Trash moves only the ticked copy
// into the freedesktop trash and the grid loses it, Undo brings it back
// byte for byte.
func TestRealDuplicatesTrashAndUndo(t *testing.T) {
	if _, err := embed.FindRuntime(); err != nil {
		testenv.Skipf(t, "ONNX Runtime not installed (run `make onnxruntime`): %v", err)
	}
	holidays := testenv.Holidays(t)
	model := testenv.SqueezeNet(t)
	root := t.TempDir()
	t.Setenv("XDG_DATA_HOME", filepath.Join(root, "xdg"))
	photos := filepath.Join(root, "photos")
	copies := map[string]string{
		"100001.jpg": "100001.jpg", "100002.jpg": "100002.jpg", "100101.jpg": "100101.jpg",
		"copies/100101 copy.jpg": "100101.jpg",
	}
	for dst, src := range copies {
		data, err := os.ReadFile(filepath.Join(holidays, src))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(photos, dst)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := engine.Config{
		DataDir: filepath.Join(root, "data"), CacheDir: filepath.Join(root, "cache"),
		Model: "squeezenet", ModelFile: model, Store: "embedded", Workers: 2, ThumbSize: 160,
	}
	eng, err := engine.Open(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	if _, err := eng.Index(context.Background(), []string{photos}, engine.IndexOptions{}); err != nil {
		t.Fatal(err)
	}
	before := fileSums(t, photos)

	u := openDuplicates(t, NewBackend(eng))
	var gone string
	u.withUI(func() {
		v := u.dups
		if len(v.groups) != 1 || len(v.groups[0].Members) != 2 {
			t.Fatalf("identical tier: %d groups (%s), want the one pair", len(v.groups), v.info.Text)
		}
		g := v.groups[0]
		if !g.Members[0].Keeper || g.Members[1].Keeper || g.KeeperReason == "" {
			t.Fatalf("group %+v: want the keeper first, with a reason", g)
		}
		gone = g.Members[1].Photo.Path
		if filepath.Base(gone) != "100101.jpg" && filepath.Base(gone) != "100101 copy.jpg" {
			t.Fatalf("the pair holds %s", gone)
		}
		if n := u.library.src.Len(); n != 4 {
			t.Fatalf("grid has %d photos, want 4", n)
		}
	})
	u.act(func() { test.Tap(u.dups.trashB) })
	u.withUI(func() {
		if text := overlayText(u); !strings.Contains(text, "Move 1 photo to the trash") {
			t.Fatalf("confirmation: %q", text)
		}
	})
	u.act(func() { u.dups.confirm.Confirm() })
	u.withUI(func() {
		after := fileSums(t, photos)
		for p, s := range before {
			if p == gone {
				if _, ok := after[p]; ok {
					t.Errorf("%s still on disk", p)
				}
			} else if after[p] != s {
				t.Errorf("%s touched", p)
			}
		}
		trashed := filepath.Join(root, "xdg", "Trash", "files", filepath.Base(gone))
		if got := fileSums(t, filepath.Dir(trashed))[trashed]; got != before[gone] {
			t.Errorf("not in the trash intact: %s", trashed)
		}
		if n := u.library.src.Len(); n != 3 {
			t.Errorf("grid has %d photos after the move, want 3", n)
		}
		if len(u.dups.groups) != 0 || u.dups.undoB.Disabled() {
			t.Errorf("after the move: %d groups, undo disabled %v", len(u.dups.groups), u.dups.undoB.Disabled())
		}
	})
	u.act(func() { test.Tap(u.dups.undoB) })
	u.withUI(func() {
		after := fileSums(t, photos)
		if len(after) != len(before) {
			t.Errorf("%d files after Undo, want %d", len(after), len(before))
		}
		for p, s := range before {
			if after[p] != s {
				t.Errorf("%s not restored intact", p)
			}
		}
		if n := u.library.src.Len(); n != 4 {
			t.Errorf("grid has %d photos after Undo, want 4", n)
		}
		if len(u.dups.groups) != 1 {
			t.Errorf("after Undo: %d groups, want the pair again", len(u.dups.groups))
		}
	})
	// The restored photo is searchable again.
	p, err := eng.PhotoByPath(context.Background(), gone)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := eng.SimilarToFile(context.Background(), gone, engine.SimilarQuery{K: 2})
	if err != nil || len(ms) < 2 || (ms[0].Photo.ID != p.ID && ms[1].Photo.ID != p.ID) {
		t.Errorf("restored photo not found by search: %v", err)
	}
}
