package embedded

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/simili/simili/search/vector"
)

// ErrReadOnly means a write was attempted on a store opened by OpenReadOnly.
var ErrReadOnly = errors.New("vector store is open read-only")

// errMoved means the store's files changed while OpenReadOnly read them
// (the writer compacted); reading again gives a consistent view.
var errMoved = errors.New("vector store files changed while read")

// readOnlyAttempts bounds how often OpenReadOnly re-reads a store whose
// writer keeps compacting under it (each compaction needs a snapshot
// write, so a few attempts always suffice in practice).
const readOnlyAttempts = 20

// OpenReadOnly opens the store in dir for searching while another process
// may hold it for writing (a running `simili index`): it takes no lock,
// reads the last snapshot and the log as they are on disk, and never
// writes, trains or compacts. Writes fail with ErrReadOnly. A store that
// was never written opens empty.
//
// The view is consistent: the writer replaces the snapshot by rename
// before it resets the log, so OpenReadOnly reads the snapshot, then the
// log, and starts again if the snapshot file changed meanwhile; a log entry
// still being appended is left out, as a torn tail is at Open.
func OpenReadOnly(dir string, m vector.Model) (*Store, error) {
	if m.Name == "" || m.Dim <= 0 || m.Dim > 1<<16 {
		return nil, fmt.Errorf("open vector store %s: invalid model %v", dir, m)
	}
	var err error
	for range readOnlyAttempts {
		s := &Store{
			dir:      dir,
			model:    m,
			log:      slog.Default().With("component", "vector/embedded", "dir", dir, "read_only", true),
			readOnly: true,
		}
		if err = s.loadReadOnly(); err == nil {
			return s, nil
		}
		if !errors.Is(err, errMoved) {
			return nil, fmt.Errorf("open vector store %s read-only: %w", dir, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil, fmt.Errorf("open vector store %s read-only: %w %d times", dir, err, readOnlyAttempts)
}

// loadReadOnly is load without any write: no MODEL file is created, no
// torn log tail cut, no stale log reset.
func (s *Store) loadReadOnly() error {
	b, err := os.ReadFile(filepath.Join(s.dir, modelFile))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		s.idx = newIndex(s.model.Dim, 0) // never written: empty
		return nil
	case err != nil:
		return fmt.Errorf("read vector store model: %w", err)
	}
	if err := s.matchModel(b); err != nil {
		return err
	}
	snapPath := filepath.Join(s.dir, snapFile)
	before, berr := os.Stat(snapPath)
	x, gen, size, err := readSnapshot(snapPath, s.model)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		x, gen, size = newIndex(s.model.Dim, 0), 0, 0
	case err != nil:
		return err
	}
	s.idx, s.gen, s.snapSize = x, gen, size
	s.loadIVF()

	rerr := s.replayReadOnly()
	after, aerr := os.Stat(snapPath)
	switch {
	case berr != nil && aerr != nil: // no snapshot before or after
	case berr != nil || aerr != nil || !os.SameFile(before, after):
		// A compaction installed a new snapshot and then reset the log:
		// what was read may mix the two, or the log was cut while read.
		return errMoved
	}
	return rerr
}

// replayReadOnly applies the log's complete entries to the index.
func (s *Store) replayReadOnly() error {
	walPath := filepath.Join(s.dir, walFile)
	f, err := os.Open(walPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open vector log: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("stat vector log: %w", err)
	}
	if st.Size() < walHeaderSize {
		return nil // new, or being reset after a compaction (caught by the snapshot check)
	}
	hdr := make([]byte, walHeaderSize)
	if _, err := f.ReadAt(hdr, 0); err != nil {
		return fmt.Errorf("read vector log header: %w", err)
	}
	walGen, err := parseWALHeader(hdr, s.model.Dim)
	if err != nil {
		return fmt.Errorf("vector log %s: %v: %w", walPath, err, ErrCorrupt)
	}
	switch {
	case walGen < s.gen:
		return nil // already folded into the snapshot; the writer resets it next
	case walGen > s.gen:
		return errMoved // a newer snapshot was installed after ours was read
	}
	if _, _, err := replayWAL(f, st.Size(), s.idx); err != nil {
		if logMoved(f, st.Size(), walGen, s.model.Dim) {
			// The writer reset the log (a compaction) while it was read:
			// the replay hit the cut or the next generation's entries.
			return errMoved
		}
		return fmt.Errorf("replay vector log %s: %w", walPath, err)
	}
	return nil
}

// logMoved reports whether the log f no longer is the one of generation gen
// and at least size bytes that replay started on.
func logMoved(f *os.File, size int64, gen uint64, dim int) bool {
	st, err := f.Stat()
	if err != nil || st.Size() < size {
		return true
	}
	hdr := make([]byte, walHeaderSize)
	if _, err := f.ReadAt(hdr, 0); err != nil {
		return true
	}
	now, err := parseWALHeader(hdr, dim)
	return err != nil || now != gen
}
