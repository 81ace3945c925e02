package embedded

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math"
	"time"
	"unsafe"

	"github.com/simili/simili/library/facet"
)

// crcTable is CRC-32C (Castagnoli), hardware-accelerated on amd64 and arm64.
// It is computed once and never written after.
var crcTable = crc32.MakeTable(crc32.Castagnoli)

var le = binary.LittleEndian

func appendU32(b []byte, v uint32) []byte { return le.AppendUint32(b, v) }
func appendU64(b []byte, v uint64) []byte { return le.AppendUint64(b, v) }

func appendFloats(b []byte, v []float32, scale float32) []byte {
	for _, f := range v {
		b = le.AppendUint32(b, math.Float32bits(f*scale))
	}
	return b
}

func appendUvarint(b []byte, v uint64) []byte { return binary.AppendUvarint(b, v) }

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// errShort reports a payload that ends before its declared contents.
var errShort = errors.New("truncated payload")

// decoder reads a length-checked byte slice; the first failure sticks, so
// callers check err once at the end.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
	d.b = nil
}

func (d *decoder) bytes(n int) []byte {
	if d.err != nil || n < 0 || len(d.b) < n {
		d.fail(errShort)
		return nil
	}
	out := d.b[:n]
	d.b = d.b[n:]
	return out
}

func (d *decoder) u8() uint8 {
	if b := d.bytes(1); b != nil {
		return b[0]
	}
	return 0
}

func (d *decoder) u32() uint32 {
	if b := d.bytes(4); b != nil {
		return le.Uint32(b)
	}
	return 0
}

func (d *decoder) u64() uint64 {
	if b := d.bytes(8); b != nil {
		return le.Uint64(b)
	}
	return 0
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail(errShort)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) str() string {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail(errShort)
		return ""
	}
	return string(d.bytes(int(n)))
}

// floats decodes len(dst) little-endian float32s into dst.
func (d *decoder) floats(dst []float32) {
	b := d.bytes(4 * len(dst))
	if b == nil {
		return
	}
	decodeFloats(dst, b)
}

// decodeFloats fills dst from the little-endian float32s in b: a plain
// memory copy on little-endian machines (all Simili ships on), where the
// per-value loop took most of Open's time (930 of 1220 ms at 100k×2048).
func decodeFloats(dst []float32, b []byte) {
	if len(dst) == 0 {
		return
	}
	if binary.NativeEndian.Uint16([]byte{1, 0}) == 1 {
		copy(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(dst))), 4*len(dst)), b[:4*len(dst)])
		return
	}
	for i := range dst {
		dst[i] = math.Float32frombits(le.Uint32(b[4*i:]))
	}
}

// appendMeta writes m in the log's record layout: flags, taken, then the
// four strings.
func appendMeta(b []byte, m facet.Meta) []byte {
	var flags uint8
	var taken int64
	if !m.TakenAt.IsZero() {
		flags |= flagDated
		taken = m.TakenAt.Unix()
	}
	if m.HasGPS {
		flags |= flagGPS
	}
	b = append(b, flags)
	b = appendU64(b, uint64(taken))
	b = appendString(b, m.Make)
	b = appendString(b, m.Model)
	b = appendString(b, m.Lens)
	return appendString(b, m.Folder)
}

func (d *decoder) meta() facet.Meta {
	flags := d.u8()
	taken := int64(d.u64())
	m := facet.Meta{Make: d.str(), Model: d.str(), Lens: d.str(), Folder: d.str(), HasGPS: flags&flagGPS != 0}
	if flags&flagDated != 0 {
		m.TakenAt = time.Unix(taken, 0).UTC()
	}
	return m
}
