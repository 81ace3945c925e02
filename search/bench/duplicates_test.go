package bench

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// TestDuplicatesFindsWhatWasPlanted checks the benchmark's generated
// library end to end at a small size: every tier finds the groups the
// generator planted (timing is `simili bench`'s job, not a test's).
func TestDuplicatesFindsWhatWasPlanted(t *testing.T) {
	n := 20_000
	if testing.Short() {
		n = 3000
	}
	if s := os.Getenv("SIMILI_BENCH_DUPLICATES_N"); s != "" {
		n, _ = strconv.Atoi(s) // for profiling at other sizes
	}
	res, err := Duplicates(context.Background(), filepath.Join(t.TempDir(), "dups"), n, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d photos: %.2f s (%.2f s CPU); groups %v; planted %v", res.Photos, res.Seconds, res.CPUSeconds, res.Groups, res.Planted)
	// Bursts: one group each (an accidental neighbour in time may join or
	// add a few).
	if b, p := res.Groups["burst"], res.Planted["burst"]; b < p*95/100 || b > p*105/100 {
		t.Errorf("%d burst groups for %d planted bursts", b, p)
	}
	// Copies of one picture share a group, so there are fewer groups than
	// copies, but most copies go to distinct pictures.
	for _, tier := range []string{"identical", "same"} {
		if g, p := res.Groups[tier], res.Planted[tier]; g > p || g < p*7/10 {
			t.Errorf("%d %s groups for %d planted copies", g, tier, p)
		}
	}
}
