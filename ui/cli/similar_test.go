//go:build unix

package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
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
