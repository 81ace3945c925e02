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
	"github.com/simili/simili/search/vector"
	"github.com/simili/simili/search/vector/embedded"
)

// TestStatsAndSimilarSayWhenTheStoreLags checks the wording of issue 14
// case 2: when the store lacks photos the catalog has (here three vectors
// removed behind the catalog's back, as a crash loses them), `stats` says
// how many by id and to run sync, `similar` warns on stderr, and `sync`
// repairs it and says it checked by id.
func TestStatsAndSimilarSayWhenTheStoreLags(t *testing.T) {
	if _, err := embed.FindRuntime(); err != nil {
		testenv.Skipf(t, "ONNX Runtime not installed (run `make onnxruntime`): %v", err)
	}
	holidays := testenv.Holidays(t)
	model := testenv.SqueezeNet(t)
	tmp := isolate(t)
	photos := filepath.Join(tmp, "photos")
	if err := os.MkdirAll(photos, 0o755); err != nil {
		t.Fatal(err)
	}
	names, _ := filepath.Glob(filepath.Join(holidays, "*.jpg"))
	if len(names) < 12 {
		t.Fatalf("%d photos in %s", len(names), holidays)
	}
	for _, n := range names[:12] {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(photos, filepath.Base(n)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	run := func(args ...string) (string, string) {
		t.Helper()
		var out, errOut bytes.Buffer
		args = append(args, "--model", "squeezenet", "--model-file", model)
		if err := Run(ctx, Env{Stdout: &out, Stderr: &errOut}, args); err != nil {
			t.Fatalf("simili %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
		}
		return out.String(), errOut.String()
	}
	run("index", photos)
	if out, _ := run("stats"); !strings.Contains(out, "12 vectors, 0 pending, checked by id") || strings.Contains(out, "store lags") {
		t.Fatalf("stats after index:\n%s", out)
	}

	st, err := embedded.Open(filepath.Join(tmp, "data", "vectors", "squeezenet"), vector.Model{Name: "squeezenet", Dim: 512})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Delete(ctx, []int64{2, 5, 11}); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	out, _ := run("stats")
	if !strings.Contains(out, "9 vectors, 3 pending, checked by id") || !strings.Contains(out, "store lags:  3 photos not searchable yet — run `simili sync`") {
		t.Fatalf("stats with 3 vectors missing:\n%s", out)
	}
	_, errOut := run("similar", names[0], "-k", "3")
	if !strings.Contains(errOut, "lags the catalog by 3 photos") || !strings.Contains(errOut, "simili sync") {
		t.Fatalf("similar with 3 vectors missing, stderr:\n%s", errOut)
	}
	out, _ = run("sync")
	if !strings.Contains(out, "holds 12 vectors") || !strings.Contains(out, "checked by id") {
		t.Fatalf("sync:\n%s", out)
	}
	if out, _ := run("stats"); !strings.Contains(out, "12 vectors, 0 pending, checked by id") || strings.Contains(out, "store lags") {
		t.Fatalf("stats after sync:\n%s", out)
	}
	if _, errOut := run("similar", names[0], "-k", "3"); strings.Contains(errOut, "lags") {
		t.Fatalf("similar after sync still warns:\n%s", errOut)
	}
}
