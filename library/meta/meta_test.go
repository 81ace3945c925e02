package meta_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/jpeg"
	"image/png"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/simili/simili/internal/testenv"
	"github.com/simili/simili/library/meta"
)

// readFile runs meta.Read on a file opened read-only, failing the test if it
// panics or takes longer than 5 s (garbage must never hang the scanner).
func readFile(t *testing.T, path string) (meta.Meta, error) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return readBytes(t, path, data)
}

func readBytes(t *testing.T, name string, data []byte) (meta.Meta, error) {
	t.Helper()
	type result struct {
		m     meta.Meta
		err   error
		panic any
	}
	done := make(chan result, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- result{panic: r}
			}
		}()
		m, err := meta.Read(bytes.NewReader(data))
		done <- result{m: m, err: err}
	}()
	select {
	case r := <-done:
		if r.panic != nil {
			t.Fatalf("%s: Read panicked: %v", name, r.panic)
		}
		return r.m, r.err
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: Read took more than 5 s", name)
	}
	return meta.Meta{}, nil
}

func utc(s string) time.Time {
	t, err := time.Parse(time.DateTime, s)
	if err != nil {
		panic(err)
	}
	return t
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-6*math.Max(1, math.Abs(b)) }

// TestReadCameras checks camera files against values read independently
// with ExifTool 12.57 (`exiftool -n -EXIF:all`).
func TestReadCameras(t *testing.T) {
	dir := testenv.SharedPath(t, "fixtures", "exif", "ianare", "jpg")
	tests := []struct {
		file                string
		make, model, lens   string
		taken               string // time.DateTime layout, "" for none
		source              meta.DateSource
		focal, fnum, expo   float64
		iso, orient, pw, ph int
	}{
		{"Canon_40D.jpg", "Canon", "Canon EOS 40D", "", "2008-05-30 15:56:01", meta.SourceDateTimeOriginal, 135, 7.1, 0.00625, 100, 1, 100, 68},
		{"Canon_40D_photoshop_import.jpg", "", "", "", "2008-07-31 10:05:49", meta.SourceDateTime, 0, 0, 0, 0, 1, 100, 77},
		{"Canon_DIGITAL_IXUS_400.jpg", "Canon", "Canon DIGITAL IXUS 400", "", "2004-08-27 13:52:55", meta.SourceDateTimeOriginal, 15.4375, 10, 0.005, 0, 1, 100, 75},
		{"Canon_PowerShot_S40.jpg", "Canon", "Canon PowerShot S40", "", "2003-12-14 12:01:44", meta.SourceDateTimeOriginal, 21.3125, 4.9, 0.002, 0, 1, 2272, 1704},
		{"Fujifilm_FinePix6900ZOOM.jpg", "FUJIFILM", "FinePix6900ZOOM", "", "2001-02-19 06:40:05", meta.SourceDateTimeOriginal, 21.8, 4, 0, 100, 1, 100, 75},
		{"Fujifilm_FinePix_E500.jpg", "FUJIFILM", "FinePix E500", "", "2006-08-17 09:24:48", meta.SourceDateTimeOriginal, 4.7, 2.9, 0.0125, 100, 1, 59, 100},
		{"Kodak_CX7530.jpg", "EASTMAN KODAK COMPANY", "KODAK CX7530 ZOOM DIGITAL CAMERA", "", "2005-08-13 09:47:23", meta.SourceDateTimeOriginal, 16.8, 4.6, 0.004, 0, 1, 100, 78},
		{"Konica_Minolta_DiMAGE_Z3.jpg", "KONICA MINOLTA", "DiMAGE Z3", "", "2005-03-10 15:10:48", meta.SourceDateTimeOriginal, 5.859375, 2.8, 0.025, 200, 1, 70, 100},
		{"Nikon_COOLPIX_P1.jpg", "NIKON", "COOLPIX P1", "", "2008-03-07 09:55:46", meta.SourceDateTimeOriginal, 7.5, 6, 0.004572473708, 50, 1, 100, 75},
		{"Nikon_D70.jpg", "NIKON CORPORATION", "NIKON D70", "", "2008-03-15 09:52:01", meta.SourceDateTimeOriginal, 100, 9, 0.005, 200, 1, 100, 66},
		{"Olympus_C8080WZ.jpg", "OLYMPUS CORPORATION", "C8080WZ", "", "2006-10-22 15:44:29", meta.SourceDateTimeOriginal, 15.8, 2.8, 0.00625, 50, 1, 100, 72},
		{"Panasonic_DMC-FZ30.jpg", "Panasonic", "DMC-FZ30", "", "2008-07-16 11:33:20", meta.SourceDateTimeOriginal, 14.1, 3.2, 1.0 / 30, 100, 1, 100, 75},
		{"Pentax_K10D.jpg", "PENTAX Corporation", "PENTAX K10D", "", "2008-05-04 16:47:24", meta.SourceDateTimeOriginal, 90, 11, 1.0 / 180, 200, 1, 100, 72},
		// The Reconyx date lives only in its maker note: no EXIF date.
		{"Reconyx_HC500_Hyperfire.jpg", "", "", "", "", meta.SourceNone, 0, 0, 0.0181372549, 100, 1, 2048, 1536},
		{"Ricoh_Caplio_RR330.jpg", "Caplio", "RR330", "", "2004-08-31 19:52:58", meta.SourceDateTimeOriginal, 0, 2.88, 0.0303030303, 100, 1, 100, 75},
		{"Samsung_Digimax_i50_MP3.jpg", "Samsung Techwin", "<Digimax i50 MP3, Samsung #1 MP3>", "", "2006-08-15 17:50:57", meta.SourceDateTimeOriginal, 6.6, 3.5, 1.0 / 6, 150, 1, 100, 75},
		{"Sony_HDR-HC3.jpg", "SONY", "HDR-HC3", "", "2007-06-15 04:42:32", meta.SourceDateTimeOriginal, 5.1, 4, 1.0 / 60, 0, 1, 100, 64},
		{"corrupted.jpg", "OLYMPUS IMAGING CORP.", "u1020,S1020", "", "2015-09-08 11:02:17", meta.SourceDateTimeOriginal, 6.6, 3.5, 0.004, 80, 1, 3648, 2736},
		{"long_description.jpg", "", "", "", "2008-07-31 10:50:00", meta.SourceDateTime, 0, 0, 0, 0, 1, 100, 73},
		{"hdr/iphone_hdr_YES.jpg", "Apple", "iPhone 6", "iPhone 6 back camera 4.15mm f/2.2", "2015-04-10 20:12:23", meta.SourceDateTimeOriginal, 4.15, 2.2, 0.025, 32, 1, 3264, 2448},
		{"hdr/canon_hdr_NO.jpg", "Canon", "Canon PowerShot SX60 HS", "", "2015-02-09 22:47:44", meta.SourceDateTimeOriginal, 57.01900238, 5.6, 1.0 / 60, 800, 6, 2048, 1536},
		{"tests/87_OSError.jpg", "NIKON CORPORATION", "NIKON D70s", "18.0-70.0 mm f/3.5-4.5", "2005-12-14 14:39:47", meta.SourceDateTimeOriginal, 60, 29, 1.0 / 60, 1000, 1, 1488, 2240},
		{"tests/67-0_length_string.jpg", "samsung", "SM-G930F", "", "2016-09-12 10:05:31", meta.SourceDateTime, 0, 0, 0, 0, 1, 4032, 2012},
		{"exif-org/nikon-e950.jpg", "NIKON", "E950", "", "2001-04-06 11:51:40", meta.SourceDateTimeOriginal, 12.8, 5.5, 0.01298701299, 80, 1, 1600, 1200},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			m, err := readFile(t, filepath.Join(dir, filepath.FromSlash(tc.file)))
			if errors.Is(err, meta.ErrNoEXIF) {
				t.Fatalf("unexpected ErrNoEXIF: %v", err)
			}
			if err != nil {
				t.Logf("partial read: %v", err)
			}
			if m.Make != tc.make || m.Model != tc.model {
				t.Errorf("Make/Model = %q/%q, want %q/%q", m.Make, m.Model, tc.make, tc.model)
			}
			if tc.lens != "" && m.Lens != tc.lens {
				t.Errorf("Lens = %q, want %q", m.Lens, tc.lens)
			}
			var want time.Time
			if tc.taken != "" {
				want = utc(tc.taken)
			}
			if !m.TakenAt.Equal(want) || m.TakenAt.Location() != time.UTC || m.TakenAtSource != tc.source {
				t.Errorf("TakenAt = %v (%q), want %v (%q)", m.TakenAt, m.TakenAtSource, want, tc.source)
			}
			// 0 in the table means "not checked" for these exposure values.
			for _, f := range []struct {
				name      string
				got, want float64
			}{{"FocalLengthMM", m.FocalLengthMM, tc.focal}, {"FNumber", m.FNumber, tc.fnum}, {"ExposureSec", m.ExposureSec, tc.expo}} {
				if f.want != 0 && !near(f.got, f.want) {
					t.Errorf("%s = %v, want %v", f.name, f.got, f.want)
				}
			}
			if tc.iso != 0 && m.ISO != tc.iso {
				t.Errorf("ISO = %d, want %d", m.ISO, tc.iso)
			}
			if m.Orientation != tc.orient {
				t.Errorf("Orientation = %d, want %d", m.Orientation, tc.orient)
			}
			if m.PixelWidth != tc.pw || m.PixelHeight != tc.ph {
				t.Errorf("Pixel dims = %dx%d, want %dx%d", m.PixelWidth, m.PixelHeight, tc.pw, tc.ph)
			}
		})
	}
}

