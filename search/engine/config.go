package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"time"
)

// Config says where Simili keeps its data and which model and store it uses.
// Load fills it from defaults, the config file and the environment; command
// line flags then override single fields.
type Config struct {
	DataDir   string `json:"data_dir,omitempty"`   // catalog and embedded store
	CacheDir  string `json:"cache_dir,omitempty"`  // thumbnails, models, ONNX Runtime
	Model     string `json:"model,omitempty"`      // built-in model name
	ModelFile string `json:"model_file,omitempty"` // a local model file instead of the cache
	Store     string `json:"store,omitempty"`      // "embedded" or "milvus://host:port?..."
	// Threads is ONNX Runtime's intra-op threads per model run. Scans run
	// one model run per worker, so 1 keeps the cores busy without
	// oversubscribing them (measured: ResNet50 12.9 photos/s at 1 thread,
	// 10.4 at 2, on 2 cores).
	Threads   int `json:"threads,omitempty"`
	Workers   int `json:"workers,omitempty"`    // scan decode workers
	ThumbSize int `json:"thumb_size,omitempty"` // thumbnail max side in pixels
	// SyncBatch is how many vectors go to the store per call (0: 256).
	// Smaller batches reach a server sooner; larger ones cost fewer calls.
	SyncBatch int `json:"sync_batch,omitempty"`
	// ReadOnlyStore opens the embedded store without its write lock, for
	// commands that only search (`simili similar`): they then work while
	// an index run holds the store. Never saved.
	ReadOnlyStore bool `json:"-"`
	// RescanMinutes is how often watched folders are rescanned when the
	// system cannot watch them all (inotify's watch limit). 0: 10.
	RescanMinutes int `json:"rescan_minutes,omitempty"`
}

// Environment variables read by Load.
const (
	EnvConfig   = "SIMILI_CONFIG"    // config file path
	EnvDataDir  = "SIMILI_DATA_DIR"  // overrides DataDir
	EnvCacheDir = "SIMILI_CACHE_DIR" // overrides CacheDir
	EnvModel    = "SIMILI_MODEL"     // overrides Model
	EnvStore    = "SIMILI_STORE"     // overrides Store
)

// DefaultModel is what users get: the ResNet50 the brief promises.
const DefaultModel = "resnet50"

// defaults returns the configuration used when nothing is set.
func defaults() (Config, error) {
	data, err := defaultDataDir()
	if err != nil {
		return Config{}, err
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return Config{}, fmt.Errorf("find the user cache folder (set %s): %w", EnvCacheDir, err)
	}
	return Config{
		DataDir:   data,
		CacheDir:  filepath.Join(cache, "simili"),
		Model:     DefaultModel,
		Store:     "embedded",
		Threads:   1,
		Workers:   runtime.NumCPU(),
		ThumbSize: 320,
	}, nil
}

// defaultDataDir returns $XDG_DATA_HOME/simili or ~/.local/share/simili: data
// that must survive cache cleaning (the catalog) does not go to the cache.
func defaultDataDir() (string, error) {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "simili"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find the home folder (set %s): %w", EnvDataDir, err)
	}
	return filepath.Join(home, ".local", "share", "simili"), nil
}

// configPath returns the config file's path ($SIMILI_CONFIG, else
// <user config dir>/simili/config.json).
func configPath() (string, error) {
	if p := os.Getenv(EnvConfig); p != "" {
		return p, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find the user config folder (set %s): %w", EnvConfig, err)
	}
	return filepath.Join(dir, "simili", "config.json"), nil
}

// Load returns the defaults overlaid with the config file (if it exists) and
// the environment.
func Load() (Config, error) {
	cfg, err := defaults()
	if err != nil {
		return Config{}, err
	}
	path, err := configPath()
	if err != nil {
		return Config{}, err
	}
	file, err := readFile(path)
	if err != nil {
		return Config{}, err
	}
	cfg = cfg.Merge(file)
	cfg = cfg.Merge(Config{
		DataDir:  os.Getenv(EnvDataDir),
		CacheDir: os.Getenv(EnvCacheDir),
		Model:    os.Getenv(EnvModel),
		Store:    os.Getenv(EnvStore),
	})
	return cfg, nil
}

