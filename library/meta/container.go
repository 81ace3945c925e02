package meta

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Limits that keep hostile files from making Read consume unbounded memory
// or time; real EXIF blocks are at most a few hundred KB.
const (
	maxHeaderScan = 64 << 20  // bytes of JPEG/PNG/WebP structure walked before giving up
	maxTIFFBytes  = 256 << 20 // a TIFF's IFDs may sit anywhere, so it is read whole
	maxChunkEXIF  = 16 << 20  // largest PNG/WebP EXIF chunk accepted
)

var exifHeader = []byte("Exif\x00\x00")

// findTIFF locates the EXIF block (a TIFF structure) in a JPEG, TIFF, PNG,
// WebP or HEIF/AVIF stream. It returns an error wrapping ErrNoEXIF when the
// container holds none or is not one of these.
func findTIFF(r io.Reader) ([]byte, error) {
	br := bufio.NewReader(io.LimitReader(r, maxTIFFBytes+1))
	head, _ := br.Peek(12)
	switch {
	case isHEIF(head):
		return heifEXIF(br)
	case len(head) >= 2 && head[0] == 0xFF && head[1] == 0xD8:
		return jpegEXIF(br)
	case bytes.HasPrefix(head, []byte("II*\x00")), bytes.HasPrefix(head, []byte("MM\x00*")):
		data, err := io.ReadAll(br)
		if err != nil {
			return nil, fmt.Errorf("read TIFF: %w", err)
		}
		if len(data) > maxTIFFBytes {
			return nil, fmt.Errorf("TIFF larger than %d bytes", maxTIFFBytes)
		}
		return data, nil
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return pngEXIF(br)
	case len(head) >= 12 && string(head[:4]) == "RIFF" && string(head[8:12]) == "WEBP":
		return webpEXIF(br)
	}
	return nil, fmt.Errorf("container without EXIF support: %w", ErrNoEXIF)
}

// jpegEXIF walks the marker segments up to the first scan and returns the
// payload of the first APP1 segment that starts with "Exif\0\0" (XMP also
// lives in APP1, so the first APP1 is not necessarily EXIF).
func jpegEXIF(br *bufio.Reader) ([]byte, error) {
	if _, err := br.Discard(2); err != nil {
		return nil, fmt.Errorf("JPEG: %w", ErrNoEXIF)
	}
	scanned := 2
	for scanned < maxHeaderScan {
		b, err := br.ReadByte()
		if err != nil {
			return nil, fmt.Errorf("JPEG ended before any EXIF: %w", ErrNoEXIF)
		}
		scanned++
		if b != 0xFF {
			continue // garbage between segments: resynchronise on the next 0xFF
		}
		marker, err := br.ReadByte()
		if err != nil {
			return nil, fmt.Errorf("JPEG ended before any EXIF: %w", ErrNoEXIF)
		}
		scanned++
		switch {
		case marker == 0xFF:
			_ = br.UnreadByte() // fill byte; the next 0xFF starts the marker
			scanned--
			continue
		case marker == 0x00, marker == 0x01, marker >= 0xD0 && marker <= 0xD8:
			continue // stuffed byte, TEM, RSTn, SOI: no length field
		case marker == 0xDA, marker == 0xD9:
			return nil, fmt.Errorf("JPEG: %w", ErrNoEXIF) // metadata precedes the scan
		}
		var lenBuf [2]byte
		if _, err := io.ReadFull(br, lenBuf[:]); err != nil {
			return nil, fmt.Errorf("JPEG ended before any EXIF: %w", ErrNoEXIF)
		}
		n := int(binary.BigEndian.Uint16(lenBuf[:])) - 2
		scanned += 2
		if n < 0 {
			return nil, fmt.Errorf("JPEG segment 0x%02X has invalid length %d", marker, n+2)
		}
		if marker == 0xE1 {
			seg := make([]byte, n)
			if _, err := io.ReadFull(br, seg); err != nil {
				if bytes.HasPrefix(seg, exifHeader) {
					return nil, fmt.Errorf("JPEG EXIF segment truncated: %w", err)
				}
				return nil, fmt.Errorf("JPEG ended before any EXIF: %w", ErrNoEXIF)
			}
			if bytes.HasPrefix(seg, exifHeader) {
				return seg[len(exifHeader):], nil
			}
		} else if _, err := br.Discard(n); err != nil {
			return nil, fmt.Errorf("JPEG ended before any EXIF: %w", ErrNoEXIF)
		}
		scanned += n
	}
	return nil, fmt.Errorf("no EXIF in the first %d bytes of JPEG: %w", maxHeaderScan, ErrNoEXIF)
}

