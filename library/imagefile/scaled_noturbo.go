//go:build !cgo || noturbo

package imagefile

import "image"

const turboAvailable = false

func decodeTurbo([]byte, int, int) (image.Image, error) { return nil, errTurbo }
