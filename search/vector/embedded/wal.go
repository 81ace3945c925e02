package embedded

import (
	"bufio"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"

	"github.com/simili/simili/search/vector"
)

const (
	walMagic        = "SMLVWAL1"
	formatVersion   = 1
	walHeaderSize   = 8 + 4 + 4 + 8 + 4 // magic, version, dim, generation, CRC
	entryHeaderSize = 4 + 4             // payload length, payload CRC
	maxEntry        = 1<<31 - 1         // payload limit; larger batches are split

	opUpsert byte = 1
	opDelete byte = 2
	opDrop   byte = 3
)

func walHeader(dim int, gen uint64) []byte {
	b := make([]byte, 0, walHeaderSize)
	b = append(b, walMagic...)
	b = appendU32(b, formatVersion)
	b = appendU32(b, uint32(dim))
	b = appendU64(b, gen)
	return appendU32(b, crc32.Checksum(b, crcTable))
}

// parseWALHeader returns the generation recorded in a log header.
func parseWALHeader(b []byte, dim int) (uint64, error) {
	if len(b) < walHeaderSize || string(b[:8]) != walMagic {
		return 0, errors.New("not a simili vector log")
	}
	if crc32.Checksum(b[:walHeaderSize-4], crcTable) != le.Uint32(b[walHeaderSize-4:]) {
		return 0, errors.New("log header checksum mismatch")
	}
	if v := le.Uint32(b[8:]); v != formatVersion {
		return 0, fmt.Errorf("log format version %d, want %d", v, formatVersion)
	}
	if d := le.Uint32(b[12:]); int(d) != dim {
		return 0, fmt.Errorf("log holds %d-d vectors, store is %d-d", d, dim)
	}
	return le.Uint64(b[16:]), nil
}

// beginEntry reserves the entry header and writes the op byte.
func beginEntry(b []byte, op byte) []byte {
	return append(b[:0], 0, 0, 0, 0, 0, 0, 0, 0, op)
}

// finishEntry fills in the length and CRC of the payload after the header.
func finishEntry(b []byte) ([]byte, error) {
	p := b[entryHeaderSize:]
	if len(p) > maxEntry {
		return nil, fmt.Errorf("log entry of %d bytes exceeds %d: upsert fewer records per call", len(p), maxEntry)
	}
	le.PutUint32(b[0:], uint32(len(p)))
	le.PutUint32(b[4:], crc32.Checksum(p, crcTable))
	return b, nil
}

// tornTail describes log bytes that Open dropped.
type tornTail struct {
	at, size int64
}

// replayWAL applies every intact entry after the header to x. It stops at
// the first entry that is incomplete or fails its CRC: when nothing but that
// entry (or zero fill) follows, it is a write torn by a crash and replay
// returns its offset as the new end of the log; otherwise the log is
// corrupt in the middle and replay fails rather than silently dropping the
// entries after it.
func replayWAL(f *os.File, size int64, x *index) (end int64, torn *tornTail, err error) {
	if _, err := f.Seek(walHeaderSize, io.SeekStart); err != nil {
		return 0, nil, fmt.Errorf("seek log: %w", err)
	}
	r := bufio.NewReaderSize(f, 1<<20)
	var hdr [entryHeaderSize]byte
	var payload []byte
	off := int64(walHeaderSize)
	for off < size {
		if size-off < entryHeaderSize {
			return off, &tornTail{off, size}, nil
		}
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return 0, nil, fmt.Errorf("read log at %d: %w", off, err)
		}
		n := int64(le.Uint32(hdr[0:]))
		next := off + entryHeaderSize + n
		if next > size {
			return off, &tornTail{off, size}, nil
		}
		if int64(cap(payload)) < n {
			payload = make([]byte, n)
		}
		payload = payload[:n]
		if _, err := io.ReadFull(r, payload); err != nil {
			return 0, nil, fmt.Errorf("read log at %d: %w", off, err)
		}
		if n == 0 || crc32.Checksum(payload, crcTable) != le.Uint32(hdr[4:]) {
			zero, err := zeroFrom(f, next, size)
			if err != nil {
				return 0, nil, err
			}
			if zero {
				return off, &tornTail{off, size}, nil
			}
			return 0, nil, fmt.Errorf("log entry at offset %d fails its checksum and %d bytes follow it: %w", off, size-next, ErrCorrupt)
		}
		if err := applyEntry(x, payload); err != nil {
			return 0, nil, fmt.Errorf("log entry at offset %d: %v: %w", off, err, ErrCorrupt)
		}
		off = next
	}
	return off, nil, nil
}

// zeroFrom reports whether f holds only zero bytes in [from, size): the
// shape a crash leaves when the file grew before its data reached disk.
func zeroFrom(f *os.File, from, size int64) (bool, error) {
	buf := make([]byte, 64<<10)
	for from < size {
		n, err := f.ReadAt(buf[:min(int64(len(buf)), size-from)], from)
		for _, c := range buf[:n] {
			if c != 0 {
				return false, nil
			}
		}
		if err != nil && !(errors.Is(err, io.EOF) && from+int64(n) >= size) {
			return false, fmt.Errorf("read log tail: %w", err)
		}
		from += int64(n)
	}
	return true, nil
}

// applyEntry decodes one log payload into x.
func applyEntry(x *index, p []byte) error {
	d := decoder{b: p}
	switch op := d.u8(); op {
	case opUpsert:
		n := d.uvarint()
		if n > uint64(len(d.b)) { // each record takes well over one byte
			return fmt.Errorf("upsert of %d records in %d bytes", n, len(p))
		}
		v := make([]float32, x.dim)
		for range n {
			id := int64(d.u64())
			m := d.meta()
			d.floats(v)
			if d.err != nil {
				break
			}
			x.put(id, v, 1, x.compact(m))
		}
	case opDelete:
		n := d.uvarint()
		if n > uint64(len(d.b))/8 {
			return fmt.Errorf("delete of %d ids in %d bytes", n, len(p))
		}
		for range n {
			x.remove(int64(d.u64()))
		}
	case opDrop:
		x.reset()
	default:
		return fmt.Errorf("unknown op %d", op)
	}
	if d.err != nil {
		return d.err
	}
	if len(d.b) != 0 {
		return fmt.Errorf("%d stray bytes after entry", len(d.b))
	}
	return nil
}

// appendUpsert encodes recs, each vector scaled by scales[i], as one entry
// so a batch is applied entirely or not at all after a crash.
func appendUpsert(b []byte, recs []vector.Record, scales []float32) ([]byte, error) {
	b = beginEntry(b, opUpsert)
	b = appendUvarint(b, uint64(len(recs)))
	for i, r := range recs {
		b = appendU64(b, uint64(r.ID))
		b = appendMeta(b, r.Meta)
		b = appendFloats(b, r.Vector, scales[i])
	}
	return finishEntry(b)
}

func appendDelete(b []byte, ids []int64) ([]byte, error) {
	b = beginEntry(b, opDelete)
	b = appendUvarint(b, uint64(len(ids)))
	for _, id := range ids {
		b = appendU64(b, uint64(id))
	}
	return finishEntry(b)
}

func appendDrop(b []byte) ([]byte, error) { return finishEntry(beginEntry(b, opDrop)) }
