package engine

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
)

// TestSaveWritesOnlyChosenKeys: Settings hands Save the whole effective
// configuration (defaults, file, environment); only the keys already in
// the file and the ones the user changed reach config.json.
func TestSaveWritesOnlyChosenKeys(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.json")
	t.Setenv(EnvConfig, path)
	t.Setenv(EnvDataDir, filepath.Join(dir, "from-env"))
	t.Setenv(EnvCacheDir, "")
	t.Setenv(EnvModel, "")
	t.Setenv(EnvStore, "")
	if err := os.WriteFile(path, []byte(`{"model": "squeezenet", "sync_batch": 64}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SyncBatch != 64 {
		t.Errorf("sync_batch from the file: %d, want 64", cfg.SyncBatch)
	}
	cfg.Store = "milvus://db.example:19530" // what the user changed in Settings
	if err := Save(cfg); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("saved config: %v\n%s", err, raw)
	}
	keys := make([]string, 0, len(got))
	for k := range got {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := []string{"model", "store", "sync_batch"}; !slices.Equal(keys, want) {
		t.Fatalf("saved keys %v, want %v:\n%s", keys, want, raw)
	}
	if got["store"] != "milvus://db.example:19530" || got["model"] != "squeezenet" {
		t.Fatalf("saved %s", raw)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("config file mode: %v, %v; want 0600 (it may hold a token)", st.Mode(), err)
	}

	// Clearing a field the file set (a model file when the model changes)
	// removes it.
	if err := os.WriteFile(path, []byte(`{"model": "squeezenet", "model_file": "/m/sq.onnx"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err = Load()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Model, cfg.ModelFile = "resnet50", ""
	if err := Save(cfg); err != nil {
		t.Fatal(err)
	}
	back := readConfigFile(t, path)
	if back != (Config{Model: "resnet50"}) {
		t.Fatalf("after switching model: %+v, want only model resnet50", back)
	}
}

// TestSaveConcurrent: concurrent saves each use their own temporary file,
// so every one succeeds, the file ends whole and no temporary is left.
func TestSaveConcurrent(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.json")
	t.Setenv(EnvConfig, path)
	t.Setenv(EnvDataDir, "")
	t.Setenv(EnvStore, "")
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- Save(Config{Store: fmt.Sprintf("milvus://h%d:19530", i)})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent Save: %v", err)
		}
	}
	readConfigFile(t, path)
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 {
		names := []string{}
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Fatalf("folder holds %v, want only config.json", names)
	}
}

func readConfigFile(t *testing.T, path string) Config {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c Config
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatalf("config file %s: %v\n%s", path, err, raw)
	}
	return c
}
