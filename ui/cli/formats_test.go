package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/simili/simili/internal/testenv"
	"github.com/simili/simili/library/imagefile"
	"github.com/simili/simili/search/embed"
)

// TestStatsNamesHEIFFailures indexes the HEIC/AVIF fixtures through the
// real commands: every picture is catalogued except the one libheif 1.15
// decodes to flat grey, which `simili stats --failures` lists with its
// reason, blank-decode.
func TestStatsNamesHEIFFailures(t *testing.T) {
	if _, err := embed.FindRuntime(); err != nil {
		testenv.Skipf(t, "ONNX Runtime not installed (run `make onnxruntime`): %v", err)
	}
	if !imagefile.HEIFSupported() {
		testenv.Skipf(t, "this build has no HEIF support (cgo and libheif, without the noheif tag)")
	}
	fixtures := testenv.FormatFixtures(t)
	model := testenv.SqueezeNet(t)
	tmp := isolate(t)
	lib := filepath.Join(tmp, "photos")
	if err := os.MkdirAll(lib, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, fx := range fixtures {
		data, err := os.ReadFile(fx.Path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(lib, filepath.Base(fx.Path)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		if err := Run(context.Background(), Env{Stdout: &out, Stderr: &errOut}, args); err != nil {
			t.Fatalf("simili %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
		}
		return out.String()
	}
	run("index", lib, "--model", "squeezenet", "--model-file", model)
	out := run("stats", "--failures", "10", "--model", "squeezenet", "--model-file", model)
	for _, want := range []string{"blank-decode", "galaxy-s24fe.heic", "uniform"} {
		if !strings.Contains(out, want) {
			t.Errorf("stats --failures does not mention %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "iphone") || strings.Contains(out, "canon-70d") || strings.Contains(out, "galaxy-s10") {
		t.Errorf("stats --failures lists other files:\n%s", out)
	}
}
