package embed

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCacheDir(t *testing.T) {
	tests := []struct {
		name, cache, xdg, want string
	}{
		{"explicit", "/c/simili-cache", "/x", "/c/simili-cache"},
		{"xdg", "", "/x", "/x/simili"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(CacheEnv, tt.cache)
			t.Setenv("XDG_CACHE_HOME", tt.xdg)
			got, err := CacheDir()
			if err != nil || got != tt.want {
				t.Errorf("CacheDir() = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestFindRuntime(t *testing.T) {
	dir := t.TempDir()
	lib := filepath.Join(dir, "libonnxruntime.so")
	other := filepath.Join(dir, "other.so")
	for _, p := range []string{lib, other} {
		if err := os.WriteFile(p, []byte("not really"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	emptyCache := t.TempDir()
	fullCache := t.TempDir()
	cached := filepath.Join(fullCache, "onnxruntime", RuntimeVersion, "libonnxruntime.so")
	if err := os.MkdirAll(filepath.Dir(cached), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cached, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, simili, ortEnv, cache string
		want                        string
		errHas                      []string
	}{
		{name: "simili variable first", simili: lib, ortEnv: other, cache: fullCache, want: lib},
		{name: "onnxruntime_go variable", ortEnv: other, cache: fullCache, want: other},
		{name: "cache", cache: fullCache, want: cached},
		{name: "nothing", cache: emptyCache, errHas: []string{"make onnxruntime", "scripts/fetch-onnxruntime.sh", RuntimeEnv, emptyCache}},
		{name: "variable points nowhere", simili: filepath.Join(dir, "missing.so"), cache: fullCache, errHas: []string{RuntimeEnv, "missing.so"}},
		{name: "variable points at a directory", simili: dir, cache: fullCache, errHas: []string{"directory"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(RuntimeEnv, tt.simili)
			t.Setenv(ortLibraryEnv, tt.ortEnv)
			t.Setenv(CacheEnv, tt.cache)
			got, err := FindRuntime()
			if tt.errHas != nil {
				if err == nil {
					t.Fatalf("FindRuntime() = %q, want an error", got)
				}
				for _, s := range tt.errHas {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not mention %q", err, s)
					}
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("FindRuntime() = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
