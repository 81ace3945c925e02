package desktop

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"

	"github.com/simili/simili/internal/testenv"
	"github.com/simili/simili/library/facet"
	"github.com/simili/simili/search/embed"
	"github.com/simili/simili/search/engine"
)

// The real engine on the holidays photos with SqueezeNet, indexed once for
// the package's tests.
var holidays struct {
	once sync.Once
	eng  *engine.Engine
	root string
	err  error
}

func holidaysEngine(t *testing.T) (*engine.Engine, string) {
	t.Helper()
	if _, err := embed.FindRuntime(); err != nil {
		testenv.Skipf(t, "ONNX Runtime not installed (run `make onnxruntime`): %v", err)
	}
	dir := testenv.Holidays(t)
	model := testenv.SqueezeNet(t)
	holidays.once.Do(func() {
		root, err := os.MkdirTemp("", "simili-desktop-test-")
		if err != nil {
			holidays.err = err
			return
		}
		holidays.root = root
		cfg := engine.Config{
			DataDir: filepath.Join(root, "data"), CacheDir: filepath.Join(root, "cache"),
			Model: "squeezenet", ModelFile: model, Store: "embedded", Workers: 2, ThumbSize: 160,
		}
		eng, err := engine.Open(context.Background(), cfg, nil)
		if err != nil {
			holidays.err = err
			return
		}
		holidays.eng = eng
		_, holidays.err = eng.Index(context.Background(), []string{dir}, engine.IndexOptions{})
	})
	if holidays.err != nil {
		t.Fatalf("index holidays: %v", holidays.err)
	}
	return holidays.eng, dir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if holidays.eng != nil {
		holidays.eng.Close()
	}
	for _, dir := range []string{holidays.root, catalog100k.dir} {
		if dir != "" {
			os.RemoveAll(dir)
		}
	}
	os.Exit(code)
}

// Dropping 100001.jpg runs SimilarToFile and shows 100002.jpg, the other
// photo of the same scene, among the first three results with its score.
func TestRealDropFindsTheSameScene(t *testing.T) {
	eng, dir := holidaysEngine(t)
	u := newTestUI(t, NewBackend(eng))
	u.act(func() { u.handleDrop([]fyne.URI{storage.NewFileURI(filepath.Join(dir, "100001.jpg"))}) })
	u.withUI(func() {
		m := u.results.matches
		if len(m) < 3 {
			t.Fatalf("%d results; info %q", len(m), u.results.info.Text)
		}
		rank := -1
		for i, x := range m[:3] {
			t.Logf("result %d: %s score %.3f", i+1, filepath.Base(x.Photo.Path), x.Score)
			if filepath.Base(x.Photo.Path) == "100002.jpg" {
				rank = i
			}
		}
		if rank < 0 {
			t.Fatal("100002.jpg is not in the top 3")
		}
		cells := shownCells(u.results.grid)
		if len(cells) < 3 || cells[rank].hash != m[rank].Photo.Hash {
			t.Fatalf("the grid does not show the results in order (%d cells)", len(cells))
		}
		if want := strings.TrimSpace(cells[rank].caption.Text); want == "" || !strings.HasPrefix(want, "0.") && want != "1.000" {
			t.Fatalf("score caption %q", want)
		}
		if cells[rank].img.Image == nil {
			t.Fatal("result thumbnail not loaded")
		}
		// The detail pane shows the dropped file with its EXIF (it is catalogued).
		if !strings.Contains(fieldsText(u.detail), "DMC-FX33") {
			t.Fatalf("detail of the dropped file: %q", fieldsText(u.detail))
		}
	})
}

