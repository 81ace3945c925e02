package vectortest

import (
	"math"
	"math/rand"
	"slices"
	"time"

	"github.com/simili/simili/library/facet"
	"github.com/simili/simili/search/vector"
)

// base is the earliest TakenAt the generators use. Times are whole seconds
// in UTC so stores that keep Unix seconds lose nothing.
var base = time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)

func day(d int) time.Time { return base.AddDate(0, 0, d) }

// normalize scales v to unit length in place and returns it.
func normalize(v []float32) []float32 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	n := float32(1 / math.Sqrt(s))
	for i := range v {
		v[i] *= n
	}
	return v
}

func gaussian(r *rand.Rand, dim int, scale float64) []float32 {
	v := make([]float32, dim)
	for i := range v {
		v[i] = float32(r.NormFloat64() * scale)
	}
	return v
}

// gen produces clustered unit vectors: photos of the same scene sit close
// together, which is the case similarity search must rank well.
type gen struct {
	r       *rand.Rand
	dim     int
	centers [][]float32
}

func newGen(seed int64, dim, clusters int) *gen {
	g := &gen{r: rand.New(rand.NewSource(seed)), dim: dim}
	for range clusters {
		g.centers = append(g.centers, normalize(gaussian(g.r, dim, 1)))
	}
	return g
}

// vec returns a unit vector near a random cluster centre.
func (g *gen) vec() []float32 {
	c := g.centers[g.r.Intn(len(g.centers))]
	v := gaussian(g.r, g.dim, 0.6/math.Sqrt(float64(g.dim)))
	for i := range v {
		v[i] += c[i]
	}
	return normalize(v)
}

// random returns a unit vector with no cluster bias.
func (g *gen) random() []float32 { return normalize(gaussian(g.r, g.dim, 1)) }

var (
	cameras = [][2]string{ // make, model
		{"Canon", "Canon EOS R5"},
		{"Canon", "Canon EOS 5D Mark IV"},
		{"NIKON CORPORATION", "NIKON Z 6"},
		{"FUJIFILM", "X-T4"},
		{"Apple", "iPhone 13"},
		{"", ""},
	}
	lenses  = []string{"RF24-105mm F4 L IS USM", "NIKKOR Z 24-70mm f/4 S", "XF35mmF1.4 R", ""}
	folders = []string{"/photos/2023", "/photos/2023/trip", "/photos/2023/trip/day1", "/photos/2023/tripod", "/photos/20230", "/other"}
)

// meta returns plausible, repetitive photo metadata; about one photo in ten
// has no date.
func (g *gen) meta() facet.Meta {
	c := cameras[g.r.Intn(len(cameras))]
	m := facet.Meta{
		Make:   c[0],
		Model:  c[1],
		Lens:   lenses[g.r.Intn(len(lenses))],
		Folder: folders[g.r.Intn(len(folders))],
		HasGPS: g.r.Intn(2) == 0,
	}
	if g.r.Intn(10) != 0 {
		m.TakenAt = base.Add(time.Duration(g.r.Intn(365*24*3600)) * time.Second)
	}
	return m
}

// records returns n records with IDs first, first+3, first+6, … (sparse on
// purpose, so no store can get away with treating IDs as slots).
func (g *gen) records(n int, first int64) []vector.Record {
	out := make([]vector.Record, n)
	for i := range out {
		out[i] = vector.Record{ID: first + int64(i)*3, Vector: g.vec(), Meta: g.meta()}
	}
	return out
}

func dot(a, b []float32) float32 {
	var s float32
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// scored is a brute-force result.
type scored struct {
	id    int64
	score float32
}

// model is the test's reference of what a store holds.
type model map[int64]vector.Record

func newModel(recs ...[]vector.Record) model {
	m := model{}
	for _, rs := range recs {
		m.put(rs)
	}
	return m
}

func (m model) put(recs []vector.Record) {
	for _, r := range recs {
		m[r.ID] = r
	}
}

func (m model) del(ids []int64) {
	for _, id := range ids {
		delete(m, id)
	}
}

// top is the exact answer: every record passing f ranked by cosine, best
// first, ties by ID, truncated to k.
func (m model) top(q []float32, k int, f facet.Filter) []scored {
	var out []scored
	for id, r := range m {
		if f.Match(r.Meta) {
			out = append(out, scored{id, dot(q, r.Vector)})
		}
	}
	slices.SortFunc(out, func(a, b scored) int {
		if a.score != b.score {
			if a.score > b.score {
				return -1
			}
			return 1
		}
		switch {
		case a.id < b.id:
			return -1
		case a.id > b.id:
			return 1
		}
		return 0
	})
	if len(out) > k {
		out = out[:k]
	}
	return out
}

func (m model) ids() []int64 {
	out := make([]int64, 0, len(m))
	for id := range m {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}
