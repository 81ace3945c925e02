package meta

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// maxHEIFBytes bounds how much of a HEIF/AVIF file is read to find its Exif
// item. The item may follow the image data (some writers append it at the
// end), so the file is read whole; phone photos are a few megabytes.
const maxHEIFBytes = 256 << 20

// maxItems and maxExtents bound the walk of the item tables.
const (
	maxItems   = 1 << 16
	maxExtents = 1 << 10
)

// isHEIF reports whether head starts an ISOBMFF file whose major brand is a
// HEIF or AVIF still-image brand.
func isHEIF(head []byte) bool {
	if len(head) < 12 || string(head[4:8]) != "ftyp" {
		return false
	}
	switch string(head[8:12]) {
	case "heic", "heix", "heim", "heis", "hevc", "hevx", "hevm", "hevs", "mif1", "msf1", "mif2", "avif", "avis":
		return true
	}
	return false
}

// heifEXIF returns the TIFF block of the Exif item of a HEIF/AVIF file,
// wherever iloc places it (before or after the image data, or in idat).
func heifEXIF(br *bufio.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(br, maxHEIFBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read HEIF: %w", err)
	}
	if len(data) > maxHEIFBytes {
		return nil, fmt.Errorf("HEIF larger than %d bytes", maxHEIFBytes)
	}
	meta, ok := findBox(data, "meta")
	if !ok {
		return nil, fmt.Errorf("HEIF without a meta box: %w", ErrNoEXIF)
	}
	if len(meta) < 4 {
		return nil, errors.New("HEIF meta box truncated")
	}
	meta = meta[4:] // full box: version and flags
	iinf, ok := findBox(meta, "iinf")
	if !ok {
		return nil, fmt.Errorf("HEIF without an item list: %w", ErrNoEXIF)
	}
	id, ok, err := exifItemID(iinf)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("HEIF: %w", ErrNoEXIF)
	}
	iloc, ok := findBox(meta, "iloc")
	if !ok {
		return nil, errors.New("HEIF Exif item has no location (no iloc box)")
	}
	idat, _ := findBox(meta, "idat")
	payload, err := itemData(iloc, id, data, idat)
	if err != nil {
		return nil, fmt.Errorf("HEIF Exif item %d: %w", id, err)
	}
	return exifPayload(payload)
}

// exifPayload strips the Exif item's header: a 4-byte offset to the TIFF
// header (ISO/IEC 23008-12 Annex A), which some writers follow with the
// JPEG "Exif\0\0" prefix.
func exifPayload(p []byte) ([]byte, error) {
	if len(p) < 4 {
		return nil, errors.New("HEIF Exif item shorter than its header")
	}
	off := uint64(binary.BigEndian.Uint32(p))
	rest := p[4:]
	if off < uint64(len(rest)) && isTIFFHeader(rest[off:]) {
		return rest[off:], nil
	}
	// A wrong offset is common enough to look for the header nearby.
	for i := 0; i+4 <= len(rest) && i < 64; i++ {
		if isTIFFHeader(rest[i:]) {
			return rest[i:], nil
		}
	}
	return nil, fmt.Errorf("HEIF Exif item: %w", errBadTIFF)
}

func isTIFFHeader(b []byte) bool {
	return bytes.HasPrefix(b, []byte("II*\x00")) || bytes.HasPrefix(b, []byte("MM\x00*"))
}

// box is one ISOBMFF box: its type and payload (after the header).
type box struct {
	typ  string
	body []byte
}

// nextBox splits the first box off b. A size of 0 means "to the end".
func nextBox(b []byte) (box, []byte, error) {
	if len(b) < 8 {
		return box{}, nil, errors.New("box header truncated")
	}
	size := uint64(binary.BigEndian.Uint32(b))
	typ := string(b[4:8])
	hdr := uint64(8)
	switch size {
	case 0:
		size = uint64(len(b))
	case 1:
		if len(b) < 16 {
			return box{}, nil, errors.New("box header truncated")
		}
		size, hdr = binary.BigEndian.Uint64(b[8:]), 16
	}
	if size < hdr || size > uint64(len(b)) {
		return box{}, nil, fmt.Errorf("%q box of %d bytes overruns its container (%d left)", typ, size, len(b))
	}
	return box{typ: typ, body: b[hdr:size]}, b[size:], nil
}

// findBox returns the body of the first box of type typ among the boxes
// that make up b (not descending into them).
func findBox(b []byte, typ string) ([]byte, bool) {
	for len(b) > 0 {
		bx, rest, err := nextBox(b)
		if err != nil {
			return nil, false
		}
		if bx.typ == typ {
			return bx.body, true
		}
		b = rest
	}
	return nil, false
}