// Choosing camera DMC-FX33 queries the catalog with exactly that filter:
// the grid holds every DMC-FX33 photo and nothing else, and similarity
// results follow the same filter.
func TestRealCameraFilter(t *testing.T) {
	eng, _ := holidaysEngine(t)
	want, err := eng.CountPhotos(context.Background(), facet.Filter{Camera: "DMC-FX33"})
	if err != nil || want == 0 {
		t.Fatalf("catalog count of DMC-FX33: %d, %v", want, err)
	}
	u := newTestUI(t, NewBackend(eng))
	u.withUI(func() {
		found := false
		for _, o := range u.filters.camera.sel.Options {
			found = found || strings.HasPrefix(o, "DMC-FX33 (")
		}
		if !found {
			t.Fatalf("camera choices %v lack DMC-FX33", u.filters.camera.sel.Options)
		}
	})
	u.act(func() { u.filters.setCamera("DMC-FX33") })
	u.withUI(func() {
		if u.library.src.Len() != want {
			t.Fatalf("grid has %d photos, catalog %d", u.library.src.Len(), want)
		}
	})
	u.act(func() {}) // pages load
	u.withUI(func() {
		for i := 0; i < u.library.src.Len(); i++ {
			it, ok := u.library.src.At(i)
			if !ok {
				t.Fatalf("item %d not loaded", i)
			}
			if it.Photo.Model != "DMC-FX33" && it.Photo.Make != "DMC-FX33" {
				t.Fatalf("item %d is a %s %s", i, it.Photo.Make, it.Photo.Model)
			}
		}
		for _, c := range shownCells(u.library.grid) {
			if c.img.Image == nil {
				t.Fatal("a visible cell has no thumbnail")
			}
		}
	})
	it, _ := u.library.src.At(0)
	u.act(func() { u.openPhoto(it.Photo, true) })
	u.withUI(func() {
		if len(u.results.matches) == 0 {
			t.Fatalf("no results: %q", u.results.info.Text)
		}
		for _, m := range u.results.matches {
			if m.Photo.Model != "DMC-FX33" {
				t.Fatalf("result %s from %s passes the DMC-FX33 filter", m.Photo.Path, m.Photo.Model)
			}
		}
	})
}

func TestRealVisualGroups(t *testing.T) {
	eng, _ := holidaysEngine(t)
	u := newTestUI(t, NewBackend(eng))
	u.act(func() { u.tabs.SelectIndex(2) })
	u.withUI(func() {
		if len(u.groups.groups) < 100 || len(u.groups.groups[0].Photos) < 5 {
			t.Fatalf("%d groups; info %q", len(u.groups.groups), u.groups.info.Text)
		}
		t.Logf("groups view: %s", u.groups.info.Text)
	})
}

// Removing a library folder takes its photos out of the library (and the
// store), leaves the files alone, and keeps photos another folder covers.
func TestRealRemoveFolder(t *testing.T) {
	if _, err := embed.FindRuntime(); err != nil {
		testenv.Skipf(t, "ONNX Runtime not installed (run `make onnxruntime`): %v", err)
	}
	src := testenv.Holidays(t)
	root := t.TempDir()
	a, b := filepath.Join(root, "photos", "a"), filepath.Join(root, "photos", "b")
	for i, name := range []string{"100001.jpg", "100002.jpg", "100101.jpg"} {
		data, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		dir := a
		if i == 2 {
			dir = b
		}
		os.MkdirAll(dir, 0o755)
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := engine.Config{DataDir: filepath.Join(root, "data"), CacheDir: filepath.Join(root, "cache"),
		Model: "squeezenet", ModelFile: testenv.SqueezeNet(t), Store: "embedded", Workers: 1, ThumbSize: 64}
	ctx := context.Background()
	eng, err := engine.Open(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	if _, err := eng.Index(ctx, []string{a, b}, engine.IndexOptions{}); err != nil {
		t.Fatal(err)
	}
	n, err := NewBackend(eng).RemoveFolder(ctx, a)
	if err != nil || n != 2 {
		t.Fatalf("removed %d photos, %v; want 2", n, err)
	}
	left, _ := eng.CountPhotos(ctx, facet.Filter{})
	stored, _ := eng.StoreCount(ctx)
	roots, _ := eng.Roots(ctx)
	if left != 1 || stored != 1 || len(roots) != 1 || roots[0] != b {
		t.Fatalf("after removing %s: %d photos, %d vectors, roots %v", a, left, stored, roots)
	}
	if _, err := os.Stat(filepath.Join(a, "100001.jpg")); err != nil {
		t.Fatal("the file itself was touched")
	}
}
