package imagefile_test

import (
	"errors"
	"image"
	"image/color"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/simili/simili/internal/testenv"
	"github.com/simili/simili/library/imagefile"
)

func TestCheckBlank(t *testing.T) {
	flat := func(noise int) image.Image {
		r := rand.New(rand.NewPCG(1, 2))
		img := image.NewNRGBA(image.Rect(0, 0, 400, 300))
		for i := range img.Pix {
			img.Pix[i] = uint8(128 + r.IntN(2*noise+1) - noise)
		}
		return img
	}
	gradient := image.NewNRGBA(image.Rect(0, 0, 400, 300))
	for y := 0; y < 300; y++ {
		for x := 0; x < 400; x++ {
			gradient.SetNRGBA(x, y, color.NRGBA{uint8(x / 2), uint8(y / 2), 90, 255})
		}
	}
	for _, tc := range []struct {
		name  string
		img   image.Image
		blank bool
	}{
		{"one colour", flat(0), true},
		{"grey with sensor noise", flat(4), true},
		{"empty", image.NewNRGBA(image.Rect(0, 0, 0, 0)), true},
		{"gradient", gradient, false},
		{"strong noise", flat(60), false},
	} {
		err := imagefile.CheckBlank(tc.img)
		if got := errors.Is(err, imagefile.ErrBlank); got != tc.blank {
			t.Errorf("%s: CheckBlank = %v, want blank %v", tc.name, err, tc.blank)
		}
	}
}

// TestHolidaysAreNotBlank: no real photo of the holidays set trips the
// blank check at the reduced size the scan decodes.
func TestHolidaysAreNotBlank(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(testenv.Holidays(t), "*.jpg"))
	if len(files) < 261 {
		t.Fatalf("found %d holidays photos, want 261", len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		img, _, err := imagefile.DecodeScaled(data, 336, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := imagefile.CheckBlank(img); err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
		}
	}
}

func TestSniffISOBMFF(t *testing.T) {
	ftyp := func(major string, compat ...string) []byte {
		b := []byte{0, 0, 0, byte(16 + 4*len(compat))}
		b = append(b, "ftyp"+major+"\x00\x00\x00\x00"...)
		for _, c := range compat {
			b = append(b, c...)
		}
		return append(b, "\x00\x00\x00\x08meta"...)
	}
	for _, tc := range []struct {
		name string
		head []byte
		want imagefile.Format
	}{
		{"iPhone HEIC", ftyp("heic", "mif1", "miaf", "MiHB", "heic"), imagefile.HEIF},
		{"generic HEIF", ftyp("mif1", "heic"), imagefile.HEIF},
		{"AVIF", ftyp("avif", "avif", "mif1", "miaf"), imagefile.AVIF},
		{"AVIF under a generic brand", ftyp("mif1", "miaf", "avif"), imagefile.AVIF},
		{"AVIF sequence", ftyp("avis", "avis", "msf1"), imagefile.AVIF},
		{"MP4 video", ftyp("isom", "iso2", "avc1", "mp41"), ""},
		{"QuickTime", ftyp("qt  ", "qt  "), ""},
		{"video listing a still brand", ftyp("mp42", "mif1"), ""},
		{"ftyp too short", []byte("\x00\x00\x00\x0cftypheic"), ""},
		{"not ftyp", []byte("\x00\x00\x00\x18moovheic\x00\x00\x00\x00mif1heic"), ""},
	} {
		head := tc.head[:min(len(tc.head), imagefile.SniffLen)]
		f, ok := imagefile.Sniff(head)
		if f != tc.want || ok != (tc.want != "") {
			t.Errorf("%s: Sniff = %q %v, want %q", tc.name, f, ok, tc.want)
		}
	}
}
