package imagefile

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestReadFileInto checks that a buffer with room is reused and a short
// one is not written past, with the same content either way.
func TestReadFileInto(t *testing.T) {
	content := bytes.Repeat([]byte("simili"), 1000)
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		bufCap int
		reused bool
	}{{"nil", 0, false}, {"short", 100, false}, {"exact", len(content), false}, {"room", len(content) + 1, true}, {"large", 1 << 16, true}} {
		t.Run(tc.name, func(t *testing.T) {
			buf := make([]byte, 3, max(tc.bufCap, 3))
			got, err := ReadFileInto(path, 1<<20, buf)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, content) {
				t.Fatalf("content differs (%d bytes)", len(got))
			}
			if reused := &got[0] == &buf[:1][0]; reused != tc.reused {
				t.Errorf("buffer reused = %v, want %v", reused, tc.reused)
			}
		})
	}
	if _, err := ReadFileInto(path, 10, make([]byte, 0, 1<<16)); err == nil {
		t.Error("a file over the limit was read")
	}
}