// Save records the settings the user chose in cfg: the keys already in the
// config file, plus every field where cfg differs from what Load returns
// now. Defaults and environment values that cfg merely carries are not
// written, so a later change of default or of the environment still
// applies. The file is replaced atomically and durably (a unique
// temporary file in the same folder, fsync, rename, fsync of the folder),
// so a crash or a concurrent Save never leaves a torn or foreign file.
func Save(cfg Config) error {
	path, err := configPath()
	if err != nil {
		return err
	}
	file, err := readFile(path)
	if err != nil {
		return err
	}
	cur, err := Load()
	if err != nil {
		return err
	}
	chosen := chosenKeys(file, cur, cfg)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create config folder: %w", err)
	}
	raw, err := json.MarshalIndent(chosen, "", "  ")
	if err != nil {
		return fmt.Errorf("encode config: %w", err)
	}
	return writeAtomic(path, append(raw, '\n'), 0o600)
}

// chosenKeys returns file with every saved field where next differs from
// cur (what Load gives now) replaced by next's value.
func chosenKeys(file, cur, next Config) Config {
	out := reflect.ValueOf(&file).Elem()
	c, n := reflect.ValueOf(cur), reflect.ValueOf(next)
	for i := range out.NumField() {
		if out.Type().Field(i).Tag.Get("json") == "-" {
			continue
		}
		if !c.Field(i).Equal(n.Field(i)) {
			out.Field(i).Set(n.Field(i))
		}
	}
	return file
}

// readFile returns the config file's own settings (zero when it does not
// exist).
func readFile(path string) (Config, error) {
	var file Config
	raw, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return file, nil
	case err != nil:
		return file, fmt.Errorf("read config %s: %w", path, err)
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		return file, fmt.Errorf("config %s: %w", path, err)
	}
	return file, nil
}

// writeAtomic replaces path with data: a unique temporary file beside it
// (two writers never share one), fsync, rename, fsync of the folder.
func writeAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	tmp := f.Name()
	fail := func(err error) error {
		_ = f.Close()
		_ = os.Remove(tmp)
		return fmt.Errorf("write config %s: %w", path, err)
	}
	if err := f.Chmod(perm); err != nil {
		return fail(err)
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write config %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write config %s: %w", path, err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync config folder: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("sync config folder %s: %w", dir, err)
	}
	return nil
}

// Merge returns c with every non-zero field of o applied.
func (c Config) Merge(o Config) Config {
	if o.DataDir != "" {
		c.DataDir = o.DataDir
	}
	if o.CacheDir != "" {
		c.CacheDir = o.CacheDir
	}
	if o.Model != "" {
		c.Model = o.Model
	}
	if o.ModelFile != "" {
		c.ModelFile = o.ModelFile
	}
	if o.Store != "" {
		c.Store = o.Store
	}
	if o.Threads != 0 {
		c.Threads = o.Threads
	}
	if o.Workers != 0 {
		c.Workers = o.Workers
	}
	if o.ThumbSize != 0 {
		c.ThumbSize = o.ThumbSize
	}
	if o.SyncBatch != 0 {
		c.SyncBatch = o.SyncBatch
	}
	if o.ReadOnlyStore {
		c.ReadOnlyStore = true
	}
	if o.RescanMinutes != 0 {
		c.RescanMinutes = o.RescanMinutes
	}
	return c
}

// DefaultRescanMinutes is the rescan interval when RescanMinutes is 0.
const DefaultRescanMinutes = 10

// RescanInterval is how often watched folders are rescanned when some
// cannot be watched.
func (c Config) RescanInterval() time.Duration {
	if c.RescanMinutes <= 0 {
		return DefaultRescanMinutes * time.Minute
	}
	return time.Duration(c.RescanMinutes) * time.Minute
}

// CatalogPath is where the catalog database lives.
func (c Config) CatalogPath() string { return filepath.Join(c.DataDir, "catalog.db") }

// thumbDir is where thumbnails are cached.
func (c Config) thumbDir() string { return filepath.Join(c.CacheDir, "thumbs") }

// ModelDir is where downloaded models are cached.
func (c Config) ModelDir() string { return filepath.Join(c.CacheDir, "models") }

// vectorDir is where the embedded store keeps one folder per model.
func (c Config) vectorDir() string { return filepath.Join(c.DataDir, "vectors") }