// pngEXIF returns the payload of the eXIf chunk (PNG 1.5 / Extensions 2017).
func pngEXIF(br *bufio.Reader) ([]byte, error) {
	if _, err := br.Discard(8); err != nil {
		return nil, fmt.Errorf("PNG: %w", ErrNoEXIF)
	}
	for scanned := 8; scanned < maxHeaderScan; {
		var h [8]byte
		if _, err := io.ReadFull(br, h[:]); err != nil {
			return nil, fmt.Errorf("PNG ended before any EXIF: %w", ErrNoEXIF)
		}
		n := int64(binary.BigEndian.Uint32(h[:4]))
		typ := string(h[4:])
		switch typ {
		case "eXIf":
			return readChunk(br, n, "PNG eXIf")
		case "IEND":
			return nil, fmt.Errorf("PNG: %w", ErrNoEXIF)
		}
		if _, err := br.Discard(int(min(n+4, maxHeaderScan))); err != nil { // data + CRC
			return nil, fmt.Errorf("PNG ended before any EXIF: %w", ErrNoEXIF)
		}
		scanned += 12 + int(min(n, maxHeaderScan))
	}
	return nil, fmt.Errorf("no EXIF in the first %d bytes of PNG: %w", maxHeaderScan, ErrNoEXIF)
}

// webpEXIF returns the payload of the EXIF chunk of an extended WebP.
func webpEXIF(br *bufio.Reader) ([]byte, error) {
	if _, err := br.Discard(12); err != nil {
		return nil, fmt.Errorf("WebP: %w", ErrNoEXIF)
	}
	for scanned := 12; scanned < maxHeaderScan; {
		var h [8]byte
		if _, err := io.ReadFull(br, h[:]); err != nil {
			return nil, fmt.Errorf("WebP ended before any EXIF: %w", ErrNoEXIF)
		}
		n := int64(binary.LittleEndian.Uint32(h[4:]))
		if string(h[:4]) == "EXIF" {
			return readChunk(br, n, "WebP EXIF")
		}
		skip := min(n+n&1, maxHeaderScan) // chunks are padded to even sizes
		if _, err := br.Discard(int(skip)); err != nil {
			return nil, fmt.Errorf("WebP ended before any EXIF: %w", ErrNoEXIF)
		}
		scanned += 8 + int(skip)
	}
	return nil, fmt.Errorf("no EXIF in the first %d bytes of WebP: %w", maxHeaderScan, ErrNoEXIF)
}

// readChunk reads an n-byte EXIF chunk; some writers wrongly keep the JPEG
// "Exif\0\0" prefix, which is dropped.
func readChunk(br *bufio.Reader, n int64, what string) ([]byte, error) {
	if n > maxChunkEXIF {
		return nil, fmt.Errorf("%s chunk of %d bytes is implausibly large", what, n)
	}
	data := make([]byte, n)
	if _, err := io.ReadFull(br, data); err != nil {
		return nil, fmt.Errorf("%s chunk truncated: %w", what, err)
	}
	return bytes.TrimPrefix(data, exifHeader), nil
}

// errBadTIFF reports an EXIF block whose TIFF header is unusable.
var errBadTIFF = errors.New("EXIF block has no valid TIFF header")

// tiffTypeSize gives the byte size of each TIFF field type; goexif cannot
// decode other types.
func tiffTypeSize(typ uint16) uint64 {
	switch typ {
	case 1, 2, 6, 7: // BYTE, ASCII, SBYTE, UNDEFINED
		return 1
	case 3, 8: // SHORT, SSHORT
		return 2
	case 4, 9, 11: // LONG, SLONG, FLOAT
		return 4
	case 5, 10, 12: // RATIONAL, SRATIONAL, DOUBLE
		return 8
	}
	return 0
}

// neutralTag is an ID no goexif field map knows, used to disarm entries.
const neutralTag = 0xFFFF