// TestReadGPS covers every file of ianare/jpg/gps plus other GPS cases;
// expected values from `exiftool -n -GPSLatitude -GPSLongitude`.
func TestReadGPS(t *testing.T) {
	dir := testenv.SharedPath(t, "fixtures", "exif", "ianare", "jpg")
	want := map[string]*meta.GPS{
		"gps/DSCN0010.jpg":            {43.4674483333333, 11.8851266666639},
		"gps/DSCN0012.jpg":            {43.4671566666639, 11.8853949999972},
		"gps/DSCN0021.jpg":            {43.4670816666639, 11.8845383333306},
		"gps/DSCN0025.jpg":            {43.468365, 11.8816349999722},
		"gps/DSCN0027.jpg":            {43.4684416666667, 11.881515},
		"gps/DSCN0029.jpg":            {43.4682433333306, 11.8801716666389},
		"gps/DSCN0038.jpg":            {43.4672549999972, 11.8792133333333},
		"gps/DSCN0040.jpg":            {43.4660116666389, 11.8791116666389},
		"gps/DSCN0042.jpg":            {43.464455, 11.8814783333333},
		"mobile/HMD_Nokia_8.3_5G.jpg": {60.1467055555556, 24.9067722222222},
		"mobile/jolla.jpg":            nil, // GPS IFD without coordinates
		"tests/45-gps_ifd.jpg":        nil,
		"Canon_40D.jpg":               nil,
	}
	gpsFiles, err := filepath.Glob(filepath.Join(dir, "gps", "*.jpg"))
	if err != nil || len(gpsFiles) == 0 {
		t.Fatalf("no files in gps/: %v", err)
	}
	for _, p := range gpsFiles {
		if _, ok := want["gps/"+filepath.Base(p)]; !ok {
			t.Errorf("gps/%s has no expected position in the table", filepath.Base(p))
		}
	}
	for file, w := range want {
		t.Run(file, func(t *testing.T) {
			m, _ := readFile(t, filepath.Join(dir, filepath.FromSlash(file)))
			switch {
			case w == nil && m.GPS != nil:
				t.Errorf("GPS = %+v, want none", *m.GPS)
			case w != nil && m.GPS == nil:
				t.Errorf("GPS = nil, want %+v", *w)
			case w != nil && (math.Abs(m.GPS.Lat-w.Lat) > 1e-6 || math.Abs(m.GPS.Lon-w.Lon) > 1e-6):
				t.Errorf("GPS = %+v, want %+v", *m.GPS, *w)
			}
		})
	}
}

