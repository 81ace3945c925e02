package duplicates

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/simili/simili/library/catalog"
	"github.com/simili/simili/library/signature"
)

// fixture builds a Library by hand: photos with signatures and vectors.
type fixture struct {
	lib  Library
	vecs map[string][]float32
	rng  *rand.Rand
}

func newFixture() *fixture {
	f := &fixture{vecs: map[string][]float32{}, rng: rand.New(rand.NewSource(7))}
	f.lib.Signatures = map[string]signature.Signature{}
	f.lib.Embeddings = func(_ context.Context, hs []string) (map[string][]float32, error) {
		out := map[string][]float32{}
		for _, h := range hs {
			if v, ok := f.vecs[h]; ok {
				out[h] = v
			}
		}
		return out, nil
	}
	return f
}

var t0 = time.Date(2020, 5, 4, 18, 39, 11, 0, time.UTC)

// picture returns a random signature and unit vector: one photograph.
func (f *fixture) picture() (signature.Signature, []float32) {
	s := signature.Signature{PHash: f.rng.Uint64(), Centre: [2]uint64{f.rng.Uint64(), f.rng.Uint64()}, Aspect: 4.0 / 3, Sharpness: 100}
	for i := range s.Fine {
		s.Fine[i] = f.rng.Uint64()
	}
	v := make([]float32, 8)
	v[f.rng.Intn(8)] = 1
	return s, v
}

// add catalogues a photo; hash "" makes a fresh one.
func (f *fixture) add(path, hash string, s signature.Signature, v []float32, edit func(*catalog.Photo)) catalog.Photo {
	if hash == "" {
		hash = fmt.Sprintf("h%d", len(f.lib.Photos)+1)
	}
	p := catalog.Photo{ID: int64(len(f.lib.Photos) + 1), Path: "/lib/" + path, Hash: hash, Format: "jpeg", Width: 4000, Height: 3000,
		TakenAt: t0, TakenAtSource: "DateTimeOriginal", Make: "Apple", Model: "iPhone 11 Pro", ModTime: t0.Add(time.Hour), Size: 3 << 20}
	if edit != nil {
		edit(&p)
	}
	f.lib.Photos = append(f.lib.Photos, p)
	f.lib.Signatures[hash] = s
	f.vecs[hash] = v
	return p
}

func flipBits(h uint64, n int) uint64 {
	for i := 0; i < n; i++ {
		h ^= 1 << uint(7*i%64)
	}
	return h
}

func names(g Group) string {
	var s []string
	for _, m := range g.Members {
		s = append(s, strings.TrimPrefix(m.Photo.Path, "/lib/"))
	}
	return strings.Join(s, " ")
}

func summary(groups []Group) []string {
	var out []string
	for _, g := range groups {
		out = append(out, g.Tier.String()+": "+names(g))
	}
	return out
}

func TestTiersKeepersAndReasons(t *testing.T) {
	f := newFixture()
	s, v := f.picture()
	f.add("a.jpg", "", s, v, nil)
	f.add("a-copy.jpg", "h1", s, v, nil) // same bytes as a.jpg
	// A half-size re-encode without EXIF: hashes a few bits off.
	small := s
	small.PHash = flipBits(s.PHash, 3)
	small.Fine[0] = flipBits(s.Fine[0], 4)
	f.add("a-small.jpg", "", small, v, func(p *catalog.Photo) {
		p.Width, p.Height, p.TakenAtSource, p.Make, p.Model = 2000, 1500, "mtime", "", ""
	})
	// The next frame of a burst, 2 s later: coarse hash close, fine not.
	frame, fv := f.picture()
	frame.PHash = flipBits(s.PHash, 4)
	f.add("a-next.jpg", "", frame, fv, func(p *catalog.Photo) { p.TakenAt = t0.Add(2 * time.Second) })
	// An unrelated photo an hour later: nothing.
	u, uv := f.picture()
	f.add("other.jpg", "", u, uv, func(p *catalog.Photo) { p.TakenAt = t0.Add(time.Hour) })

	groups, err := Find(context.Background(), f.lib, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"identical: a-copy.jpg a.jpg", "same: a-copy.jpg a-small.jpg", "burst: a-copy.jpg a-next.jpg"}
	if got := summary(groups); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("groups\n got %q\nwant %q", got, want)
	}
	// Identical copies tie on everything but the path.
	if r := groups[0].KeeperReason; r != "all criteria equal: first by path" {
		t.Errorf("identical keeper reason %q", r)
	}
	if r := groups[0].Members[1].Reason; !strings.HasPrefix(r, "same bytes as a-copy.jpg") {
		t.Errorf("identical member reason %q", r)
	}
	if r := groups[1].KeeperReason; !strings.HasPrefix(r, "most pixels (4000x3000, next 2000x1500)") {
		t.Errorf("same keeper reason %q", r)
	}
	if r := groups[1].Members[1].Reason; !strings.Contains(r, "pHash distance 3/64") || !strings.Contains(r, "fine detail 4/256") {
		t.Errorf("same member reason %q", r)
	}
	if r := groups[2].Members[1].Reason; !strings.Contains(r, "burst: same camera (Apple iPhone 11 Pro), 2 s apart") {
		t.Errorf("burst reason %q", r)
	}
	// Removing every non-keeper leaves one photo of each picture.
	removed := map[string]int{}
	for _, g := range groups {
		for _, p := range g.Others() {
			removed[p.Path]++
		}
	}
	if len(removed) != 3 || removed["/lib/a-copy.jpg"] != 0 || removed["/lib/other.jpg"] != 0 {
		t.Errorf("non-keepers %v", removed)
	}
	for p, n := range removed {
		if n != 1 {
			t.Errorf("%s is a non-keeper in %d groups", p, n)
		}
	}

	// One tier alone.
	groups, err = Find(context.Background(), f.lib, Options{Tiers: []Tier{Same}})
	if err != nil || len(groups) != 1 || groups[0].Tier != Same {
		t.Fatalf("same only: %q, %v", summary(groups), err)
	}
}

