//go:build !cgo || noheif

package imagefile

import (
	"fmt"
	"image"
)

const heifAvailable = false

// errNoHEIF is what a build without libheif reports for every HEIF or AVIF
// file, so the scan records it as unsupported with a reason users can act on.
var errNoHEIF = fmt.Errorf("HEIF support not built in (rebuild with cgo and libheif): %w", ErrUnsupported)

func heifConfig([]byte) (image.Config, error) { return image.Config{}, errNoHEIF }

func decodeHEIF([]byte, int, int) (image.Image, error) { return nil, errNoHEIF }