// sanitize returns a repaired copy of an EXIF TIFF block that goexif can
// parse in bounded time and memory, plus a note for each repair. goexif
// follows the IFD chain looking only for a self-loop (so A→B→A hangs it),
// fails a whole directory over one bad entry, and can allocate count-sized
// slices from a 4-byte value when count×size overflows. So: the chain is cut
// after IFD0 (IFD1 only describes the embedded thumbnail), directories are
// clipped to the data, and entries with unknown types or out-of-range values
// are turned into an inert 1-byte entry with an unknown tag ID.
func sanitize(src []byte) ([]byte, []string, error) {
	if len(src) < 8 {
		return nil, nil, errBadTIFF
	}
	var order binary.ByteOrder
	switch string(src[:2]) {
	case "II":
		order = binary.LittleEndian
	case "MM":
		order = binary.BigEndian
	default:
		return nil, nil, errBadTIFF
	}
	if order.Uint16(src[2:]) != 42 {
		return nil, nil, errBadTIFF
	}
	t := bytes.Clone(src)
	s := sanitizer{data: t, order: order}
	ifd0 := uint64(order.Uint32(t[4:]))
	if !s.fitsDir(ifd0) {
		return nil, nil, fmt.Errorf("IFD0 offset %d outside the %d-byte EXIF block: %w", ifd0, len(t), errBadTIFF)
	}
	end := s.fixDir("IFD0", ifd0)
	order.PutUint32(t[end:], 0) // stop the chain after IFD0
	if off, ok := s.pointer(ifd0, 0x8769); ok && s.sub("Exif IFD", off) {
		if ioff, ok := s.pointer(off, 0xA005); ok {
			s.sub("Interoperability IFD", ioff)
		}
	}
	if off, ok := s.pointer(ifd0, 0x8825); ok {
		s.sub("GPS IFD", off)
	}
	return t, s.notes, nil
}

type sanitizer struct {
	data  []byte
	order binary.ByteOrder
	notes []string
	seen  map[uint64]bool
}

// fitsDir reports whether a directory's count and next-IFD offset fit.
func (s *sanitizer) fitsDir(off uint64) bool {
	return off >= 8 && off+2+4 <= uint64(len(s.data))
}

// sub repairs a sub-IFD and reports whether it lies inside the block.
func (s *sanitizer) sub(name string, off uint64) bool {
	if !s.fitsDir(off) {
		s.notes = append(s.notes, fmt.Sprintf("%s offset %d outside the EXIF block", name, off))
		return false // goexif reports its own error and keeps the other IFDs
	}
	if s.seen == nil {
		s.seen = map[uint64]bool{}
	}
	if !s.seen[off] {
		s.seen[off] = true
		s.fixDir(name, off)
	}
	return true
}

// fixDir repairs the directory at off in place and returns the offset of its
// next-IFD field.
func (s *sanitizer) fixDir(name string, off uint64) uint64 {
	d, o := s.data, s.order
	n := uint64(o.Uint16(d[off:]))
	if n >= 0x8000 { // goexif reads the count as int16: nothing to repair
		return off + 2
	}
	if fit := (uint64(len(d)) - off - 2 - 4) / 12; n > fit {
		s.notes = append(s.notes, fmt.Sprintf("%s claims %d entries, only %d fit", name, n, fit))
		n = fit
		o.PutUint16(d[off:], uint16(n))
	}
	for i := uint64(0); i < n; i++ {
		e := off + 2 + 12*i
		id, typ, count := o.Uint16(d[e:]), o.Uint16(d[e+2:]), uint64(o.Uint32(d[e+4:]))
		size := tiffTypeSize(typ) * count
		bad := ""
		switch {
		case count == 0 && tiffTypeSize(typ) > 0:
			bad = "empty" // a valid but valueless entry: drop it quietly
		case size == 0:
			bad = fmt.Sprintf("type %d count %d", typ, count)
		case size > 4:
			if valOff := uint64(o.Uint32(d[e+8:])); valOff+size > uint64(len(d)) {
				bad = fmt.Sprintf("value of %d bytes at %d past the end", size, valOff)
			}
		}
		if bad != "" {
			if id != neutralTag && bad != "empty" {
				s.notes = append(s.notes, fmt.Sprintf("%s tag 0x%04X: %s", name, id, bad))
			}
			o.PutUint16(d[e:], neutralTag)
			o.PutUint16(d[e+2:], 1)
			o.PutUint32(d[e+4:], 1)
		}
	}
	return off + 2 + 12*n
}

// pointer returns the LONG value of tag id in the directory at dir, which
// fixDir has already clipped to the block, used to find sub-IFDs.
func (s *sanitizer) pointer(dir uint64, id uint16) (uint64, bool) {
	d, o := s.data, s.order
	if !s.fitsDir(dir) {
		return 0, false
	}
	n := uint64(o.Uint16(d[dir:]))
	if n >= 0x8000 || dir+2+12*n+4 > uint64(len(d)) {
		return 0, false
	}
	for i := uint64(0); i < n; i++ {
		e := dir + 2 + 12*i
		if o.Uint16(d[e:]) != id {
			continue
		}
		switch o.Uint16(d[e+2:]) {
		case 4: // LONG
			return uint64(o.Uint32(d[e+8:])), true
		case 3:
			return uint64(o.Uint16(d[e+8:])), true
		}
		return 0, false
	}
	return 0, false
}
