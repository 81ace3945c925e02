//go:build unix

package imagefile

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// TestReadFileRefusesSpecialFiles: a FIFO, /dev/zero and a folder are
// refused before any read (the FIFO without blocking the open), and a file
// over the limit is refused by its size, not by reading past the limit.
func TestReadFileRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe.jpg")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	plain := filepath.Join(dir, "plain.jpg")
	content := []byte("\xff\xd8\xff\xe0 not really a jpeg but bytes")
	if err := os.WriteFile(plain, content, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		limit      int64
		want       error
	}{
		{"fifo", fifo, 1 << 30, ErrNotRegular},
		{"dev-zero", "/dev/zero", 1 << 30, ErrNotRegular},
		{"folder", dir, 1 << 30, ErrNotRegular},
		{"over-limit", plain, int64(len(content)) - 1, ErrTooLarge},
		{"missing", filepath.Join(dir, "gone.jpg"), 1 << 30, os.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			done := make(chan error, 1)
			go func() {
				_, err := ReadFile(tt.path, tt.limit)
				done <- err
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				if tt.path == fifo { // release the blocked open so the test ends
					if w, werr := os.OpenFile(fifo, os.O_WRONLY, 0); werr == nil {
						w.Close()
					}
				}
				t.Fatalf("ReadFile(%s) still running after 10 s", tt.path)
			}
			runtime.ReadMemStats(&after)
			if !errors.Is(err, tt.want) {
				t.Fatalf("ReadFile(%s) = %v, want %v", tt.path, err, tt.want)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
				t.Errorf("ReadFile(%s) allocated %d bytes before refusing", tt.path, grew)
			}
		})
	}
	got, err := ReadFile(plain, int64(len(content)))
	if err != nil || string(got) != string(content) {
		t.Fatalf("ReadFile(plain) = %q, %v", got, err)
	}
}
