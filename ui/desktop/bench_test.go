package desktop

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/simili/simili/library/catalog"
	"github.com/simili/simili/search/engine"
)

const benchPhotos = 100_000

// openAndWait builds the window and measures the time until it is usable:
// the count is known, the first page of rows is bound to the visible cells
// and their thumbnails are decoded (or known to be missing).
func openAndWait(tb testing.TB, be Backend) (*ui, time.Duration) {
	a := test.NewTempApp(tb)
	start := time.Now()
	w := a.NewWindow("Simili")
	u := newUI(a, w, be, slog.New(slog.NewTextHandler(io.Discard, nil)))
	w.Resize(fyne.NewSize(1200, 800))
	u.withUI(func() { u.start(false) })
	for {
		ready := false
		u.withUI(func() {
			cells := shownCells(u.library.grid)
			ready = len(cells) > 0 && u.thumbs.Idle()
		})
		if ready {
			break
		}
		time.Sleep(200 * time.Microsecond)
	}
	took := time.Since(start)
	tb.Cleanup(func() {
		u.close()
		u.settle()
		w.Close()
	})
	u.settle()
	return u, took
}

// scrollFrame is one frame of a fast scroll on the UI goroutine: the
// offset moves by two rows (a brisk wheel flick), the grid lays out and
// binds the newly visible cells, then every visible cell is bound again, as
// happens when a page of rows or a batch of thumbnails arrives. GL painting
// is not included (see scroll+render for a software-rendered frame).
func scrollFrame(u *ui, off *float32) time.Duration {
	var d time.Duration
	u.withUI(func() {
		g := u.library.grid.grid
		*off += 2 * (u.cellSize().Height + 4)
		start := time.Now()
		g.ScrollToOffset(*off)
		g.Refresh()
		d = time.Since(start)
		if g.GetScrollOffset() < *off { // reached the end: start over
			*off = 0
		}
	})
	return d
}

// BenchmarkLibrary100k measures the library view on a generated library of
// 100,000 photos held by a fake backend (UI cost only).
func BenchmarkLibrary100k(b *testing.B) {
	be := newFakeBackend(benchPhotos)
	b.Run("open", func(b *testing.B) {
		var total time.Duration
		for b.Loop() {
			_, d := openAndWait(b, be)
			total += d
		}
		b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/open")
	})
	b.Run("scroll", func(b *testing.B) {
		u, _ := openAndWait(b, be)
		off := float32(0)
		var total, worst time.Duration
		for b.Loop() {
			d := scrollFrame(u, &off)
			total += d
			worst = max(worst, d)
			u.settle() // rows and thumbnails of the new position arrive (not timed)
		}
		b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/frame")
		b.ReportMetric(float64(worst.Microseconds())/1000, "ms/worst-frame")
	})
	b.Run("scroll+render", func(b *testing.B) {
		// The same frame drawn by Fyne's software painter at 1200x800: an
		// upper bound for the GPU path.
		u, _ := openAndWait(b, be)
		off := float32(0)
		for b.Loop() {
			scrollFrame(u, &off)
			u.withUI(func() { u.win.Canvas().(test.WindowlessCanvas).Capture() })
		}
	})
}

// catalog100k builds (once per process) a real SQLite catalog of 100,000
// photos in a temporary data folder.
var catalog100k struct {
	once sync.Once
	dir  string
	took time.Duration
	err  error
}

func realCatalog100k(tb testing.TB) string {
	catalog100k.once.Do(func() {
		dir, err := os.MkdirTemp("", "simili-bench-")
		if err != nil {
			catalog100k.err = err
			return
		}
		catalog100k.dir = dir
		start := time.Now()
		ctx := context.Background()
		cat, err := catalog.Open(ctx, filepath.Join(dir, "data", "catalog.db"))
		if err != nil {
			catalog100k.err = err
			return
		}
		defer cat.Close()
		for _, p := range newFakeBackend(benchPhotos).photos {
			p.ID = 0
			if err := cat.PutPhoto(ctx, &p, 1); err != nil {
				catalog100k.err = err
				return
			}
		}
		catalog100k.took = time.Since(start)
	})
	if catalog100k.err != nil {
		tb.Fatal(catalog100k.err)
	}
	return catalog100k.dir
}

// BenchmarkRealCatalog100k opens the window on the real engine over a
// 100,000-photo catalog (no thumbnails: placeholders) and scrolls it.
func BenchmarkRealCatalog100k(b *testing.B) {
	if testing.Short() {
		b.Skip("builds a 100,000-row catalog")
	}
	dir := realCatalog100k(b)
	b.Logf("catalog of %d photos built in %s", benchPhotos, catalog100k.took.Round(time.Millisecond))
	cfg := engine.Config{DataDir: filepath.Join(dir, "data"), CacheDir: filepath.Join(dir, "cache"), Model: "squeezenet", Store: "embedded", ThumbSize: 160}
	eng, err := engine.Open(context.Background(), cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Close()
	be := NewBackend(eng)
	b.Run("open", func(b *testing.B) {
		var total time.Duration
		for b.Loop() {
			_, d := openAndWait(b, be)
			total += d
		}
		b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/open")
	})
	b.Run("page", func(b *testing.B) {
		// One page of rows at a random depth: what a fast scroll waits for.
		rng := rand.New(rand.NewPCG(3, 4))
		for b.Loop() {
			off := rng.IntN(benchPhotos/libraryPageSize) * libraryPageSize
			if _, err := be.List(context.Background(), catalog.Query{Offset: off, Limit: libraryPageSize}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("scroll", func(b *testing.B) {
		u, _ := openAndWait(b, be)
		off := float32(0)
		var total, worst time.Duration
		for b.Loop() {
			d := scrollFrame(u, &off)
			total += d
			worst = max(worst, d)
			u.settle()
		}
		b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/frame")
		b.ReportMetric(float64(worst.Microseconds())/1000, "ms/worst-frame")
	})
}
