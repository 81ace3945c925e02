package bench

import (
	"context"
	"fmt"
	"image/jpeg"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sync"
	"syscall"
	"time"

	"github.com/simili/simili/search/engine"
)

// IndexResult is one end-to-end indexing run.
type IndexResult struct {
	Model          string  `json:"model"`
	Photos         int     `json:"photos"`
	Seconds        float64 `json:"seconds"`
	PhotosPerSec   float64 `json:"photos_per_s"`
	CPUSecPerPhoto float64 `json:"cpu_s_per_photo"`
}

// Photo12MP is the size of the generated benchmark photos (4000×3000).
const (
	Photo12MPWidth  = 4000
	Photo12MPHeight = 3000
)

// EnsurePhotos writes n generated 12-MP JPEGs into dir unless they are
// already there (they are reused between runs: generating them costs more
// than indexing them).
func EnsurePhotos(ctx context.Context, dir string, n int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("bench photos: %w", err)
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		next = make(chan int)
	)
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := writePhoto(filepath.Join(dir, fmt.Sprintf("photo-%04d.jpg", i)), int64(i)); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		}()
	}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	if len(errs) > 0 {
		return errs[0]
	}
	return ctx.Err()
}

func writePhoto(path string, seed int64) error {
	if fi, err := os.Stat(path); err == nil && fi.Size() > 0 {
		return nil
	}
	img := SyntheticPhoto(Photo12MPWidth, Photo12MPHeight, seed)
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("bench photo: %w", err)
	}
	if err := jpeg.Encode(f, img, &jpeg.Options{Quality: 90}); err != nil {
		f.Close()
		return fmt.Errorf("encode bench photo: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("bench photo: %w", err)
	}
	return os.Rename(tmp, path)
}

// Index runs a complete first-time index of photosDir with cfg (whose data
// and cache folders should be fresh) and measures wall and CPU time. When
// profile is not nil it receives a CPU profile of the indexing (model load
// left out).
func Index(ctx context.Context, cfg engine.Config, photosDir string, profile io.Writer) (IndexResult, error) {
	eng, err := engine.Open(ctx, cfg, nil)
	if err != nil {
		return IndexResult{}, err
	}
	defer eng.Close()
	if err := eng.LoadModel(); err != nil { // model load is not indexing
		return IndexResult{}, err
	}
	if profile != nil {
		if err := pprof.StartCPUProfile(profile); err != nil {
			return IndexResult{}, fmt.Errorf("cpu profile: %w", err)
		}
	}
	cpu0 := cpuSeconds()
	start := time.Now()
	res, err := eng.Index(ctx, []string{photosDir}, engine.IndexOptions{})
	wall := time.Since(start).Seconds()
	cpu := cpuSeconds() - cpu0
	if profile != nil {
		pprof.StopCPUProfile()
	}
	if err != nil {
		return IndexResult{}, err
	}
	if res.Processed == 0 || res.Failed > 0 {
		return IndexResult{}, fmt.Errorf("bench index: %d processed, %d failed", res.Processed, res.Failed)
	}
	return IndexResult{
		Model:          cfg.Model,
		Photos:         res.Processed,
		Seconds:        wall,
		PhotosPerSec:   float64(res.Processed) / wall,
		CPUSecPerPhoto: cpu / float64(res.Processed),
	}, nil
}

// cpuSeconds is the user+system CPU time of this process, all threads
// (Go and ONNX Runtime) included.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
