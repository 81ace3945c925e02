package desktop

import (
	"bytes"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
)

func tinyJPEG(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, 8, 8)), nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// heicHead is the start of an iPhone HEIC file: its ftyp box.
var heicHead = []byte("\x00\x00\x00\x20ftypheic\x00\x00\x00\x00mif1miafMiHBheic\x00\x00\x0c\xc7meta")

// TestDropAndOpenJudgeFilesByContent: the window accepts what the scanner
// reads, whatever the file is called (a HEIC, a photo without extension),
// and turns away a text file dressed up as a JPEG; the Open dialog's filter
// agrees.
func TestDropAndOpenJudgeFilesByContent(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name   string
		data   []byte
		accept bool
	}{
		{"IMG_0001.HEIC", heicHead, true},
		{"photo-without-extension", tinyJPEG(t), true},
		{"camera.avif", []byte("\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf"), true},
		{"holiday.jpg", []byte("not a picture at all"), false},
		{"clip.mp4", []byte("\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			be := newFakeBackend(10)
			u := newTestUI(t, be)
			path := filepath.Join(dir, tc.name)
			if err := os.WriteFile(path, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			uri := storage.NewFileURI(path)
			if got := (imageFiles{}).Matches(uri); got != tc.accept {
				t.Errorf("Open dialog filter = %v, want %v", got, tc.accept)
			}
			u.act(func() { u.handleDrop([]fyne.URI{uri}) })
			u.withUI(func() {
				searched := len(be.searches) == 1
				if searched != tc.accept {
					t.Errorf("drop searched %v (%v), want %v", searched, be.searches, tc.accept)
				}
				if !tc.accept && u.win.Canvas().Overlays().Top() == nil {
					t.Errorf("rejected without a message")
				}
			})
		})
	}
}
