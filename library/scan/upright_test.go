package scan

import (
	"image"
	"testing"
)

func TestShrinkKeepsShorterSideAtLeastMinSide(t *testing.T) {
	tests := []struct {
		w, h, min    int
		wantW, wantH int
	}{
		{4000, 3000, 320, 427, 320}, // landscape: height is the short side
		{3000, 4000, 320, 320, 427}, // portrait
		{400, 300, 320, 400, 300},   // less than 1.5× larger: left alone
		{1024, 768, 0, 1024, 768},   // 0: full size wanted
		{1024, 768, 224, 299, 224},
	}
	for _, tt := range tests {
		got := shrink(image.NewNRGBA(image.Rect(0, 0, tt.w, tt.h)), tt.min).Bounds()
		if got.Dx() != tt.wantW || got.Dy() != tt.wantH {
			t.Errorf("shrink %dx%d to %d = %dx%d, want %dx%d", tt.w, tt.h, tt.min, got.Dx(), got.Dy(), tt.wantW, tt.wantH)
		}
	}
}
