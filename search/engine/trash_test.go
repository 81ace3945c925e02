package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/simili/simili/internal/testenv"
	"github.com/simili/simili/library/catalog"
	"github.com/simili/simili/library/trash"
)

// treeSums maps every regular file under root to its sha256.
func treeSums(t *testing.T, root string) map[string]string {
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

func TestMoveToTrashAndRestore(t *testing.T) {
	requireRuntime(t)
	holidays := testenv.Holidays(t)
	root := t.TempDir()
	t.Setenv("XDG_DATA_HOME", filepath.Join(root, "xdg"))
	photos := filepath.Join(root, "photos")
	names := []string{"100001.jpg", "100002.jpg", "100101.jpg", "100201.jpg", "100301.jpg", "100302.jpg"}
	for i, n := range names {
		data, err := os.ReadFile(filepath.Join(holidays, n))
		if err != nil {
			t.Fatal(err)
		}
		dir := photos
		if i%2 == 1 {
			dir = filepath.Join(photos, "sub")
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, n), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	cfg := testConfig(t, root)
	eng, err := Open(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Index(ctx, []string{photos}, IndexOptions{}); err != nil {
		t.Fatal(err)
	}
	before := treeSums(t, photos)
	byPath := func(e *Engine, p string) catalog.Photo {
		t.Helper()
		ph, err := e.cat.PhotoByPath(ctx, p)
		if err != nil {
			t.Fatalf("%s not catalogued: %v", p, err)
		}
		return ph
	}
	gone := []string{filepath.Join(photos, "sub", "100002.jpg"), filepath.Join(photos, "100101.jpg")}
	changed := filepath.Join(photos, "100001.jpg")
	ids := []int64{byPath(eng, gone[0]).ID, byPath(eng, gone[1]).ID, byPath(eng, changed).ID, 99999}
	// A file touched after cataloguing is not the one the user chose.
	if err := os.Chtimes(changed, time.Now(), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	storeBefore, err := eng.store.Count(ctx)
	if err != nil {
		t.Fatal(err)
	}

	res, err := eng.MoveToTrash(ctx, ids)
	if err != nil {
		t.Fatalf("MoveToTrash: %v", err)
	}
	if len(res.Moved) != 2 || len(res.Failed) != 2 {
		t.Fatalf("moved %d, failed %d (%v); want 2 and 2", len(res.Moved), len(res.Failed), res.Failed)
	}
	var wantBytes int64
	for i, m := range res.Moved {
		if m.Photo.Path != gone[i] {
			t.Errorf("moved %s, want %s", m.Photo.Path, gone[i])
		}
		st, err := os.Stat(m.Item.Trashed)
		if err != nil {
			t.Fatalf("not in the trash: %v", err)
		}
		wantBytes += st.Size()
		if got := treeSums(t, filepath.Dir(m.Item.Trashed))[m.Item.Trashed]; got != before[gone[i]] {
			t.Errorf("trashed copy of %s differs", gone[i])
		}
		if !strings.HasPrefix(m.Item.Info, filepath.Join(root, "xdg", "Trash", "info")+"/") {
			t.Errorf("trashinfo at %s, want in the XDG home trash", m.Item.Info)
		}
		if _, err := trash.ReadItem(m.Item.Info); err != nil {
			t.Errorf("trashinfo: %v", err)
		}
		if _, err := eng.cat.PhotoByPath(ctx, gone[i]); err == nil {
			t.Errorf("%s still catalogued", gone[i])
		}
	}
	if res.Bytes != wantBytes {
		t.Errorf("Bytes = %d, want %d", res.Bytes, wantBytes)
	}
	for _, f := range res.Failed {
		if f.Photo.ID == 99999 && !strings.Contains(f.Err.Error(), "not in the catalog") ||
			f.Photo.Path == changed && !strings.Contains(f.Err.Error(), "changed since") {
			t.Errorf("failure %d %s: %v", f.Photo.ID, f.Photo.Path, f.Err)
		}
	}
	after := treeSums(t, photos)
	for p, s := range before {
		if p == gone[0] || p == gone[1] {
			if _, ok := after[p]; ok {
				t.Errorf("%s still on disk", p)
			}
			continue
		}
		if after[p] != s {
			t.Errorf("%s touched", p)
		}
	}
	if n, _ := eng.store.Count(ctx); n != storeBefore-2 {
		t.Errorf("store holds %d, want %d", n, storeBefore-2)
	}
	// A search with the trashed file itself no longer finds it in the library.
	ms, err := eng.SimilarToFile(ctx, res.Moved[0].Item.Trashed, SimilarQuery{K: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.Photo.Path == gone[0] || m.Photo.Path == gone[1] {
			t.Errorf("search still returns trashed %s", m.Photo.Path)
		}
	}
	if err := eng.Close(); err != nil {
		t.Fatal(err)
	}

	// Undo from an engine that never loads the model: the embeddings come
	// from the catalog.
	fresh, err := Open(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	rr, err := fresh.RestoreFromTrash(ctx, res.Moved)
	if err != nil {
		t.Fatalf("RestoreFromTrash: %v", err)
	}
	if len(rr.Restored) != 2 || len(rr.Failed) != 0 || rr.NotEmbedded != 0 {
		t.Fatalf("restored %d, failed %v, not embedded %d", len(rr.Restored), rr.Failed, rr.NotEmbedded)
	}
	if fresh.embedder != nil {
		t.Error("restore loaded the model")
	}
	restoredSums := treeSums(t, photos)
	for p, s := range before {
		if restoredSums[p] != s {
			t.Errorf("%s not as before after restore", p)
		}
	}
	if len(restoredSums) != len(before) {
		t.Errorf("%d files after restore, want %d", len(restoredSums), len(before))
	}
	if n, _ := fresh.store.Count(ctx); n != storeBefore {
		t.Errorf("store holds %d after restore, want %d", n, storeBefore)
	}
	for i, p := range rr.Restored {
		again := byPath(fresh, p.Path)
		was := res.Moved[i].Photo
		if again.Hash != was.Hash || again.Width != was.Width || !again.TakenAt.Equal(was.TakenAt) ||
			again.Model != was.Model || !again.ModTime.Equal(was.ModTime) {
			t.Errorf("catalogue row of %s: %+v, was %+v", p.Path, again, was)
		}
		// Searching with the file finds its catalog row through the store
		// (stored vector: the file is catalogued and unchanged).
		ms, err := fresh.SimilarToFile(ctx, p.Path, SimilarQuery{K: 1})
		if err != nil || len(ms) == 0 || ms[0].Photo.ID != again.ID || ms[0].Score < 0.999 {
			t.Errorf("restored %s does not find itself first: %v %v", p.Path, paths(ms), err)
		}
	}
	if fresh.embedder != nil {
		t.Error("searching with restored photos loaded the model")
	}
	home := filepath.Join(root, "xdg", "Trash")
	for _, sub := range []string{"files", "info"} {
		if es, _ := os.ReadDir(filepath.Join(home, sub)); len(es) != 0 {
			t.Errorf("trash %s not empty after restore: %d entries", sub, len(es))
		}
	}
	// Restoring again fails cleanly: nothing is in the trash any more.
	if rr, _ := fresh.RestoreFromTrash(ctx, res.Moved); len(rr.Failed) != 2 || len(rr.Restored) != 0 {
		t.Errorf("second restore: %+v", rr)
	}
}
