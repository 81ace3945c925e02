package engine

import (
	"context"
	"fmt"
	"image"

	"github.com/disintegration/imaging"

	"github.com/simili/simili/library/scan"
)

// Preview reads a photo upright (EXIF orientation applied) and scales it to
// fit maxSide, for the detail pane. The original is opened read-only.
func (e *Engine) Preview(ctx context.Context, path string, maxSide int) (image.Image, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	img, _, err := scan.LoadUpright(path, 0, 0, 0)
	if err != nil {
		return nil, fmt.Errorf("preview: %w", err)
	}
	if b := img.Bounds(); maxSide > 0 && (b.Dx() > maxSide || b.Dy() > maxSide) {
		img = imaging.Fit(img, maxSide, maxSide, imaging.Linear)
	}
	return img, nil
}
