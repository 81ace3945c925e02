package scan

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestBadPhotoFilesAndFoldersAreFailures reproduces issue 14 case 5: empty
// and garbage files named like photos were silently skipped, and symlink
// loops and unreadable folders only logged. Now each is a failure with its
// reason (listed by `simili stats --failures`), while files with other
// names stay plain skips; a failure leaves the list once the file is fixed
// or deleted, or the folder readable again.
func TestBadPhotoFilesAndFoldersAreFailures(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.writeImage("a.jpg", 1, false)
	empty := f.write("empty.jpg", nil)
	garbage := f.write("sub/garbage.JPEG", []byte("<html>404 not found</html>"))
	heic := f.write("sub/zeros.heic", make([]byte, 4096))
	f.write("groups.csv", []byte("a.jpg,1\n"))
	f.write("SHA256SUMS", []byte("0000  a.jpg\n"))
	f.write("empty-notes.txt", nil)
	loop := filepath.Join(f.root, "sub", "loop")
	if err := os.Symlink(f.root, loop); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(f.root, "sub", "pipe.jpg")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	f.write("sub/pipe-notes", nil)
	if err := syscall.Mkfifo(filepath.Join(f.root, "sub", "other-pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	locked := filepath.Join(f.root, "locked")
	f.writeImage("locked/b.jpg", 2, false)
	canLock := os.Getuid() != 0 // root reads any folder
	if canLock {
		if err := os.Chmod(locked, 0); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(locked, 0o755)
	}

	res, err := f.run(ctx, f.store)
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	want := map[string]string{empty: "empty", garbage: "not-an-image", heic: "not-an-image", loop: "loop", fifo: "not-a-regular-file"}
	if canLock {
		want[locked] = "unreadable-folder"
	}
	if res.Failed != 3 || res.Skipped != 4 {
		t.Errorf("failed %d, skipped %d; want the 3 bad photo files failed and the 4 other files skipped", res.Failed, res.Skipped)
	}
	fails, err := f.cat.Failures(ctx, -1)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, fl := range fails {
		got[fl.Path] = fl.Reason
		if fl.Message == "" {
			t.Errorf("failure of %s has no message", fl.Path)
		}
	}
	for path, reason := range want {
		if got[path] != reason {
			t.Errorf("%s: failure %q, want %q (all: %v)", path, got[path], reason, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("failures %v, want exactly %v", got, want)
	}

	// Fixed, deleted, readable again: the next complete scan forgets them.
	f.writeImage("empty.jpg", 3, false)
	if err := os.Remove(garbage); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(loop); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(fifo); err != nil {
		t.Fatal(err)
	}
	if canLock {
		if err := os.Chmod(locked, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.run(ctx, f.store); err != nil {
		t.Fatalf("second scan: %v", err)
	}
	fails, _ = f.cat.Failures(ctx, -1)
	if len(fails) != 1 || fails[0].Path != heic {
		var paths []string
		for _, fl := range fails {
			paths = append(paths, fl.Path+"="+fl.Reason)
		}
		t.Fatalf("after fixing: failures %s; want only %s", strings.Join(paths, ", "), heic)
	}
	if _, err := f.cat.PhotoByPath(ctx, empty); err != nil {
		t.Fatalf("the fixed empty.jpg is not catalogued: %v", err)
	}
}
