package embedded

import (
	"bufio"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"math"
	"os"

	"github.com/simili/simili/search/vector"
)

const (
	snapMagic = "SMLVSNP1"
	// snapRecordFixed is a record's size without its vector: id, taken,
	// flags, four string ids.
	snapRecordFixed = 8 + 8 + 1 + 4*4
)

// writeSnapshot writes x to path (a temp file), fsyncs and closes it, and
// returns its size. Only strings still in use are written, so the interner
// sheds the values of deleted records on the next Open.
func writeSnapshot(path string, m vector.Model, gen uint64, x *index) (size int64, err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return 0, fmt.Errorf("create snapshot: %w", err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(path)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	h := crc32.New(crcTable)
	w := io.MultiWriter(bw, h)

	// Renumber live strings densely.
	remap := make(map[uint32]uint32)
	var strs []string
	use := func(id uint32) uint32 {
		if n, ok := remap[id]; ok {
			return n
		}
		n := uint32(len(strs))
		remap[id] = n
		strs = append(strs, x.strs.strs[id])
		return n
	}
	use(0)
	for i := range x.metas {
		mt := &x.metas[i]
		use(mt.maker)
		use(mt.model)
		use(mt.lens)
		use(mt.folder)
	}

	b := make([]byte, 0, 1<<16)
	b = append(b, snapMagic...)
	b = appendU32(b, formatVersion)
	b = appendU32(b, uint32(m.Dim))
	b = appendU64(b, gen)
	b = appendU32(b, uint32(len(m.Name)))
	b = append(b, m.Name...)
	b = appendU32(b, uint32(len(strs)))
	for _, s := range strs {
		b = appendU32(b, uint32(len(s)))
		b = append(b, s...)
		if len(b) > 1<<15 {
			if _, err := w.Write(b); err != nil {
				return 0, fmt.Errorf("write snapshot: %w", err)
			}
			b = b[:0]
		}
	}
	b = appendU64(b, uint64(x.len()))
	for i, id := range x.ids {
		mt := &x.metas[i]
		b = appendU64(b, uint64(id))
		b = appendU64(b, uint64(mt.taken))
		b = append(b, mt.flags)
		b = appendU32(b, remap[mt.maker])
		b = appendU32(b, remap[mt.model])
		b = appendU32(b, remap[mt.lens])
		b = appendU32(b, remap[mt.folder])
		b = appendFloats(b, x.vecs[i*x.dim:(i+1)*x.dim], 1)
		if len(b) > 1<<15 {
			if _, err := w.Write(b); err != nil {
				return 0, fmt.Errorf("write snapshot: %w", err)
			}
			b = b[:0]
		}
	}
	if _, err := w.Write(b); err != nil {
		return 0, fmt.Errorf("write snapshot: %w", err)
	}
	if _, err := bw.Write(le.AppendUint32(nil, h.Sum32())); err != nil {
		return 0, fmt.Errorf("write snapshot: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return 0, fmt.Errorf("write snapshot: %w", err)
	}
	if err := f.Sync(); err != nil {
		return 0, fmt.Errorf("sync snapshot: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("stat snapshot: %w", err)
	}
	if err := f.Close(); err != nil {
		return 0, fmt.Errorf("close snapshot: %w", err)
	}
	return st.Size(), nil
}

// snapReader reads a snapshot while hashing it and bounds every length by
// the bytes left, so a corrupt file yields ErrCorrupt, never a huge
// allocation or a panic.
type snapReader struct {
	r    *bufio.Reader
	h    hash.Hash32
	left int64 // bytes before the CRC trailer not yet read
	err  error
}

func (s *snapReader) read(b []byte) {
	if s.err != nil {
		return
	}
	if int64(len(b)) > s.left {
		s.err = errors.New("file ends early")
		return
	}
	if _, err := io.ReadFull(s.r, b); err != nil {
		s.err = err
		return
	}
	s.h.Write(b)
	s.left -= int64(len(b))
}

func (s *snapReader) u32() uint32 {
	var b [4]byte
	s.read(b[:])
	return le.Uint32(b[:])
}

func (s *snapReader) u64() uint64 {
	var b [8]byte
	s.read(b[:])
	return le.Uint64(b[:])
}

// count reads a u32/u64 count of items at least unit bytes each and checks
// it against the bytes left.
func (s *snapReader) count(n uint64, unit int64, what string) int {
	if s.err == nil && (n > math.MaxInt32*64 || int64(n) > s.left/unit) {
		s.err = fmt.Errorf("%s count %d does not fit in %d remaining bytes", what, n, s.left)
	}
	if s.err != nil {
		return 0
	}
	return int(n)
}

// readSnapshot loads the snapshot at path, which must hold vectors of m.
func readSnapshot(path string, m vector.Model) (x *index, gen uint64, size int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, 0, err // callers test os.ErrNotExist
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, 0, 0, fmt.Errorf("stat snapshot: %w", err)
	}
	size = st.Size()
	corrupt := func(format string, args ...any) error {
		return fmt.Errorf("snapshot %s: %s: %w", path, fmt.Sprintf(format, args...), ErrCorrupt)
	}
	if size < int64(len(snapMagic))+4+4+8+4+4+8+4 {
		return nil, 0, 0, corrupt("%d bytes is too short", size)
	}
	s := &snapReader{r: bufio.NewReaderSize(f, 1<<20), h: crc32.New(crcTable), left: size - 4}
	magic := make([]byte, len(snapMagic))
	s.read(magic)
	if s.err == nil && string(magic) != snapMagic {
		return nil, 0, 0, corrupt("not a simili vector snapshot")
	}
	if v := s.u32(); s.err == nil && v != formatVersion {
		return nil, 0, 0, corrupt("format version %d, want %d", v, formatVersion)
	}
	dim := int(s.u32())
	gen = s.u64()
	name := make([]byte, s.count(uint64(s.u32()), 1, "model name"))
	s.read(name)
	if s.err == nil && (dim != m.Dim || string(name) != m.Name) {
		return nil, 0, 0, corrupt("holds %s (%d-d) vectors but the store's MODEL file says %v", name, dim, m)
	}
	nstr := s.count(uint64(s.u32()), 4, "string")
	strs := newInterner()
	strIDs := make([]uint32, 0, nstr)
	for range nstr {
		b := make([]byte, s.count(uint64(s.u32()), 1, "string length"))
		s.read(b)
		if s.err != nil {
			break
		}
		strIDs = append(strIDs, strs.intern(string(b)))
	}
	recSize := int64(snapRecordFixed + 4*dim)
	n := s.count(s.u64(), recSize, "record")
	if s.err == nil && s.left != int64(n)*recSize {
		return nil, 0, 0, corrupt("%d bytes after %d records, want 0", s.left-int64(n)*recSize, n)
	}
	if s.err != nil {
		return nil, 0, 0, corrupt("%v", s.err)
	}

	x = newIndex(dim, n)
	adviseHuge(x.vecs)
	x.strs = strs
	x.vecs = x.vecs[:n*dim]
	x.ids = x.ids[:n]
	x.metas = x.metas[:n]
	str := func(b []byte) (uint32, bool) {
		i := le.Uint32(b)
		if int(i) >= len(strIDs) {
			return 0, false
		}
		return strIDs[i], true
	}
	const batch = 256
	buf := make([]byte, batch*recSize)
	for lo := 0; lo < n; lo += batch {
		hi := min(n, lo+batch)
		b := buf[:int64(hi-lo)*recSize]
		s.read(b)
		if s.err != nil {
			return nil, 0, 0, corrupt("%v", s.err)
		}
		for i := lo; i < hi; i++ {
			r := b[int64(i-lo)*recSize:]
			id := int64(le.Uint64(r))
			if _, dup := x.slot[id]; dup {
				return nil, 0, 0, corrupt("record %d: duplicate id %d", i, id)
			}
			mt := meta{taken: int64(le.Uint64(r[8:])), flags: r[16]}
			var ok [4]bool
			mt.maker, ok[0] = str(r[17:])
			mt.model, ok[1] = str(r[21:])
			mt.lens, ok[2] = str(r[25:])
			mt.folder, ok[3] = str(r[29:])
			if ok != [4]bool{true, true, true, true} {
				return nil, 0, 0, corrupt("record %d: string index out of range", i)
			}
			x.ids[i] = id
			x.metas[i] = mt
			x.slot[id] = int32(i)
			decodeFloats(x.vecs[i*dim:(i+1)*dim], r[snapRecordFixed:])
		}
	}
	var trailer [4]byte
	if _, err := io.ReadFull(s.r, trailer[:]); err != nil {
		return nil, 0, 0, corrupt("read checksum: %v", err)
	}
	if got, want := s.h.Sum32(), le.Uint32(trailer[:]); got != want {
		return nil, 0, 0, corrupt("checksum %08x, file says %08x", got, want)
	}
	return x, gen, size, nil
}
