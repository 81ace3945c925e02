package scan

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"github.com/simili/simili/library/catalog"
)

// photoExts are the names that promise a photo: such a file that turns
// out empty or not an image is a failure the user sees (`simili stats
// --failures`), not a silent skip. Other files that are not images
// (groups.csv, SHA256SUMS, notes) stay plain skips.
var photoExts = map[string]bool{
	".jpg": true, ".jpeg": true, ".png": true, ".heic": true, ".heif": true, ".avif": true,
	".webp": true, ".tif": true, ".tiff": true, ".gif": true, ".bmp": true,
}

// notAnImage classifies a file whose content is no image format: a
// failure with its reason when its name says photo, else a plain skip.
func notAnImage(path string, size int) (fail string, err error) {
	if !namedLikePhoto(path) {
		return "", nil
	}
	if size == 0 {
		return "empty", fmt.Errorf("%s is empty (0 bytes)", path)
	}
	return "not-an-image", fmt.Errorf("%s is named like a photo but its %d bytes are no image format Simili reads", path, size)
}

func namedLikePhoto(path string) bool { return photoExts[strings.ToLower(filepath.Ext(path))] }

// recordedReason reports whether a walk problem is recorded as a failure
// (listed by `simili stats --failures`): a whole folder that could not be
// read, or a file named like a photo that cannot be opened as one.
func recordedReason(reason string) bool {
	switch reason {
	case "unreadable-folder", "loop", "not-a-regular-file":
		return true
	}
	return false
}

// failureTracker remembers which recorded failures a scan met again, so
// that a complete scan forgets those under its roots it did not meet: the
// file was deleted, or the folder became readable.
type failureTracker struct {
	recorded map[string]catalog.Failure
	mu       sync.Mutex
	met      map[string]bool
}

func newFailureTracker(recorded map[string]catalog.Failure) *failureTracker {
	return &failureTracker{recorded: recorded, met: map[string]bool{}}
}

func (f *failureTracker) meet(path string) {
	if _, ok := f.recorded[path]; !ok {
		return
	}
	f.mu.Lock()
	f.met[path] = true
	f.mu.Unlock()
}

// recordFolderProblem records an unreadable folder or a symlink loop as a
// failure of the folder, so `simili stats --failures` lists it.
func (s *scanner) recordFolderProblem(ctx context.Context, path, reason string, err error) {
	s.fails.meet(path)
	msg := reason
	if err != nil {
		msg = err.Error()
	}
	if perr := s.opt.Catalog.PutFailure(context.WithoutCancel(ctx), catalog.Failure{Path: path, Reason: reason, Message: msg}); perr != nil {
		s.opt.Log.Error("could not record folder failure", "path", path, "err", perr)
	}
}

// forgetStaleFailures runs after a complete scan: a failure under one of
// its roots that the scan did not meet again is gone or fixed. Failures
// under folders that could not be read this time, or under a root that
// was away, are kept.
func (s *scanner) forgetStaleFailures(ctx context.Context) error {
	for path := range s.fails.recorded {
		if s.fails.met[path] || s.underUnreadable(path) || !s.underScannedRoot(path) {
			continue
		}
		if err := s.opt.Catalog.DeleteFailure(ctx, path); err != nil {
			return err
		}
	}
	return nil
}

func (s *scanner) underScannedRoot(path string) bool {
	for _, r := range s.roots {
		if s.badRoots[r] || s.checked[r].offline != nil {
			continue
		}
		if path == r || strings.HasPrefix(path, strings.TrimSuffix(r, string(filepath.Separator))+string(filepath.Separator)) {
			return true
		}
	}
	return false
}
