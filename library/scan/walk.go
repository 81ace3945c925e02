package scan

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// candidate is a regular file found by the walk.
type candidate struct {
	path    string
	size    int64
	modTime time.Time
}

// dirKey identifies a directory across symlinks so the walk never loops.
type dirKey struct{ dev, ino uint64 }

// walker walks library roots. Hidden entries (name starting with ".") are
// skipped; symlinked folders are followed once each.
type walker struct {
	visited map[dirKey]bool
	onFile  func(candidate) error
	onSkip  func(path, reason string, err error)
}

func (w *walker) walkRoot(ctx context.Context, root string) error {
	info, err := os.Stat(root)
	if err != nil {
		return fmt.Errorf("library folder %s: %w", root, err)
	}
	if !info.IsDir() {
		return fmt.Errorf("library folder %s: not a folder", root)
	}
	return w.walkDir(ctx, root, info)
}

func (w *walker) walkDir(ctx context.Context, dir string, info fs.FileInfo) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		k := dirKey{uint64(st.Dev), uint64(st.Ino)}
		if w.visited[k] {
			w.onSkip(dir, "loop", errors.New("folder already visited (symlink loop or second link)"))
			return nil
		}
		w.visited[k] = true
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		// An unreadable folder is reported and skipped; the rest goes on.
		w.onSkip(dir, "unreadable-folder", err)
		if len(entries) == 0 {
			return nil
		}
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		var fi fs.FileInfo
		if e.Type()&fs.ModeSymlink != 0 {
			fi, err = os.Stat(path) // follow the link
		} else {
			fi, err = e.Info()
		}
		if err != nil {
			w.onSkip(path, "unreadable", err)
			continue
		}
		switch {
		case fi.IsDir():
			if err := w.walkDir(ctx, path, fi); err != nil {
				return err
			}
		case fi.Mode().IsRegular():
			if err := w.onFile(candidate{path: path, size: fi.Size(), modTime: fi.ModTime()}); err != nil {
				return err
			}
		case namedLikePhoto(path):
			// A FIFO, device or socket is never opened (reading a FIFO
			// blocks), but one named like a photo is reported, not hidden.
			w.onSkip(path, "not-a-regular-file", fmt.Errorf("%s is a %s, not a regular file", path, fileKind(fi.Mode())))
		}
	}
	return nil
}

// fileKind names a non-regular file type for messages.
func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeDevice != 0:
		return "device"
	}
	return "special file"
}
