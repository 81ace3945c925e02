// Package testenv locates the shared test data and native runtimes that tests
// need, and skips a test with a clear message when they are absent.
package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// SharedEnv names the variable that points at the shared data folder.
const SharedEnv = "SIMILI_SHARED"

// StrictEnv, when set to 1 (as CI does), turns every skip for a missing
// input or runtime into a failure, so CI cannot pass by testing nothing.
const StrictEnv = "SIMILI_STRICT"

// Skipf skips the test, or fails it when SIMILI_STRICT=1.
func Skipf(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv(StrictEnv) == "1" {
		t.Fatalf("required test input missing ("+StrictEnv+"=1): "+format, args...)
	}
	t.Skipf(format, args...)
}

// RepoRoot returns the directory holding go.mod, searching upwards from the
// working directory (go test runs in the package directory).
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("getwd: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no go.mod above the working directory")
		}
		dir = parent
	}
}

// Shared returns the shared data folder ($SIMILI_SHARED, default ../shared
// beside the repository), or skips the test when it is missing.
func Shared(t testing.TB) string {
	t.Helper()
	dir := os.Getenv(SharedEnv)
	if dir == "" {
		dir = filepath.Join(RepoRoot(t), "..", "shared")
	}
	if _, err := os.Stat(filepath.Join(dir, "README.md")); err != nil {
		Skipf(t, "shared test data not found at %s (set %s): %v", dir, SharedEnv, err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatalf("abs %s: %v", dir, err)
	}
	return abs
}

// SharedPath returns a path inside the shared data folder, skipping the test
// when that path does not exist.
func SharedPath(t testing.TB, elem ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{Shared(t)}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		Skipf(t, "shared test input %s missing: %v", p, err)
	}
	return p
}

// Holidays returns the holidays-1024 photo folder.
func Holidays(t testing.TB) string {
	t.Helper()
	return SharedPath(t, "datasets", "holidays-1024")
}

// SqueezeNet returns the fp32 SqueezeNet model file.
func SqueezeNet(t testing.TB) string {
	t.Helper()
	return SharedPath(t, "models", "squeezenet1.1", "squeezenet1.1-fp32.onnx")
}
