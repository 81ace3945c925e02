package desktop

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"

	"github.com/simili/simili/internal/testenv"
	"github.com/simili/simili/search/embed"
	"github.com/simili/simili/search/engine"
)

// BenchmarkRealDropToResults is "drop a photo → results on screen" through
// the window's own code path (handleDrop → SimilarToFile → results grid →
// thumbnail loader) on the real engine: the holidays photos indexed with
// SqueezeNet. Each drop is timed from the call to the moment the grid
// shows the best match with its thumbnail loaded; it reports the p50 and
// p99 of those times. Fyne's test driver lays widgets out but paints
// nothing, so a real window adds its frame time.
func BenchmarkRealDropToResults(b *testing.B) {
	if _, err := embed.FindRuntime(); err != nil {
		testenv.Skipf(b, "ONNX Runtime not installed (run `make onnxruntime`): %v", err)
	}
	dir := testenv.Holidays(b)
	root := b.TempDir()
	cfg := engine.Config{
		DataDir: filepath.Join(root, "data"), CacheDir: filepath.Join(root, "cache"),
		Model: "squeezenet", ModelFile: testenv.SqueezeNet(b), Store: "embedded", Workers: 2, ThumbSize: 160,
	}
	eng, err := engine.Open(context.Background(), cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Close()
	if _, err := eng.Index(context.Background(), []string{dir}, engine.IndexOptions{}); err != nil {
		b.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	var photos []string
	for _, e := range entries {
		if filepath.Ext(e.Name()) == ".jpg" {
			photos = append(photos, filepath.Join(dir, e.Name()))
		}
	}
	u := newTestUI(b, NewBackend(eng))
	shown := func() bool {
		m := u.results.matches
		if len(m) == 0 {
			return false
		}
		cells := shownCells(u.results.grid)
		return len(cells) > 0 && cells[0].hash == m[0].Photo.Hash && cells[0].img.Image != nil
	}
	var lat []time.Duration
	i := 0
	for b.Loop() {
		uri := storage.NewFileURI(photos[i%len(photos)])
		i++
		u.withUI(func() { u.results.matches = nil })
		start := time.Now()
		u.withUI(func() { u.handleDrop([]fyne.URI{uri}) })
		for done := false; !done; {
			if time.Since(start) > 30*time.Second {
				b.Fatalf("no results shown for %s after 30 s", uri.Path())
			}
			time.Sleep(500 * time.Microsecond)
			fyne.DoAndWait(func() {}) // let queued UI updates run
			u.withUI(func() {
				if done = shown(); !done && len(u.results.matches) > 0 {
					u.results.grid.grid.Refresh() // lay the new cells out
				}
			})
		}
		lat = append(lat, time.Since(start))
		u.settle() // leftover thumbnail work finishes, untimed
	}
	sort.Slice(lat, func(a, b int) bool { return lat[a] < lat[b] })
	q := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(q(0.5), "ms-p50")
	b.ReportMetric(q(0.99), "ms-p99")
	b.ReportMetric(0, "ns/op")
}
