package embed

import (
	"encoding/csv"
	"image"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/disintegration/imaging"

	"github.com/simili/simili/internal/testenv"
)

// holidaysGroups reads groups.csv: file name -> scene group.
func holidaysGroups(t *testing.T, dir string) (files []string, group map[string]string) {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "groups.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("groups.csv: %v", err)
	}
	group = map[string]string{}
	for _, r := range rows[1:] {
		files = append(files, r[0])
		group[r[0]] = r[1]
	}
	return files, group
}

// retrieval scores leave-one-out search over the photos that have a partner:
// top-1 accuracy and mean average precision, as in shared/README.md.
func retrieval(vecs [][]float32, groups []string) (top1, mAP float64) {
	queries := 0
	for q := range vecs {
		positives := 0
		for i := range vecs {
			if i != q && groups[i] == groups[q] {
				positives++
			}
		}
		if positives == 0 {
			continue
		}
		queries++
		type hit struct {
			score float64
			same  bool
		}
		var hits []hit
		for i := range vecs {
			if i != q {
				hits = append(hits, hit{dot(vecs[q], vecs[i]), groups[i] == groups[q]})
			}
		}
		slices.SortFunc(hits, func(a, b hit) int {
			switch {
			case a.score > b.score:
				return -1
			case a.score < b.score:
				return 1
			}
			return 0
		})
		if hits[0].same {
			top1++
		}
		found, ap := 0, 0.0
		for rank, h := range hits {
			if h.same {
				found++
				ap += float64(found) / float64(rank+1)
			}
		}
		mAP += ap / float64(positives)
	}
	return top1 / float64(queries), mAP / float64(queries)
}

// TestResampleFilterRetrieval runs SqueezeNet over all of holidays-1024 and
// checks retrieval quality end to end against the reference figures of
// shared/README.md (top-1 0.822, mAP 0.811), for the resize filter in use
// and for CatmullRom, so the choice of filter stays measured.
func TestResampleFilterRetrieval(t *testing.T) {
	if testing.Short() {
		t.Skip("embeds all 261 holidays photos twice; skipped with -short")
	}
	dir := testenv.Holidays(t)
	e := openSqueezeNet(t, 0)
	files, group := holidaysGroups(t, dir)
	imgs := make([]image.Image, len(files))
	groups := make([]string, len(files))
	for i, f := range files {
		imgs[i] = holiday(t, f)
		groups[i] = group[f]
	}
	filters := []struct {
		name    string
		filter  imaging.ResampleFilter
		minMAP  float64
		minTop1 float64
	}{
		{"Linear (in use)", inputFilter(), 0.78, 0.80},
		{"CatmullRom", imaging.CatmullRom, 0.78, 0.80},
	}
	for _, f := range filters {
		t.Run(f.name, func(t *testing.T) {
			var prep, run time.Duration
			vecs := make([][]float32, len(imgs))
			var buf []float32
			for i, img := range imgs {
				start := time.Now()
				buf = preprocess(img, e.Spec(), buf, f.filter)
				prep += time.Since(start)
				start = time.Now()
				v, err := e.EmbedTensor(buf)
				if err != nil {
					t.Fatal(err)
				}
				run += time.Since(start)
				vecs[i] = v
			}
			top1, mAP := retrieval(vecs, groups)
			n := time.Duration(len(imgs))
			t.Logf("%s: top-1 %.3f, mAP %.3f; per photo: preprocess %v, run %v",
				f.name, top1, mAP, (prep / n).Round(10*time.Microsecond), (run / n).Round(10*time.Microsecond))
			if mAP < f.minMAP || top1 < f.minTop1 {
				t.Errorf("%s: top-1 %.3f, mAP %.3f below %.2f, %.2f", f.name, top1, mAP, f.minTop1, f.minMAP)
			}
		})
	}
}
