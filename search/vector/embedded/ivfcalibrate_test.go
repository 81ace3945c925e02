package embedded

import (
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/simili/simili/library/facet"
	"github.com/simili/simili/search/vector"
)

func TestProbesFor(t *testing.T) {
	tests := []struct {
		name  string
		hists [][]int
		ref   int
		want  int
	}{
		{"all in the nearest list", [][]int{{10, 0, 0, 0}, {10, 0, 0, 0}}, 4, calibrateMin},
		{"spread over three", [][]int{{5, 3, 2, 0, 0}, {6, 4, 0, 0, 0}}, 5, 3},
		// 3 of 1000 in rank 5 are exactly the 0.3% calibrateRecall forgives.
		{"three stragglers forgiven", [][]int{{990, 0, 4, 3, 0, 3}}, 6, 4},
		{"four stragglers", [][]int{{990, 0, 4, 2, 0, 4}}, 6, 6},
		{"nothing found", [][]int{{0, 0, 0}}, 3, calibrateMin},
		{"need beyond the reference", [][]int{{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}}, 10, 10},
		// Entry ref counts neighbours no probe reaches; they still count.
		{"unreachable count against recall", [][]int{{996, 0, 0, 4}}, 3, 3},
		{"unreachable within what is forgiven", [][]int{{997, 0, 0, 3}}, 3, calibrateMin},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := probesFor(tt.hists, tt.ref); got != tt.want {
				t.Errorf("probesFor = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestGroupsHolding(t *testing.T) {
	// Four groups of two lists: list l is in group l/2. Each query ranks
	// the groups in its own order.
	groupOf := []int32{0, 0, 1, 1, 2, 2, 3, 3}
	const nc = 4
	tests := []struct {
		name  string
		found [][]int32 // per query, the lists holding its neighbours
		grank []int32   // per query, each group's rank
		want  int
	}{
		{"all in the nearest group", [][]int32{{0, 1}, {6, 7}}, []int32{0, 1, 2, 3, 3, 2, 1, 0}, min(nc, calibrateMinGroups)},
		{"spread to the last group", [][]int32{{0, 7}}, []int32{0, 1, 2, 3}, nc},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := groupsHolding(tt.found, tt.grank, groupOf, nc); got != tt.want {
				t.Errorf("groupsHolding = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestListRanks(t *testing.T) {
	// Six lists in three groups of two; the query ranks groups 2, 0, 1
	// and lists (its reference order) 4, 0, 5, 2, 1.
	groupOf := []int32{0, 0, 1, 1, 2, 2}
	grank := []int32{1, 2, 0}
	order := []int32{4, 0, 5, 2, 1}
	found := [][]int32{{4, 0, 5, 2, 1, 3}}
	tests := []struct {
		ng   int
		want []int
	}{
		// All groups: ranks follow the order; list 3 is beyond it.
		{3, []int{1, 1, 1, 1, 1, 1}},
		// Groups 2 and 0: lists 4, 0, 5, 1 rank 0–3; 2 and 3 unreachable.
		{2, []int{1, 1, 1, 1, 0, 2}},
		// Group 2 alone: lists 4 and 5.
		{1, []int{1, 1, 0, 0, 0, 4}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.ng, " groups"), func(t *testing.T) {
			got := listRanks(found, order, grank, groupOf, len(order), 3, tt.ng)
			if !slices.Equal(got[0], tt.want) {
				t.Errorf("listRanks = %v, want %v", got[0], tt.want)
			}
		})
	}
}

func TestCalibrationForK(t *testing.T) {
	c := calibration{probe10: 4, probe100: 40}
	for _, tt := range []struct{ k, want int }{{1, 4}, {10, 4}, {55, 22}, {100, 40}, {500, 40}} {
		if got := c.forK(tt.k); got != tt.want {
			t.Errorf("forK(%d) = %d, want %d", tt.k, got, tt.want)
		}
	}
}

func TestRankedTopKeepsBest(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	top := rankedTop{k: 10}
	var all []rankedScore
	for i := range 500 {
		e := rankedScore{score: float32(rng.Intn(200)), list: int32(i)}
		all = append(all, e)
		top.push(e.score, e.list)
	}
	// Best first; among equal scores, the first pushed (stable).
	slices.SortStableFunc(all, func(a, b rankedScore) int { return cmp.Compare(b.score, a.score) })
	if got := top.sorted(); !slices.Equal(got, all[:10]) {
		t.Errorf("top 10 %v, want %v", got, all[:10])
	}
}

// TestIVFCalibratedRecall checks the measured probe count and slack on
// held-out queries: they must reach the recall the store promises while
// probing far fewer lists than the flat defaultProbeFrac share did, and
// the slack must read fewer than the count.
func TestIVFCalibratedRecall(t *testing.T) {
	s, _ := openIVF(t, t.TempDir(), 30_000)
	// Trained on all of them: the fill's background training point
	// varies from run to run, and recall with it.
	s.wmu.Lock()
	s.rebuildIVF()
	s.wmu.Unlock()
	settleIVF(s)
	s.mu.RLock()
	v := s.idx.ivf
	cal, nlist := v.cal, v.nlist
	s.mu.RUnlock()
	if cal.probe10 < calibrateMin || cal.probe100 < cal.probe10 || float64(cal.probe100) > exactAboveProbe*float64(nlist) {
		t.Fatalf("calibration %+v for %d lists", cal, nlist)
	}
	t.Logf("%d lists in %d groups: calibration %+v", nlist, len(v.groups)-1, cal)
	queries := ivfRecs(30_300, 1, 7)[30_000:]
	ctx := context.Background()
	for _, k := range []int{10, 100} {
		var recall float64
		read, capped := 0, 0
		for _, q := range queries {
			s.mu.RLock()
			p := v.probes(0, k, 1)
			wq := quantize(q.Vector)
			read += len(p.trim(v.nearestLists(q.Vector, &wq, p.lists, v.groupsFor(k, p.lists))))
			capped += p.lists
			s.mu.RUnlock()
			got, err := s.Search(ctx, q.Vector, k, facet.Filter{}, vector.SearchOptions{})
			if err != nil {
				t.Fatal(err)
			}
			recall += recallOf(got, exactSearch(t, s, q.Vector, k, facet.Filter{}))
		}
		if recall /= float64(len(queries)); recall < 0.99 {
			t.Errorf("recall@%d %.4f with calibrated probes %+v, want ≥ 0.99", k, recall, cal)
		}
		t.Logf("top %d: read %d lists where the count is %d, recall %.4f", k, read, capped, recall)
		// The slack (probeslack.go) must spare most queries the count
		// their hardest sampled neighbours need: 2667 of 6000 lists when
		// measured.
		if k == 10 && float64(read) > 0.6*float64(capped) {
			t.Errorf("top 10 read %d lists, the slack %v spared few of the count's %d", read, cal.slack10, capped)
		}
	}
}

// TestIVFCalibrationPersists: a saved calibration is loaded as is, and a
// file from before the slack (SMLVIVF5), the calibration's record count
// (SMLVIVF4), the coarse group count (SMLVIVF3) or calibration (SMLVIVF2)
// loads uncalibrated and the store then measures it.
func TestIVFCalibrationPersists(t *testing.T) {
	tests := []struct {
		name       string
		magic      string // rewrite the file as this version
		keep       int    // calibration u32s that version holds
		calibrated bool   // the version's calibration is used
	}{
		{"current file", "", 0, true},
		{"SMLVIVF5 file", ivfMagicV5, 6, false},
		{"SMLVIVF4 file", ivfMagicV4, 4, false},
		{"SMLVIVF3 file", ivfMagicV3, 2, false},
		{"SMLVIVF2 file", ivfMagicV2, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s, _ := openIVF(t, dir, 21_000)
			want, n := s.idx.ivf.cal, s.idx.len()
			if want.at > n || n >= recalibrateAt(want.at) {
				t.Fatalf("calibration %+v, stale for %d records", want, n)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, ivfFile)
			if tt.magic != "" {
				downgradeIVF(t, path, tt.magic, tt.keep)
			}
			s2 := mustOpen(t, dir, ivfModel)
			v, err := readIVF(path, s2.gen, n, ivfModel.Dim)
			if err != nil {
				t.Fatal(err)
			}
			read := want
			if !tt.calibrated {
				read = calibration{}
			}
			if v.cal != read {
				t.Errorf("%s read with calibration %+v, want %+v", tt.name, v.cal, read)
			}
			settleIVF(s2)
			s2.wmu.Lock()
			got := s2.idx.ivf.cal
			again := s2.idx.ivf.calibrate(s2.idx)
			s2.wmu.Unlock()
			// A calibration is kept unless the store outgrew it; an old
			// file's is measured afresh over the reopened slot order.
			after := read
			if read == (calibration{}) || n >= recalibrateAt(read.at) {
				after = again
			}
			if got != after || got == (calibration{}) {
				t.Errorf("store calibration after reopening %+v, want %+v (measured again %+v, saved %+v)", got, after, again, want)
			}
		})
	}
}

// TestIVFRecalibratesAsItGrows: records absorbed after training crowd
// the lists, so the probe counts are measured again once the store has
// grown by a quarter since they were, and only then.
func TestIVFRecalibratesAsItGrows(t *testing.T) {
	const n = 30_000
	tests := []struct {
		name  string
		added int
		again bool
	}{
		{"a fifth more", n / 5, false},
		{"a third more", n / 3, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := openIVF(t, t.TempDir(), n)
			defer s.Close()
			s.wmu.Lock()
			s.calibrateIVF() // as of n records (the fill measured it earlier)
			before, built := s.idx.ivf.cal, s.idx.ivf.built
			s.wmu.Unlock()
			fresh := ivfRecs(tt.added, 100_000, 21)
			for lo := 0; lo < len(fresh); lo += 1000 {
				mustUpsert(t, s, fresh[lo:min(len(fresh), lo+1000)])
			}
			settleIVF(s)
			s.wmu.Lock()
			defer s.wmu.Unlock()
			v := s.idx.ivf
			if v.built != built {
				t.Fatalf("index retrained at %d records; the test wants absorbs", v.built)
			}
			total := n + tt.added
			switch {
			case !tt.again && v.cal != before:
				t.Errorf("calibration %+v after adding %d to %d records, want %+v kept", v.cal, tt.added, n, before)
			case tt.again && (v.cal.at < recalibrateAt(before.at) || v.cal.at > total || total >= recalibrateAt(v.cal.at)):
				// Measured in the background as the records came in.
				t.Errorf("calibration measured at %d records, store grew from %d to %d", v.cal.at, before.at, total)
			}
		})
	}
}

// downgradeIVF rewrites an index file as version magic, keeping the first
// keep of its calibration fields.
func downgradeIVF(t *testing.T, path, magic string, keep int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(b[:len(ivfMagic)]) != ivfMagic {
		t.Fatalf("magic %q", b[:len(ivfMagic)])
	}
	at := len(ivfMagic) + 8 + 4 + 8 + 4 + 4 + 8 // the calibration fields
	const calBytes = 4*4 + 8 + 2*4
	old := slices.Concat([]byte(magic), b[len(ivfMagic):at+4*keep], b[at+calBytes:len(b)-4])
	old = binary.LittleEndian.AppendUint32(old, crc32.Checksum(old, crcTable))
	if err := os.WriteFile(path, old, 0o644); err != nil {
		t.Fatal(err)
	}
}
