package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/simili/simili/internal/testenv"
	"github.com/simili/simili/search/embed"
)

// TestOfflineFirstRunAndOfflineFolder: with the default model (ResNet50)
// not installed and only SqueezeNet imported, `simili index` indexes with
// SqueezeNet and says so plainly, without failing. A library folder that
// then goes away is reported offline with its photos kept, exit status 0.
func TestOfflineFirstRunAndOfflineFolder(t *testing.T) {
	if _, err := embed.FindRuntime(); err != nil {
		testenv.Skipf(t, "ONNX Runtime not installed (run `make onnxruntime`): %v", err)
	}
	holidays := testenv.Holidays(t)
	model := testenv.SqueezeNet(t)
	tmp := isolate(t)
	t.Setenv("SIMILI_MODEL", "")
	ctx := context.Background()
	run := func(args ...string) (string, string) {
		t.Helper()
		var out, errOut bytes.Buffer
		if err := Run(ctx, Env{Stdout: &out, Stderr: &errOut}, args); err != nil {
			t.Fatalf("simili %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
		}
		return out.String(), errOut.String()
	}
	dir := filepath.Join(tmp, "photos")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"100001.jpg", "100002.jpg", "100101.jpg", "100201.jpg"} {
		b, err := os.ReadFile(filepath.Join(holidays, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run("model", "import", "squeezenet", model)

	out, errOut := run("index", dir)
	if !strings.Contains(errOut, "Using SqueezeNet: ResNet50 is not downloaded yet — `simili model fetch resnet50` downloads it") {
		t.Fatalf("index did not say which model it used:\n%s", errOut)
	}
	if !strings.Contains(out, "4 processed (4 embedded") {
		t.Fatalf("index output: %s", out)
	}
	if _, errOut := run("model", "list"); strings.Contains(errOut, "Using SqueezeNet") {
		t.Errorf("`simili model` repeats the fallback notice: %s", errOut)
	}
	out, _ = run("similar", filepath.Join(dir, "100001.jpg"), "-k", "2")
	if !strings.Contains(out, "100002.jpg") {
		t.Fatalf("similar with the fallback model: %s", out)
	}

	if err := os.Rename(dir, dir+".unplugged"); err != nil {
		t.Fatal(err)
	}
	out, _ = run("index", dir)
	want := "library folder " + dir + " is offline (not found: disk unplugged or not mounted?): 4 photos kept"
	if !strings.Contains(out, want) || !strings.Contains(out, "0 removed") {
		t.Fatalf("index with the folder away:\n%s\nwant %q and 0 removed", out, want)
	}
	out, _ = run("stats")
	if !strings.Contains(out, "photos:      4") || !strings.Contains(out, "offline:   "+dir) || !strings.Contains(out, ": 4 photos kept") {
		t.Fatalf("stats after the folder went away: %s\nwant the 4 photos kept and the folder listed as offline", out)
	}
}