// TestReadAllFixtures feeds every file of the EXIF fixtures, damaged ones
// included, to Read: none may panic or take more than 5 s.
func TestReadAllFixtures(t *testing.T) {
	root := testenv.SharedPath(t, "fixtures", "exif")
	n := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		rel, _ := filepath.Rel(root, path)
		start := time.Now()
		m, rerr := readFile(t, path)
		if m.Orientation < 1 || m.Orientation > 8 {
			t.Errorf("%s: Orientation %d outside 1..8", rel, m.Orientation)
		}
		t.Logf("%-50s %6v make=%q date=%v err=%v", rel, time.Since(start).Round(time.Microsecond), m.Make, m.TakenAt.Format(time.DateTime), rerr)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 100 {
		t.Errorf("walked only %d files; fixtures incomplete?", n)
	}
}

func TestReadHolidays(t *testing.T) {
	dir := testenv.Holidays(t)
	tests := []struct {
		file, make, model, taken string
		orientation              int
	}{
		// Orientation 8 only in IFD1 (the thumbnail's directory); the main
		// image has none (`exiftool -IFD0:Orientation` is empty), so 1.
		{"100001.jpg", "Panasonic", "DMC-FX33", "2007-11-14 10:08:27", 1},
		{"102202.jpg", "Panasonic", "DMC-FX9", "2006-08-04 14:52:10", 8},
		{"101001.jpg", "Panasonic", "DMC-FX33", "2007-12-25 00:02:46", 6},
		{"102201.jpg", "Canon", "Canon PowerShot A510", "2007-08-13 10:51:17", 6},
		{"101401.jpg", "Canon", "Canon PowerShot S1 IS", "2006-12-05 16:45:55", 1},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			m, err := readFile(t, filepath.Join(dir, tc.file))
			if err != nil {
				t.Errorf("Read: %v", err)
			}
			if m.Make != tc.make || m.Model != tc.model || !m.TakenAt.Equal(utc(tc.taken)) || m.Orientation != tc.orientation {
				t.Errorf("got %q %q %v orientation %d, want %q %q %s orientation %d",
					m.Make, m.Model, m.TakenAt, m.Orientation, tc.make, tc.model, tc.taken, tc.orientation)
			}
		})
	}
	// 100601.jpg carries an EXIF segment with an empty IFD0 (GIMP): no tags
	// for exiftool either, so it counts as no EXIF.
	if _, err := readFile(t, filepath.Join(dir, "100601.jpg")); !errors.Is(err, meta.ErrNoEXIF) {
		t.Errorf("100601.jpg: err = %v, want ErrNoEXIF", err)
	}
}

