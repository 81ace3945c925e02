//go:build !cgo || noheif

package imagefile_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/simili/simili/internal/testenv"
	"github.com/simili/simili/library/imagefile"
)

// TestNoHEIFBuild: without libheif, HEIF and AVIF files are still
// recognised, and decoding them says plainly why it cannot.
func TestNoHEIFBuild(t *testing.T) {
	for _, fx := range testenv.FormatFixtures(t) {
		data, err := os.ReadFile(fx.Path)
		if err != nil {
			t.Fatal(err)
		}
		if f, ok := imagefile.Sniff(data); !ok || (f != imagefile.HEIF && f != imagefile.AVIF) {
			t.Errorf("%s: sniffed %q %v", fx.Path, f, ok)
		}
		for _, err := range []error{
			func() error { _, _, err := imagefile.Decode(data, 0); return err }(),
			func() error { _, _, err := imagefile.DecodeScaled(data, 300, 0); return err }(),
			func() error { _, _, err := imagefile.DecodeConfig(data); return err }(),
		} {
			if !errors.Is(err, imagefile.ErrUnsupported) || !strings.Contains(err.Error(), "HEIF support not built in") {
				t.Errorf("%s: %v, want ErrUnsupported saying HEIF support not built in", fx.Path, err)
			}
		}
	}
}
