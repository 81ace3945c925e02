package imagefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// ErrNotRegular reports a path that is not a regular file: a FIFO would
// block the open (and the read) until a writer appears, a device such as
// /dev/zero never ends, a folder has no content.
var ErrNotRegular = errors.New("not a regular file")

// ReadFile returns the content of the regular file at path, opened
// read-only, refusing anything else and any file larger than limit bytes
// before reading a byte of it. It is the one way the scanner and queries
// read an image, so both refuse the same inputs the same way.
//
// The open itself does not block: on Unix it uses O_NONBLOCK, which makes
// opening a FIFO return at once (a blocking open would wait for a writer,
// unreachable by signals or cancellation) and changes nothing for a
// regular file.
func ReadFile(path string, limit int64) ([]byte, error) {
	return ReadFileInto(path, limit, nil)
}

// ReadFileInto is ReadFile reading into buf when buf has room for the whole
// file, so a caller that reads many files (the scanner) can reuse one
// buffer instead of allocating, zeroing and collecting megabytes per file.
// The result aliases buf when it fits; nil or a short buf allocates.
func ReadFileInto(path string, limit int64, buf []byte) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|openNonblock, 0) // originals are never modified
	if err != nil {
		return nil, err // *PathError already names the operation and file
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is %s, %w", path, kindOf(st.Mode()), ErrNotRegular)
	}
	if st.Size() > limit {
		return nil, fmt.Errorf("%s is %d bytes, larger than the %d-byte limit: %w", path, st.Size(), limit, ErrTooLarge)
	}
	// Read at most limit+1 bytes: the file may grow while it is read.
	data := buf[:0]
	if int64(cap(buf)) < st.Size()+1 {
		data = make([]byte, 0, st.Size()+1)
	}
	data, err = readAll(io.LimitReader(f, limit+1), data)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s grew past the %d-byte limit while read: %w", path, limit, ErrTooLarge)
	}
	return data, nil
}

// readAll is io.ReadAll into a buffer sized in advance.
func readAll(r io.Reader, b []byte) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// kindOf names a non-regular file type for the error message.
func kindOf(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a plain file (" + m.Type().String() + ")"
}