// --- synthetic EXIF ---------------------------------------------------

type field struct {
	id, typ uint16
	count   uint32
	data    []byte
	sub     ifd // when set, a LONG pointer to this directory
}

type ifd []field

func ascii(id uint16, s string) field {
	return field{id: id, typ: 2, count: uint32(len(s) + 1), data: append([]byte(s), 0)}
}

func short(id uint16, v uint16) field {
	return field{id: id, typ: 3, count: 1, data: binary.LittleEndian.AppendUint16(nil, v)}
}

func rationals(id uint16, v ...uint32) field {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, x)
	}
	return field{id: id, typ: 5, count: uint32(len(v) / 2), data: b}
}

func pointer(id uint16, d ifd) field { return field{id: id, typ: 4, count: 1, sub: d} }

// encodeTIFF lays out a little-endian TIFF with root as IFD0.
func encodeTIFF(root ifd) []byte {
	buf := []byte("II*\x00\x08\x00\x00\x00")
	var write func(d ifd) uint32
	write = func(d ifd) uint32 {
		off := len(buf)
		buf = append(buf, make([]byte, 2+12*len(d)+4)...)
		binary.LittleEndian.PutUint16(buf[off:], uint16(len(d)))
		for i, f := range d {
			e := off + 2 + 12*i
			binary.LittleEndian.PutUint16(buf[e:], f.id)
			binary.LittleEndian.PutUint16(buf[e+2:], f.typ)
			binary.LittleEndian.PutUint32(buf[e+4:], f.count)
			switch {
			case f.sub != nil:
				sub := write(f.sub) // appends: take buf[e+8:] only afterwards
				binary.LittleEndian.PutUint32(buf[e+8:], sub)
			case len(f.data) <= 4:
				copy(buf[e+8:e+12], f.data)
			default:
				binary.LittleEndian.PutUint32(buf[e+8:], uint32(len(buf)))
				buf = append(buf, f.data...)
				if len(buf)%2 == 1 {
					buf = append(buf, 0)
				}
			}
		}
		return uint32(off)
	}
	write(root)
	return buf
}

