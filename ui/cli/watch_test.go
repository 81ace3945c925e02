package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/simili/simili/internal/testenv"
	"github.com/simili/simili/search/embed"
)

// syncBuffer is a bytes.Buffer the command and the test may share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestWatchCommand runs `simili watch` on a folder that already holds a
// photo (found by the start-up rescan), copies one in and deletes one,
// and stops it like Ctrl-C does.
func TestWatchCommand(t *testing.T) {
	if _, err := embed.FindRuntime(); err != nil {
		testenv.Skipf(t, "ONNX Runtime not installed (run `make onnxruntime`): %v", err)
	}
	holidays := testenv.Holidays(t)
	model := testenv.SqueezeNet(t)
	tmp := isolate(t)
	lib := filepath.Join(tmp, "photos")
	cp := func(name string) {
		data, err := os.ReadFile(filepath.Join(holidays, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(lib, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(lib, 0o755); err != nil {
		t.Fatal(err)
	}
	cp("100001.jpg") // there before watching: the start-up rescan finds it

	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Env{Stdout: &out, Stderr: &errOut}, []string{"watch", lib, "--model", "squeezenet", "--model-file", model})
	}()
	waitLine := func(want string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(out.String(), want) {
			select {
			case err := <-done:
				t.Fatalf("watch ended: %v\n%s\n%s", err, out.String(), errOut.String())
			default:
			}
			if time.Now().After(deadline) {
				cancel()
				t.Fatalf("no %q in the output within 10 s:\n%s\n%s", want, out.String(), errOut.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitLine("rescan: 1 added, 0 moved, 0 removed, 0 failed, 1 model run")
	cp("100002.jpg")
	waitLine("1 change: 1 added, 0 moved, 0 removed, 0 failed, 1 model run")
	if err := os.Remove(filepath.Join(lib, "100001.jpg")); err != nil {
		t.Fatal(err)
	}
	waitLine("1 change: 0 added, 0 moved, 1 removed, 0 failed, 0 model runs")
	cancel()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("watch after Ctrl-C: %v", err)
	}
	if !strings.Contains(out.String(), "stopped watching") {
		t.Errorf("no goodbye:\n%s", out.String())
	}

	// The catalog agrees: one photo, the copied one.
	var list bytes.Buffer
	if err := Run(context.Background(), Env{Stdout: &list, Stderr: &list}, []string{"photos"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(list.String(), "100002.jpg") || strings.Contains(list.String(), "100001.jpg") {
		t.Errorf("photos after watching:\n%s", list.String())
	}
}

func TestWatchCommandUsage(t *testing.T) {
	isolate(t)
	err := Run(context.Background(), Env{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}}, []string{"watch", "--rescan-minutes", "-1", t.TempDir()})
	if !errors.Is(err, ErrUsage) {
		t.Errorf("--rescan-minutes -1: %v; want a usage error", err)
	}
	// An empty library and no folder given: say what to do.
	err = Run(context.Background(), Env{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}}, []string{"watch"})
	if err == nil || !strings.Contains(err.Error(), "simili index") {
		t.Errorf("watch with no library folder: %v; want a hint to add one", err)
	}
}
