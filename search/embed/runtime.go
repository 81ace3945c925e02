package embed

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// RuntimeVersion is the ONNX Runtime release that onnxruntime_go v1.27.0 is
// built against; scripts/fetch-onnxruntime.sh installs the same one.
const RuntimeVersion = "1.24.1"

// Environment variables that locate files outside the repository.
const (
	// RuntimeEnv is the path of libonnxruntime.so, checked first.
	RuntimeEnv = "SIMILI_ONNXRUNTIME"
	// ortLibraryEnv is the variable onnxruntime_go's own examples use.
	ortLibraryEnv = "ONNXRUNTIME_SHARED_LIBRARY_PATH"
	// CacheEnv overrides the simili cache root.
	CacheEnv = "SIMILI_CACHE_DIR"
)

// CacheDir returns the root of Simili's cache: $SIMILI_CACHE_DIR, else
// os.UserCacheDir()/simili (which honours XDG_CACHE_HOME), as the Makefile
// and scripts/fetch-onnxruntime.sh compute it.
func CacheDir() (string, error) {
	if dir := os.Getenv(CacheEnv); dir != "" {
		return dir, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("locate the cache directory (set %s): %w", CacheEnv, err)
	}
	return filepath.Join(base, "simili"), nil
}

// RuntimeCachePath is where scripts/fetch-onnxruntime.sh installs the library.
func RuntimeCachePath() (string, error) {
	dir, err := CacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "onnxruntime", RuntimeVersion, "libonnxruntime.so"), nil
}

// FindRuntime locates the ONNX Runtime shared library: $SIMILI_ONNXRUNTIME,
// then $ONNXRUNTIME_SHARED_LIBRARY_PATH, then the cache. A variable that is
// set must point at an existing file: silently falling back would hide a typo.
func FindRuntime() (string, error) {
	for _, env := range []string{RuntimeEnv, ortLibraryEnv} {
		p := os.Getenv(env)
		if p == "" {
			continue
		}
		if err := isFile(p); err != nil {
			return "", fmt.Errorf("ONNX Runtime library from %s: %w; unset it or run `make onnxruntime` (scripts/fetch-onnxruntime.sh)", env, err)
		}
		return p, nil
	}
	p, err := RuntimeCachePath()
	if err != nil {
		return "", err
	}
	if err := isFile(p); err != nil {
		return "", fmt.Errorf("ONNX Runtime %s not found at %s: run `make onnxruntime` (or scripts/fetch-onnxruntime.sh), or set %s to the path of libonnxruntime.so", RuntimeVersion, p, RuntimeEnv)
	}
	return p, nil
}

func isFile(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return fmt.Errorf("%s is a directory, not the shared library", p)
	}
	return nil
}

// ortEnv guards ONNX Runtime's environment, which is process-wide by design
// (one OrtEnv, one dlopen'ed library): it is the package's only global state.
// It is initialised on first Open and never destroyed, because sessions may
// live in several Embedders and tearing the environment down under one of
// them would crash. Loading a second, different library is refused.
var ortEnv struct {
	mu   sync.Mutex
	path string // library loaded; empty until a successful initialisation
}

// initRuntime loads the library at path unless it is already loaded.
func initRuntime(path string) error {
	ortEnv.mu.Lock()
	defer ortEnv.mu.Unlock()
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("ONNX Runtime path %s: %w", path, err)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	if ortEnv.path != "" {
		if ortEnv.path != abs {
			return fmt.Errorf("ONNX Runtime already loaded from %s; cannot also load %s in the same process", ortEnv.path, abs)
		}
		return nil
	}
	if err := isFile(abs); err != nil {
		return fmt.Errorf("ONNX Runtime library: %w", err)
	}
	ort.SetSharedLibraryPath(abs)
	if err := ort.InitializeEnvironment(ort.WithLogLevelError()); err != nil {
		return fmt.Errorf("load ONNX Runtime from %s (need version %s): %w", abs, RuntimeVersion, err)
	}
	ortEnv.path = abs
	return nil
}
