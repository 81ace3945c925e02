package bench

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/simili/simili/search/vector"
	"github.com/simili/simili/search/vector/embedded"
)

func TestSyntheticPhotoIsDetailedAndDeterministic(t *testing.T) {
	a := SyntheticPhoto(320, 240, 7)
	b := SyntheticPhoto(320, 240, 7)
	c := SyntheticPhoto(320, 240, 8)
	same, differ := true, false
	var mean, sq float64
	for i := range a.Pix {
		same = same && a.Pix[i] == b.Pix[i]
		differ = differ || a.Pix[i] != c.Pix[i]
		v := float64(a.Pix[i])
		mean += v
		sq += v * v
	}
	n := float64(len(a.Pix))
	std := math.Sqrt(sq/n - (mean/n)*(mean/n))
	if !same || !differ {
		t.Fatalf("same seed identical: %v; other seed differs: %v", same, differ)
	}
	if std < 20 {
		t.Fatalf("pixel spread %.1f: too flat to stand for a photo", std)
	}
}

func TestClusteredVectorsAreUnitLength(t *testing.T) {
	v := ClusteredVectors(100, 16, 1)
	for i := 0; i < 100; i++ {
		var s float64
		for _, x := range v[i*16 : (i+1)*16] {
			s += float64(x) * float64(x)
		}
		if math.Abs(s-1) > 1e-4 {
			t.Fatalf("vector %d has squared norm %v", i, s)
		}
	}
}

func TestSearchMeasuresAnExactStore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	rows, err := Search(context.Background(), "embedded", func(_ context.Context, m vector.Model) (vector.Store, error) {
		return embedded.Open(dir, m)
	}, 3000, 32, 20, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Filter != "none" || rows[1].Filter != "10%" {
		t.Fatalf("rows = %+v", rows)
	}
	for _, r := range rows {
		// The embedded store is exact: anything below 1 is a bug in the
		// store or in this benchmark's ground truth.
		if r.RecallAt10 != 1 || r.P99Ms < r.P50Ms || r.N != 3000 || r.RawMB <= 0 {
			t.Fatalf("row = %+v", r)
		}
	}
}
