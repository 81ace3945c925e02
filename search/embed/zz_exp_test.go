package embed

import (
	"image"
	"testing"

	"github.com/disintegration/imaging"
)

func TestZZOrder(t *testing.T) {
	dir := "/work/shared/datasets/holidays-1024"
	e := openSqueezeNet(t, 0)
	files, group := holidaysGroups(t, dir)
	groups := make([]string, len(files))
	imgs := make([]image.Image, len(files))
	for i, f := range files {
		imgs[i] = holiday(t, f)
		groups[i] = group[f]
	}
	for _, fl := range []struct {
		n string
		f imaging.ResampleFilter
	}{{"Linear", imaging.Linear}, {"CatmullRom", imaging.CatmullRom}, {"Lanczos", imaging.Lanczos}, {"Box", imaging.Box}} {
		vecs := make([][]float32, len(imgs))
		for i, img := range imgs {
			// resize shorter side then crop
			b := img.Bounds()
			var r *image.NRGBA
			if b.Dx() < b.Dy() {
				r = imaging.Resize(img, 224, 0, fl.f)
			} else {
				r = imaging.Resize(img, 0, 224, fl.f)
			}
			buf := preprocess(r, e.Spec(), nil, fl.f)
			v, err := e.EmbedTensor(buf)
			if err != nil {
				t.Fatal(err)
			}
			vecs[i] = v
		}
		top1, mAP := retrieval(vecs, groups)
		t.Logf("resize-then-crop %s: top1 %.3f mAP %.3f", fl.n, top1, mAP)
	}
}