// jpegWithEXIF wraps a TIFF block in an APP1 segment of a real JPEG, after
// an XMP APP1 to check that Read looks past it.
func jpegWithEXIF(t *testing.T, tiff []byte) []byte {
	t.Helper()
	var img bytes.Buffer
	if err := jpeg.Encode(&img, image.NewGray(image.Rect(0, 0, 8, 8)), nil); err != nil {
		t.Fatal(err)
	}
	segment := func(payload []byte) []byte {
		s := []byte{0xFF, 0xE1, 0, 0}
		binary.BigEndian.PutUint16(s[2:], uint16(len(payload)+2))
		return append(s, payload...)
	}
	out := []byte{0xFF, 0xD8}
	out = append(out, segment([]byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta/>"))...)
	out = append(out, segment(append([]byte("Exif\x00\x00"), tiff...))...)
	return append(out, img.Bytes()[2:]...)
}

func pngWithEXIF(t *testing.T, tiff []byte) []byte {
	t.Helper()
	var img bytes.Buffer
	if err := png.Encode(&img, image.NewGray(image.Rect(0, 0, 2, 2))); err != nil {
		t.Fatal(err)
	}
	b := img.Bytes()
	ihdrEnd := 8 + 8 + 13 + 4
	chunk := binary.BigEndian.AppendUint32(nil, uint32(len(tiff)))
	body := append([]byte("eXIf"), tiff...)
	chunk = append(chunk, body...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(body))
	return append(append(bytes.Clone(b[:ihdrEnd]), chunk...), b[ihdrEnd:]...)
}

func webpWithEXIF(tiff []byte) []byte {
	var chunks []byte
	add := func(fourcc string, data []byte) {
		chunks = append(chunks, fourcc...)
		chunks = binary.LittleEndian.AppendUint32(chunks, uint32(len(data)))
		chunks = append(chunks, data...)
		if len(data)%2 == 1 {
			chunks = append(chunks, 0)
		}
	}
	add("VP8X", []byte{0x08, 0, 0, 0, 1, 0, 0, 1, 0, 0})
	add("VP8L", []byte{0x2f, 0x01, 0x40, 0x00, 0x00}) // content irrelevant to Read
	add("EXIF", tiff)
	out := []byte("RIFF")
	out = binary.LittleEndian.AppendUint32(out, uint32(4+len(chunks)))
	return append(append(out, "WEBP"...), chunks...)
}

func TestReadSynthetic(t *testing.T) {
	gpsIFD := func(latRef string, lat []uint32, lonRef string, lon []uint32) ifd {
		d := ifd{}
		if latRef != "" {
			d = append(d, ascii(0x1, latRef))
		}
		d = append(d, rationals(0x2, lat...))
		if lonRef != "" {
			d = append(d, ascii(0x3, lonRef))
		}
		return append(d, rationals(0x4, lon...))
	}
	base := func(dto string, gps ifd, extra ...field) []byte {
		exifIFD := ifd{ascii(0x9003, dto), rationals(0x920A, 50, 1)}
		root := ifd{ascii(0x010F, "  Maker\x00"), ascii(0x0110, "Model X  "), short(0x0112, 6), ascii(0x0132, "2001:02:03 04:05:06"), pointer(0x8769, exifIFD)}
		if gps != nil {
			root = append(root, pointer(0x8825, gps))
		}
		return encodeTIFF(append(root, extra...))
	}
	tests := []struct {
		name      string
		data      []byte
		taken     string
		source    meta.DateSource
		gps       *meta.GPS
		malformed bool
	}{
		{"jpeg after XMP", jpegWithEXIF(t, base("2019:05:04 13:02:01", nil)), "2019-05-04 13:02:01", meta.SourceDateTimeOriginal, nil, false},
		{"png eXIf", pngWithEXIF(t, base("2019:05:04 13:02:01", nil)), "2019-05-04 13:02:01", meta.SourceDateTimeOriginal, nil, false},
		{"webp EXIF", webpWithEXIF(base("2019:05:04 13:02:01", nil)), "2019-05-04 13:02:01", meta.SourceDateTimeOriginal, nil, false},
		{"bare tiff", base("2019:05:04 13:02:01", nil), "2019-05-04 13:02:01", meta.SourceDateTimeOriginal, nil, false},
		{"zero date falls back", base("0000:00:00 00:00:00", nil), "2001-02-03 04:05:06", meta.SourceDateTime, nil, false},
		{"blank date falls back", base("    :  :     :  :  ", nil), "2001-02-03 04:05:06", meta.SourceDateTime, nil, false},
		{"garbage date falls back with error", base("yesterday afternoon", nil), "2001-02-03 04:05:06", meta.SourceDateTime, nil, true},
		{"dashes and zone suffix", base("2019-05-04 13:02:01+02:00", nil), "2019-05-04 13:02:01", meta.SourceDateTimeOriginal, nil, false},
		{"south west", base("2019:05:04 13:02:01", gpsIFD("S", []uint32{33, 1, 51, 1, 3000, 100}, "W", []uint32{70, 1, 30, 1, 0, 1})),
			"2019-05-04 13:02:01", meta.SourceDateTimeOriginal, &meta.GPS{Lat: -(33 + 51.0/60 + 30.0/3600), Lon: -70.5}, false},
		{"decimal degrees only, no refs", base("2019:05:04 13:02:01", gpsIFD("", []uint32{4512345, 100000}, "", []uint32{750, 100})),
			"2019-05-04 13:02:01", meta.SourceDateTimeOriginal, &meta.GPS{Lat: 45.12345, Lon: 7.5}, false},
		{"no fix placeholder 0/0", base("2019:05:04 13:02:01", gpsIFD("N", []uint32{0, 0, 0, 0, 0, 0}, "E", []uint32{0, 0, 0, 0, 0, 0})),
			"2019-05-04 13:02:01", meta.SourceDateTimeOriginal, nil, false},
		{"null island", base("2019:05:04 13:02:01", gpsIFD("N", []uint32{0, 1, 0, 1, 0, 1}, "E", []uint32{0, 1, 0, 1, 0, 1})),
			"2019-05-04 13:02:01", meta.SourceDateTimeOriginal, nil, false},
		{"latitude out of range", base("2019:05:04 13:02:01", gpsIFD("N", []uint32{123, 1, 0, 1, 0, 1}, "E", []uint32{10, 1, 0, 1, 0, 1})),
			"2019-05-04 13:02:01", meta.SourceDateTimeOriginal, nil, true},
		// A Make whose value offset points past the end: the tag is lost
		// but the rest of IFD0 (Model, Orientation, ...) must survive.
		{"tag value past the end", base("2019:05:04 13:02:01", nil, field{id: 0x013B, typ: 2, count: 4000, data: make([]byte, 4)}),
			"2019-05-04 13:02:01", meta.SourceDateTimeOriginal, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := readBytes(t, tc.name, tc.data)
			if tc.malformed != errors.Is(err, meta.ErrMalformed) || errors.Is(err, meta.ErrNoEXIF) {
				t.Errorf("err = %v, malformed expected: %v", err, tc.malformed)
			}
			if m.Make != "Maker" || m.Model != "Model X" || m.Orientation != 6 || m.FocalLengthMM != 50 {
				t.Errorf("Make %q Model %q Orientation %d Focal %v, want Maker, Model X, 6, 50", m.Make, m.Model, m.Orientation, m.FocalLengthMM)
			}
			if !m.TakenAt.Equal(utc(tc.taken)) || m.TakenAtSource != tc.source {
				t.Errorf("TakenAt %v (%q), want %s (%q)", m.TakenAt, m.TakenAtSource, tc.taken, tc.source)
			}
			switch {
			case (m.GPS == nil) != (tc.gps == nil):
				t.Errorf("GPS = %v, want %v", m.GPS, tc.gps)
			case m.GPS != nil && (math.Abs(m.GPS.Lat-tc.gps.Lat) > 1e-9 || math.Abs(m.GPS.Lon-tc.gps.Lon) > 1e-9):
				t.Errorf("GPS = %+v, want %+v", *m.GPS, *tc.gps)
			}
		})
	}
}

func TestReadNoEXIF(t *testing.T) {
	var plainJPEG, plainPNG bytes.Buffer
	if err := jpeg.Encode(&plainJPEG, image.NewGray(image.Rect(0, 0, 8, 8)), nil); err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(&plainPNG, image.NewGray(image.Rect(0, 0, 8, 8))); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"jpeg", plainJPEG.Bytes()},
		{"png", plainPNG.Bytes()},
		{"gif", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;")},
		{"empty", nil},
		{"text", []byte("just some text, not an image")},
		{"truncated jpeg header", []byte{0xFF, 0xD8, 0xFF}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := readBytes(t, tc.name, tc.data)
			if !errors.Is(err, meta.ErrNoEXIF) {
				t.Errorf("err = %v, want ErrNoEXIF", err)
			}
			if m.Orientation != 1 || m.Make != "" || !m.TakenAt.IsZero() {
				t.Errorf("Meta = %+v, want defaults", m)
			}
		})
	}
}

