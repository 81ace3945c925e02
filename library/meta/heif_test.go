package meta

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/simili/simili/internal/testenv"
)

// tiffWithMake is a minimal big-endian EXIF TIFF block whose IFD0 holds
// one tag, Make = "Acme".
func tiffWithMake() []byte {
	b := []byte("MM\x00\x2a\x00\x00\x00\x08")
	b = binary.BigEndian.AppendUint16(b, 1)
	b = binary.BigEndian.AppendUint16(b, 0x010F) // Make
	b = binary.BigEndian.AppendUint16(b, 2)      // ASCII
	b = binary.BigEndian.AppendUint32(b, 5)
	b = binary.BigEndian.AppendUint32(b, 8+2+12+4)
	b = binary.BigEndian.AppendUint32(b, 0) // no next IFD
	return append(b, "Acme\x00"...)
}

func isoBox(typ string, body ...[]byte) []byte {
	n := 8
	for _, b := range body {
		n += len(b)
	}
	out := binary.BigEndian.AppendUint32(nil, uint32(n))
	out = append(out, typ...)
	for _, b := range body {
		out = append(out, b...)
	}
	return out
}

// heifFile builds ftyp + meta (iinf with an Exif item 7, iloc version 1 with
// one extent, idat) + mdat. place says where the Exif payload goes: "eof"
// (after mdat, as one fixture has it), "idat" (construction method 1).
// length overrides the extent length when non-zero.
func heifFile(payload []byte, place string, length uint32, itemType string) []byte {
	ftyp := isoBox("ftyp", []byte("heic\x00\x00\x00\x00mif1heic"))
	infe := isoBox("infe", []byte{2, 0, 0, 0}, []byte{0, 7, 0, 0}, []byte(itemType), []byte{0})
	iinf := isoBox("iinf", []byte{0, 0, 0, 0, 0, 1}, infe)
	idat := isoBox("idat")
	method := uint16(0)
	if place == "idat" {
		idat = isoBox("idat", payload)
		method = 1
	}
	mdat := isoBox("mdat", bytes.Repeat([]byte{0xAB}, 1000))
	if length == 0 {
		length = uint32(len(payload))
	}
	iloc := func(offset uint32) []byte {
		b := []byte{1, 0, 0, 0, 0x44, 0x00} // version 1; offset and length 4 bytes, no base, no index
		b = binary.BigEndian.AppendUint16(b, 1)
		b = binary.BigEndian.AppendUint16(b, 7)
		b = binary.BigEndian.AppendUint16(b, method)
		b = binary.BigEndian.AppendUint16(b, 0) // data reference
		b = binary.BigEndian.AppendUint16(b, 1) // extents
		b = binary.BigEndian.AppendUint32(b, offset)
		return isoBox("iloc", binary.BigEndian.AppendUint32(b, length))
	}
	build := func(offset uint32) []byte {
		meta := isoBox("meta", []byte{0, 0, 0, 0}, iinf, iloc(offset), idat)
		return append(append(ftyp, meta...), mdat...)
	}
	if place == "idat" {
		return build(0)
	}
	head := build(0)
	return append(build(uint32(len(head))), payload...)
}

func TestHEIFExifItem(t *testing.T) {
	item := append([]byte{0, 0, 0, 6}, append([]byte("Exif\x00\x00"), tiffWithMake()...)...)
	for _, tc := range []struct {
		name     string
		data     []byte
		make     string
		wantNone bool // ErrNoEXIF
		wantErr  bool // ErrMalformed
	}{
		{"after the image data", heifFile(item, "eof", 0, "Exif"), "Acme", false, false},
		{"in idat", heifFile(item, "idat", 0, "Exif"), "Acme", false, false},
		{"no offset header prefix", heifFile(append([]byte{0, 0, 0, 0}, tiffWithMake()...), "eof", 0, "Exif"), "Acme", false, false},
		{"no Exif item", heifFile(item, "eof", 0, "mime"), "", true, false},
		{"extent past the end (truncated)", heifFile(item, "eof", 1<<20, "Exif"), "", false, true},
		{"extent beyond the EXIF bound", heifFile(item, "eof", 1<<31, "Exif"), "", false, true},
		{"payload without a TIFF header", heifFile([]byte("\x00\x00\x00\x00garbage garbage"), "eof", 0, "Exif"), "", false, true},
		{"truncated inside meta", heifFile(item, "eof", 0, "Exif")[:60], "", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Read(bytes.NewReader(tc.data))
			switch {
			case tc.wantNone && !errors.Is(err, ErrNoEXIF),
				tc.wantErr && !errors.Is(err, ErrMalformed),
				!tc.wantNone && !tc.wantErr && err != nil:
				t.Fatalf("Read: %v", err)
			}
			if m.Make != tc.make || m.Orientation != 1 {
				t.Errorf("make %q orientation %d, want %q and 1", m.Make, m.Orientation, tc.make)
			}
		})
	}
}

// TestHEIFOrientationNotApplied: a HEIF's EXIF Orientation (6 in the
// iPhone XR and Galaxy S10 fixtures, whose irot does the turning) is not
// reported for applying.
func TestHEIFOrientationNotApplied(t *testing.T) {
	for _, fx := range testenv.FormatFixtures(t) {
		f, err := os.Open(fx.Path)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Read(f)
		f.Close()
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(fx.Path), err)
		}
		if m.Orientation != 1 {
			t.Errorf("%s: orientation %d (EXIF says %d), want 1", filepath.Base(fx.Path), m.Orientation, fx.Orientation)
		}
		data, _ := os.ReadFile(fx.Path)
		for _, cut := range []int{len(data) / 2, 3000} {
			Read(bytes.NewReader(data[:cut])) // must return, whatever it finds
		}
	}
}