// TestSamePictureNeedsOneShot: equal hashes are not enough when the
// metadata says two shots, and a copy without metadata that matches two
// shots joins only one of them.
func TestSamePictureNeedsOneShot(t *testing.T) {
	f := newFixture()
	s, v := f.picture()
	f.add("shot1.jpg", "", s, v, nil)
	f.add("shot2.jpg", "", s, v, func(p *catalog.Photo) { p.TakenAt = t0.Add(20 * time.Second) })
	f.add("other-camera.jpg", "", s, v, func(p *catalog.Photo) { p.Make, p.Model = "Canon", "EOS 80D" })
	f.add("export.jpg", "", s, v, func(p *catalog.Photo) { p.TakenAtSource, p.Make, p.Model = "mtime", "", "" })
	groups, err := Find(context.Background(), f.lib, Options{Tiers: []Tier{Same}})
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 1 || len(groups[0].Members) != 2 {
		t.Fatalf("groups %q: want the export with exactly one shot", summary(groups))
	}
	if n := names(groups[0]); !strings.Contains(n, "export.jpg") {
		t.Fatalf("group %q", n)
	}
}

func TestKeeperCriteriaInOrder(t *testing.T) {
	gps := &catalog.GPS{Lat: 1, Lon: 2}
	tests := []struct {
		name        string
		better      func(*catalog.Photo)
		worse       func(*catalog.Photo)
		sharpBetter float32
		reason      string
	}{
		{"pixels", func(p *catalog.Photo) { p.Width, p.Height = 4000, 3000 }, func(p *catalog.Photo) { p.Width, p.Height = 3999, 3000; p.GPS = gps }, 0, "most pixels"},
		{"camera format", func(p *catalog.Photo) { p.Format = "heic" }, func(p *catalog.Photo) { p.Format = "png"; p.GPS = gps }, 0, "camera's original format"},
		{"EXIF and GPS", func(p *catalog.Photo) { p.GPS = gps }, func(p *catalog.Photo) { p.ModTime = p.ModTime.Add(-time.Hour) }, 0, "EXIF date and GPS present"},
		{"sharpest", func(p *catalog.Photo) {}, func(p *catalog.Photo) { p.ModTime = p.ModTime.Add(-time.Hour) }, 150, "sharpest"},
		{"oldest", func(p *catalog.Photo) { p.ModTime = p.ModTime.Add(-time.Hour) }, func(p *catalog.Photo) {}, 0, "oldest file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture()
			s, v := f.picture()
			// The worse one sorts first by path, so only the criterion can
			// make the better one the keeper.
			f.add("a-worse.jpg", "", s, v, tt.worse)
			sb := s
			if tt.sharpBetter > 0 {
				sb.Sharpness = tt.sharpBetter
			}
			f.add("b-better.jpg", "", sb, v, tt.better)
			groups, err := Find(context.Background(), f.lib, Options{Tiers: []Tier{Same}})
			if err != nil || len(groups) != 1 {
				t.Fatalf("%q, %v", summary(groups), err)
			}
			g := groups[0]
			if g.Keeper().Path != "/lib/b-better.jpg" || !strings.HasPrefix(g.KeeperReason, tt.reason) {
				t.Fatalf("keeper %s (%q), want b-better.jpg (%s…)", g.Keeper().Path, g.KeeperReason, tt.reason)
			}
		})
	}
}