// TestReadHostile checks crafted structures that hang or crash naive
// parsers: IFD chains that loop, entries whose count×size overflows, and
// directories that claim more entries than the block holds.
func TestReadHostile(t *testing.T) {
	loop := encodeTIFF(ifd{ascii(0x010F, "Maker"), short(0x0112, 3)})
	// IFD0 at 8 → IFD1 appended after it → back to IFD0.
	ifd1 := uint32(len(loop))
	loop = append(loop, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 1, 0, 0, 0, 8, 0, 0, 0)
	binary.LittleEndian.PutUint32(loop[8+2+12*2:], ifd1)

	overflow := encodeTIFF(ifd{ascii(0x010F, "Maker"), short(0x0112, 3),
		{id: 0x0111, typ: 4, count: 0x40000001, data: []byte{1, 2, 3, 4}}})

	tooMany := encodeTIFF(ifd{ascii(0x010F, "Maker"), short(0x0112, 3)})
	binary.LittleEndian.PutUint16(tooMany[8:], 5000)

	tests := []struct {
		name      string
		data      []byte
		wantMake  string
		malformed bool
	}{
		{"IFD chain loop", jpegWithEXIF(t, loop), "Maker", false},
		{"count overflow", jpegWithEXIF(t, overflow), "Maker", true},
		{"too many entries", jpegWithEXIF(t, tooMany), "Maker", true},
		{"bad TIFF header", jpegWithEXIF(t, []byte("XX*\x00\x08\x00\x00\x00")), "", true},
		{"IFD0 past the end", jpegWithEXIF(t, []byte("II*\x00\xff\x00\x00\x00")), "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := readBytes(t, tc.name, tc.data)
			if errors.Is(err, meta.ErrMalformed) != tc.malformed {
				t.Errorf("err = %v, malformed expected: %v", err, tc.malformed)
			}
			if m.Make != tc.wantMake {
				t.Errorf("Make = %q, want %q", m.Make, tc.wantMake)
			}
			if tc.wantMake != "" && m.Orientation != 3 {
				t.Errorf("Orientation = %d, want 3", m.Orientation)
			}
		})
	}
}

