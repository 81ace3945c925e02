package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/simili/simili/internal/testenv"
	"github.com/simili/simili/search/embed"
)

func TestParseAllowsFlagsAfterArguments(t *testing.T) {
	tests := []struct {
		args      []string
		wantPos   []string
		wantModel string
		wantK     int
	}{
		{[]string{"dir", "--model", "squeezenet"}, []string{"dir"}, "squeezenet", 0},
		{[]string{"--model=resnet50", "a", "b", "-k", "3"}, []string{"a", "b"}, "resnet50", 3},
		{[]string{"a", "--", "-notaflag"}, []string{"a", "-notaflag"}, "", 0},
	}
	for _, tt := range tests {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		model := fs.String("model", "", "")
		k := fs.Int("k", 0, "")
		pos, err := parse(fs, tt.args)
		if err != nil {
			t.Fatalf("%v: %v", tt.args, err)
		}
		if strings.Join(pos, "|") != strings.Join(tt.wantPos, "|") || *model != tt.wantModel || *k != tt.wantK {
			t.Fatalf("%v: pos=%v model=%q k=%d", tt.args, pos, *model, *k)
		}
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	if _, err := parse(fs, []string{"--nope"}); !errors.Is(err, ErrUsage) {
		t.Fatalf("unknown flag: %v, want a usage error", err)
	}
}

func TestFilterFlags(t *testing.T) {
	f := filterFlags{from: "2007-01-01", to: "2007-12-31", camera: `a"b`}
	got, err := f.Filter()
	if err != nil {
		t.Fatal(err)
	}
	if !got.From.Equal(time.Date(2007, 1, 1, 0, 0, 0, 0, time.UTC)) || !got.To.Equal(time.Date(2007, 12, 31, 23, 59, 59, 0, time.UTC)) || got.Camera != `a"b` {
		t.Fatalf("filter = %+v", got)
	}
	for _, bad := range []filterFlags{{from: "yesterday"}, {from: "2008-01-01", to: "2007-01-01"}} {
		if _, err := bad.Filter(); !errors.Is(err, ErrUsage) {
			t.Fatalf("%+v: %v, want a usage error", bad, err)
		}
	}
}

func TestUnknownCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	err := Run(context.Background(), Env{Stdout: &out, Stderr: &errOut}, []string{"frobnicate"})
	if !errors.Is(err, ErrUsage) || !strings.Contains(errOut.String(), "Commands:") {
		t.Fatalf("err=%v stderr=%q", err, errOut.String())
	}
}

// isolate points the configuration, data and cache folders into a fresh
// temporary folder, which it returns.
func isolate(t *testing.T) string {
	t.Helper()
	tmp := t.TempDir()
	t.Setenv("SIMILI_CONFIG", filepath.Join(tmp, "config.json"))
	t.Setenv("SIMILI_DATA_DIR", filepath.Join(tmp, "data"))
	t.Setenv("SIMILI_CACHE_DIR", filepath.Join(tmp, "cache"))
	return tmp
}

// TestIndexThenSimilarWithCameraFilter drives the real commands end to end
// on the holidays photos.
func TestIndexThenSimilarWithCameraFilter(t *testing.T) {
	if _, err := embed.FindRuntime(); err != nil {
		testenv.Skipf(t, "ONNX Runtime not installed (run `make onnxruntime`): %v", err)
	}
	holidays := testenv.Holidays(t)
	model := testenv.SqueezeNet(t)
	isolate(t)
	ctx := context.Background()
	run := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		if err := Run(ctx, Env{Stdout: &out, Stderr: &errOut}, args); err != nil {
			t.Fatalf("simili %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
		}
		return out.String()
	}
	out := run("index", holidays, "--model", "squeezenet", "--model-file", model)
	if !strings.Contains(out, "261 processed") || !strings.Contains(out, "0 failed") {
		t.Fatalf("index output: %s", out)
	}
	out = run("similar", filepath.Join(holidays, "100001.jpg"), "--model", "squeezenet", "--model-file", model,
		"--camera", "DMC-FX33", "-k", "20", "--json")
	var ms []matchJSON
	if err := json.Unmarshal([]byte(out), &ms); err != nil {
		t.Fatalf("similar --json: %v\n%s", err, out)
	}
	if len(ms) != 20 {
		t.Fatalf("%d results, want 20", len(ms))
	}
	for _, m := range ms {
		if m.Model != "DMC-FX33" {
			t.Fatalf("camera filter let %s (%s) through", m.Path, m.Model)
		}
	}
	out = run("stats", "--model", "squeezenet", "--model-file", model)
	if !strings.Contains(out, "photos:      261") || !strings.Contains(out, "failures:    0") {
		t.Fatalf("stats output: %s", out)
	}
}

// TestQuantizeThenIndexWithInt8 makes SqueezeNet's int8 variant from the
// holidays photos, indexes with it and searches: a photo finds itself
// first. Bad requests fail with messages that say what is wrong.
func TestQuantizeThenIndexWithInt8(t *testing.T) {
	if _, err := embed.FindRuntime(); err != nil {
		testenv.Skipf(t, "ONNX Runtime not installed (run `make onnxruntime`): %v", err)
	}
	holidays := testenv.Holidays(t)
	model := testenv.SqueezeNet(t)
	tmp := isolate(t)
	ctx := context.Background()
	run := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := Run(ctx, Env{Stdout: &out, Stderr: &errOut}, args)
		return out.String() + errOut.String(), err
	}

	empty := filepath.Join(tmp, "few")
	if err := os.MkdirAll(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := run("model", "quantize", "squeezenet", "--photos", empty, "--model", "squeezenet", "--model-file", model); err == nil || !strings.Contains(err.Error(), "need at least 12") {
		t.Errorf("quantize with no photos: %v", err)
	}
	if _, err := run("model", "quantize", "squeezenet-int8", "--photos", holidays); err == nil || !strings.Contains(err.Error(), "already quantized") {
		t.Errorf("quantize an int8 model: %v", err)
	}

	out, err := run("model", "quantize", "squeezenet", "--photos", holidays, "--model", "squeezenet", "--model-file", model)
	if err != nil {
		t.Fatalf("quantize: %v\n%s", err, out)
	}
	var cos float64
	if i := strings.Index(out, "mean cosine "); i < 0 {
		t.Fatalf("quantize output: %s", out)
	} else if _, err := fmt.Sscanf(out[i:], "mean cosine %f", &cos); err != nil || cos < embed.MinMeanCosine {
		t.Fatalf("quantize reported mean cosine %v (%v): %s", cos, err, out)
	}
	out, err = run("index", holidays, "--model", "squeezenet-int8")
	if err != nil || !strings.Contains(out, "261 processed") || !strings.Contains(out, "0 failed") {
		t.Fatalf("index with squeezenet-int8: %v\n%s", err, out)
	}
	out, err = run("similar", filepath.Join(holidays, "100301.jpg"), "--model", "squeezenet-int8", "-k", "3", "--json")
	if err != nil {
		t.Fatalf("similar: %v\n%s", err, out)
	}
	var ms []matchJSON
	if err := json.Unmarshal([]byte(out), &ms); err != nil {
		t.Fatalf("similar --json: %v\n%s", err, out)
	}
	if len(ms) != 3 || filepath.Base(ms[0].Path) != "100301.jpg" {
		t.Fatalf("similar to 100301.jpg: %+v", ms)
	}
}