func TestLookAlikesUseTheIndex(t *testing.T) {
	f := newFixture()
	s1, v1 := f.picture()
	s2, _ := f.picture()
	v2 := []float32{0, 0, 0, 0, 0, 0, 0, 0}
	v2[(indexOfOne(v1)+1)%8] = 1
	a := f.add("beach1.jpg", "", s1, v1, nil)
	b := f.add("beach2.jpg", "", s2, v2, func(p *catalog.Photo) { p.TakenAt = t0.Add(time.Hour) })
	// The fake index knows the two photos are alike at cosine 0.93; each
	// query finds itself first.
	f.lib.Neighbours = func(_ context.Context, q []float32, k int) ([]Neighbour, error) {
		if indexOfOne(q) == indexOfOne(v1) {
			return []Neighbour{{ID: a.ID, Score: 1}, {ID: b.ID, Score: 0.93}}, nil
		}
		return []Neighbour{{ID: b.ID, Score: 1}, {ID: a.ID, Score: 0.93}}, nil
	}
	ctx := context.Background()
	groups, err := Find(ctx, f.lib, Options{Tiers: []Tier{Similar}, Threshold: 0.9})
	if err != nil || len(groups) != 1 || groups[0].Tier != Similar || !strings.Contains(groups[0].Members[1].Reason, "cosine 0.930") {
		t.Fatalf("threshold 0.9: %q, %v", summary(groups), err)
	}
	if groups, err = Find(ctx, f.lib, Options{Tiers: []Tier{Similar}, Threshold: 0.95}); err != nil || len(groups) != 0 {
		t.Fatalf("threshold 0.95: %q, %v", summary(groups), err)
	}
	// Not asked for: no look-alikes, and no index needed.
	f.lib.Neighbours = nil
	if groups, err = Find(ctx, f.lib, Options{}); err != nil || len(groups) != 0 {
		t.Fatalf("default tiers: %q, %v", summary(groups), err)
	}
	if _, err = Find(ctx, f.lib, Options{Tiers: []Tier{Similar}}); !errors.Is(err, ErrNoIndex) {
		t.Fatalf("look-alikes without an index: %v", err)
	}
	for _, bad := range []Options{{Threshold: 1.5}, {Threshold: -1}, {Tiers: []Tier{9}}} {
		if _, err := Find(ctx, f.lib, bad); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}

func TestParseTier(t *testing.T) {
	for _, tr := range Tiers {
		if got, err := ParseTier(strings.ToUpper(tr.String())); err != nil || got != tr {
			t.Errorf("%s: %v %v", tr, got, err)
		}
	}
	if _, err := ParseTier("copies"); err == nil {
		t.Error("unknown tier accepted")
	}
}

func TestCancelled(t *testing.T) {
	f := newFixture()
	for i := 0; i < 10; i++ {
		s, v := f.picture()
		f.add(fmt.Sprintf("%d.jpg", i), "", s, v, nil)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Find(ctx, f.lib, Options{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

func indexOfOne(v []float32) int {
	for i, x := range v {
		if x == 1 {
			return i
		}
	}
	return -1
}

func TestReasonWording(t *testing.T) {
	cams := []struct{ make, model, want string }{
		{"Canon", "Canon PowerShot S1 IS", "Canon PowerShot S1 IS"},
		{"Apple", "iPhone 11 Pro", "Apple iPhone 11 Pro"},
		{"", "DMC-FX33", "DMC-FX33"},
	}
	for _, c := range cams {
		if got := cameraName(catalog.Photo{Make: c.make, Model: c.model}); got != c.want {
			t.Errorf("cameraName(%q, %q) = %q, want %q", c.make, c.model, got, c.want)
		}
	}
	for d, want := range map[time.Duration]string{0: "in the same second", 1500 * time.Millisecond: "2 s apart", 3 * time.Second: "3 s apart"} {
		if got := seconds(d); got != want {
			t.Errorf("seconds(%v) = %q, want %q", d, got, want)
		}
	}
}
