package engine

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/simili/simili/internal/testenv"
	"github.com/simili/simili/search/embed"
)

// installFiles puts a file named like each model's into the model folder;
// chooseModel only looks at which files are there.
func installFiles(t *testing.T, cfg Config, names ...string) {
	t.Helper()
	for _, n := range names {
		file := n + ".onnx" // a model the build does not know (resnet50-random outside the bench build)
		if spec, err := embed.Builtin(n); err == nil {
			file = spec.File
		}
		if err := os.MkdirAll(cfg.ModelDir(), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(cfg.ModelDir(), file), []byte("model"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestChooseModelFallsBackToTheBestInstalled(t *testing.T) {
	for _, tc := range []struct {
		name       string
		configured string
		modelFile  string
		installed  []string
		want       string
	}{
		{"configured installed", "resnet50", "", []string{"resnet50", "squeezenet"}, "resnet50"},
		{"offline first run: only SqueezeNet", "resnet50", "", []string{"squeezenet"}, "squeezenet"},
		{"int8 beats float of the same net", "resnet50", "", []string{"squeezenet", "squeezenet-int8"}, "squeezenet-int8"},
		{"ResNet50 int8 beats everything", "squeezenet", "", []string{"squeezenet-int8", "resnet50-int8", "resnet50"}, "resnet50-int8"},
		{"a model file is used as given", "resnet50", "/elsewhere/resnet50.onnx", []string{"squeezenet"}, "resnet50"},
		{"nothing installed: keep the configured one (its error says how to get it)", "resnet50", "", nil, "resnet50"},
		{"the random benchmark model is never a fallback", "squeezenet", "", []string{"resnet50-random"}, "squeezenet"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Config{CacheDir: t.TempDir(), Model: tc.configured, ModelFile: tc.modelFile}
			installFiles(t, cfg, tc.installed...)
			c := chooseModel(cfg)
			if c.Configured != tc.configured || c.Active != tc.want {
				t.Fatalf("chooseModel = %+v, want %s active", c, tc.want)
			}
			if c.FellBack() != (tc.want != tc.configured) {
				t.Fatalf("FellBack = %v", c.FellBack())
			}
			if n := c.Notice("Settings → Download"); c.FellBack() != (n != "") {
				t.Fatalf("notice %q for %+v", n, c)
			}
		})
	}
	c := ModelChoice{Configured: "resnet50", Active: "squeezenet"}
	if got, want := c.Notice("Settings → Download"), "Using SqueezeNet: ResNet50 is not downloaded yet — Settings → Download"; got != want {
		t.Fatalf("notice %q, want %q", got, want)
	}
}

// TestOfflineFirstRunIndexesWithSqueezeNet: the default configuration
// (ResNet50) on a machine where only SqueezeNet is installed indexes and
// searches with SqueezeNet, into SqueezeNet's own store, and says so in
// the model status the window shows.
func TestOfflineFirstRunIndexesWithSqueezeNet(t *testing.T) {
	requireRuntime(t)
	holidays := testenv.Holidays(t)
	model := testenv.SqueezeNet(t)
	ctx := context.Background()
	cfg := testConfig(t, t.TempDir())
	cfg.Model, cfg.ModelFile = DefaultModel, ""
	data, err := os.ReadFile(model)
	if err != nil {
		t.Fatal(err)
	}
	spec, _ := embed.Builtin("squeezenet")
	if _, err := embed.Install(spec, data, cfg.ModelDir()); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "photos")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"100001.jpg", "100002.jpg", "100101.jpg", "100201.jpg", "100301.jpg", "100302.jpg"} {
		b, err := os.ReadFile(filepath.Join(holidays, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	eng, err := Open(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	if c := eng.ModelChoice(); c.Configured != "resnet50" || c.Active != "squeezenet" {
		t.Fatalf("model choice = %+v, want resnet50 configured, squeezenet active", c)
	}
	if m := eng.VectorModel(); m.Name != "squeezenet" || m.Dim != 512 {
		t.Fatalf("vector model = %+v, want squeezenet/512", m)
	}
	st, err := eng.ModelStatus("")
	if err != nil || st.Name != "resnet50" || st.Installed || !st.CanFetch || st.UsingInstead != "squeezenet" {
		t.Fatalf("model status = %+v, %v; want resnet50 not installed, fetchable, squeezenet instead", st, err)
	}
	res, err := eng.Index(ctx, []string{dir}, IndexOptions{})
	if err != nil || res.Processed != 6 || res.Embedded != 6 {
		t.Fatalf("index: processed %d embedded %d, %v; want 6, 6, no error", res.Processed, res.Embedded, err)
	}
	p, err := eng.cat.PhotoByPath(ctx, filepath.Join(dir, "100001.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	ms, err := eng.SimilarToPhoto(ctx, p.ID, SimilarQuery{K: 3})
	if err != nil || len(ms) == 0 {
		t.Fatalf("similar: %v, %v", ms, err)
	}
	// 100001 and 100002 are the same scene in the holidays ground truth.
	if !strings.HasSuffix(ms[0].Photo.Path, "100002.jpg") {
		t.Fatalf("nearest to 100001.jpg is %s, want 100002.jpg, the same scene", ms[0].Photo.Path)
	}
	if _, err := os.Stat(filepath.Join(cfg.vectorDir(), "squeezenet")); err != nil {
		t.Fatalf("SqueezeNet's vectors are not in a store of their own: %v", err)
	}
	if _, err := os.Stat(filepath.Join(cfg.vectorDir(), "resnet50")); err == nil {
		t.Fatal("a ResNet50 store was created for SqueezeNet vectors")
	}
	stats, err := eng.Stats(ctx)
	if err != nil || stats.Model != "squeezenet" || stats.Embedded != 6 {
		t.Fatalf("stats model %s embedded %d, %v", stats.Model, stats.Embedded, err)
	}
}