// exifItemID finds the item of type "Exif" in an iinf box body.
func exifItemID(iinf []byte) (uint32, bool, error) {
	if len(iinf) < 6 {
		return 0, false, errors.New("HEIF iinf box truncated")
	}
	r := reader{b: iinf}
	version := r.u8()
	r.skip(3)
	if version == 0 {
		r.u16()
	} else {
		r.u32()
	}
	if r.err != nil {
		return 0, false, errors.New("HEIF iinf box truncated")
	}
	entries := r.b[r.off:]
	for n := 0; len(entries) > 0 && n < maxItems; n++ {
		bx, rest, err := nextBox(entries)
		if err != nil {
			return 0, false, fmt.Errorf("HEIF item list: %w", err)
		}
		entries = rest
		if bx.typ != "infe" {
			continue
		}
		e := reader{b: bx.body}
		v := e.u8()
		e.skip(3)
		if v < 2 {
			continue // versions 0 and 1 carry no item type
		}
		var id uint32
		if v == 2 {
			id = uint32(e.u16())
		} else {
			id = e.u32()
		}
		e.u16() // protection index
		typ := e.bytes(4)
		if e.err == nil && string(typ) == "Exif" {
			return id, true, nil
		}
	}
	return 0, false, nil
}

// itemData assembles an item's bytes from its iloc extents, in the file
// (construction method 0) or in the meta box's idat (method 1). The total
// is bounded by maxChunkEXIF: this is only used for metadata.
func itemData(iloc []byte, want uint32, file, idat []byte) ([]byte, error) {
	r := reader{b: iloc}
	version := r.u8()
	r.skip(3)
	if version > 2 {
		return nil, fmt.Errorf("iloc version %d not supported", version)
	}
	sizes := r.u16()
	offSize, lenSize := int(sizes>>12), int(sizes>>8&0xF)
	baseSize, idxSize := int(sizes>>4&0xF), 0
	if version >= 1 {
		idxSize = int(sizes & 0xF)
	}
	var count uint32
	if version < 2 {
		count = uint32(r.u16())
	} else {
		count = r.u32()
	}
	for i := uint32(0); i < count && i < maxItems && r.err == nil; i++ {
		var id uint32
		if version < 2 {
			id = uint32(r.u16())
		} else {
			id = r.u32()
		}
		method := 0
		if version >= 1 {
			method = int(r.u16() & 0xF)
		}
		r.u16() // data reference index: 0 = this file
		base := r.uint(baseSize)
		extents := int(r.u16())
		var out []byte
		for e := 0; e < extents && r.err == nil; e++ {
			if version >= 1 && idxSize > 0 {
				r.uint(idxSize)
			}
			off, n := r.uint(offSize), r.uint(lenSize)
			if id != want || r.err != nil {
				continue
			}
			if e >= maxExtents {
				return nil, fmt.Errorf("more than %d extents", maxExtents)
			}
			src := file
			switch method {
			case 0:
			case 1:
				src = idat
			default:
				return nil, fmt.Errorf("construction method %d not supported", method)
			}
			start := base + off
			if base > uint64(len(src)) || off > uint64(len(src)) || start > uint64(len(src)) {
				return nil, fmt.Errorf("extent at %d lies past the end of its %d bytes", start, len(src))
			}
			if n == 0 { // the rest of the source
				n = uint64(len(src)) - start
			}
			if n > uint64(len(src))-start {
				return nil, fmt.Errorf("extent of %d bytes at %d lies past the end of its %d bytes (truncated file?)", n, start, len(src))
			}
			if uint64(len(out))+n > maxChunkEXIF {
				return nil, fmt.Errorf("larger than %d bytes", maxChunkEXIF)
			}
			out = append(out, src[start:start+n]...)
		}
		if r.err != nil {
			break
		}
		if id == want {
			if len(out) == 0 {
				return nil, errors.New("no data")
			}
			return out, nil
		}
	}
	if r.err != nil {
		return nil, errors.New("iloc box truncated")
	}
	return nil, errors.New("not in iloc")
}

// reader reads big-endian fields, remembering the first overrun so callers
// check once.
type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) bytes(n int) []byte {
	if r.err != nil || n < 0 || r.off+n > len(r.b) {
		r.err = io.ErrUnexpectedEOF
		return nil
	}
	v := r.b[r.off : r.off+n]
	r.off += n
	return v
}

func (r *reader) skip(n int) { r.bytes(n) }

func (r *reader) u8() uint8 {
	if b := r.bytes(1); b != nil {
		return b[0]
	}
	return 0
}

func (r *reader) u16() uint16 {
	if b := r.bytes(2); b != nil {
		return binary.BigEndian.Uint16(b)
	}
	return 0
}

func (r *reader) u32() uint32 {
	if b := r.bytes(4); b != nil {
		return binary.BigEndian.Uint32(b)
	}
	return 0
}

// uint reads an unsigned field of 0, 4 or 8 bytes, as iloc declares them.
func (r *reader) uint(size int) uint64 {
	switch size {
	case 0:
		return 0
	case 4:
		return uint64(r.u32())
	case 8:
		if b := r.bytes(8); b != nil {
			return binary.BigEndian.Uint64(b)
		}
		return 0
	}
	if r.err == nil {
		r.err = fmt.Errorf("iloc field size %d", size)
	}
	return 0
}
