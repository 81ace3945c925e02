//go:build unix

package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/simili/simili/internal/testenv"
	"github.com/simili/simili/search/embed"
	"github.com/simili/simili/search/vector"
	"github.com/simili/simili/search/vector/embedded"
)

// TestSimilarRefusesFIFOAndDevices: `simili similar` on a FIFO returns at
// once with a clear error instead of blocking in open(2) (where neither
// SIGINT nor SIGTERM could stop it), and /dev/zero is refused before a
// byte is read instead of after 1 GiB.
func TestSimilarRefusesFIFOAndDevices(t *testing.T) {
	tmp := isolate(t)
	fifo := filepath.Join(tmp, "query.jpg")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	for _, path := range []string{fifo, "/dev/zero"} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			var out, errOut bytes.Buffer
			done := make(chan error, 1)
			go func() {
				done <- Run(context.Background(), Env{Stdout: &out, Stderr: &errOut}, []string{"similar", path, "--model", "squeezenet"})
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				if path == fifo { // unblock the open so the goroutine ends
					if w, werr := os.OpenFile(fifo, os.O_WRONLY, 0); werr == nil {
						w.Close()
					}
				}
				t.Fatalf("simili similar %s still running after 10 s", path)
			}
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), "not a regular file") {
				t.Fatalf("simili similar %s: %v, want an error saying it is not a regular file", path, err)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
				t.Errorf("simili similar %s allocated %d MB before refusing", path, grew>>20)
			}
		})
	}
}

// TestSimilarCancelled: a cancelled context (SIGINT/SIGTERM in main) stops
// similar with context.Canceled rather than a result or another error.
func TestSimilarCancelled(t *testing.T) {
	tmp := isolate(t)
	img := filepath.Join(tmp, "q.jpg")
	if err := os.WriteFile(img, []byte("\xff\xd8\xff"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errOut bytes.Buffer
	err := Run(ctx, Env{Stdout: &out, Stderr: &errOut}, []string{"similar", img, "--model", "squeezenet"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("similar with a cancelled context: %v, want context.Canceled", err)
	}
}

// TestCountFlagsRejectNonsense: counts that cannot mean anything are usage
// errors, reported before anything is opened.
func TestCountFlagsRejectNonsense(t *testing.T) {
	isolate(t)
	tests := [][]string{
		{"similar", "x.jpg", "-k", "0"},
		{"similar", "x.jpg", "-k", "-1"},
		{"similar", "x.jpg", "--ef", "-3"},
		{"similar", "x.jpg", "--nprobe", "-1"},
		{"photos", "--limit", "-5"},
		{"stats", "--failures", "-2"},
	}
	for _, args := range tests {
		var out, errOut bytes.Buffer
		err := Run(context.Background(), Env{Stdout: &out, Stderr: &errOut}, args)
		if !errors.Is(err, ErrUsage) {
			t.Errorf("simili %s: %v, want a usage error", strings.Join(args, " "), err)
		}
	}
}

// TestSimilarWhileIndexHoldsStore: `simili similar` works while an index
// run holds the embedded store for writing (here the test holds it, as
// `simili index` does for its whole run) and finds the query photo first.
func TestSimilarWhileIndexHoldsStore(t *testing.T) {
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
	ents, err := os.ReadDir(holidays)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		if filepath.Ext(e.Name()) != ".jpg" || len(names) == 24 {
			continue
		}
		names = append(names, e.Name())
		if err := os.Link(filepath.Join(holidays, e.Name()), filepath.Join(photos, e.Name())); err != nil {
			b, rerr := os.ReadFile(filepath.Join(holidays, e.Name()))
			if rerr != nil {
				t.Fatal(rerr)
			}
			if err := os.WriteFile(filepath.Join(photos, e.Name()), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	ctx := context.Background()
	run := func(args ...string) (string, string, error) {
		var out, errOut bytes.Buffer
		err := Run(ctx, Env{Stdout: &out, Stderr: &errOut}, args)
		return out.String(), errOut.String(), err
	}
	if out, errOut, err := run("index", photos, "--model", "squeezenet", "--model-file", model); err != nil {
		t.Fatalf("index: %v\n%s%s", err, out, errOut)
	}
	spec, err := embed.Builtin("squeezenet")
	if err != nil {
		t.Fatal(err)
	}
	held, err := embedded.Open(filepath.Join(tmp, "data", "vectors", spec.Name), vector.Model{Name: spec.Name, Dim: spec.Dim})
	if err != nil {
		t.Fatalf("hold the store as an index run does: %v", err)
	}
	defer held.Close()

	query := filepath.Join(photos, names[5])
	out, errOut, err := run("similar", query, "--model", "squeezenet", "--model-file", model, "-k", "3", "--json")
	if err != nil {
		t.Fatalf("similar while the store is held for writing: %v\n%s", err, errOut)
	}
	var ms []matchJSON
	if err := json.Unmarshal([]byte(out), &ms); err != nil {
		t.Fatalf("similar --json: %v\n%s", err, out)
	}
	if len(ms) != 3 || ms[0].Path != query {
		t.Fatalf("similar to %s: %+v", query, ms)
	}
	// The writer still works after the search.
	if err := held.Upsert(ctx, []vector.Record{{ID: 1 << 40, Vector: make([]float32, spec.Dim-1)}}); !errors.Is(err, vector.ErrDimension) {
		t.Fatalf("writer after the search: %v", err)
	}
}