// TestReadDamaged truncates and corrupts real files and random data: Read
// must return (anything) without panicking or hanging.
func TestReadDamaged(t *testing.T) {
	dir := testenv.SharedPath(t, "fixtures", "exif", "ianare", "jpg")
	rng := rand.New(rand.NewPCG(1, 2))
	for _, name := range []string{"Canon_40D.jpg", "gps/DSCN0010.jpg", "tests/42_IndexError.jpg"} {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		exifEnd := min(len(data), 64<<10)
		for cut := 0; cut < exifEnd; cut += 1 + cut/8 {
			readBytes(t, fmt.Sprintf("%s cut at %d", name, cut), data[:cut])
		}
		for i := 0; i < 300; i++ {
			bad := bytes.Clone(data[:exifEnd])
			for k := 0; k < 1+rng.IntN(8); k++ {
				bad[rng.IntN(len(bad))] = byte(rng.Uint32())
			}
			m, _ := readBytes(t, fmt.Sprintf("%s mutation %d", name, i), bad)
			if m.Orientation < 1 || m.Orientation > 8 {
				t.Fatalf("%s mutation %d: Orientation %d", name, i, m.Orientation)
			}
		}
	}
	for i := 0; i < 200; i++ {
		junk := make([]byte, rng.IntN(4096))
		for j := range junk {
			junk[j] = byte(rng.Uint32())
		}
		switch i % 3 {
		case 1:
			copy(junk, "\xff\xd8\xff\xe1\x10\x00Exif\x00\x00II*\x00\x08\x00\x00\x00")
		case 2:
			copy(junk, "MM\x00*\x00\x00\x00\x08")
		}
		readBytes(t, fmt.Sprintf("junk %d", i), junk)
	}
}

func FuzzRead(f *testing.F) {
	f.Add(encodeTIFF(ifd{ascii(0x010F, "Maker"), short(0x0112, 6)}))
	f.Add([]byte("\xff\xd8\xff\xe1\x00\x20Exif\x00\x00II*\x00\x08\x00\x00\x00\x01\x00\x0f\x01\x02\x00\x04\x00\x00\x00abc\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, _ := meta.Read(bytes.NewReader(data))
		if m.Orientation < 1 || m.Orientation > 8 {
			t.Fatalf("Orientation %d", m.Orientation)
		}
	})
}
