package embedded

import (
	"context"
	"fmt"
	"math"
	"math/rand"
	"slices"
	"testing"

	"github.com/simili/simili/library/facet"
	"github.com/simili/simili/search/internal/floatref"
	"github.com/simili/simili/search/vector"
)

// TestDotI8 checks the byte-code product against int64 arithmetic at
// every tail length around the 16- and 32-element steps, at the extreme
// magnitudes the quantizer can produce (the int32 bound), and that bytes
// past len(q) are not read into the result.
func TestDotI8(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	lens := []int{0, 1, 15, 16, 17, 31, 32, 33, 47, 63, 64, 65, 512, 1000, 2048, int8MaxDim}
	type kernel struct {
		name string
		f    func([]int16, []int8) int32
	}
	ks := []kernel{{"go", dotI8Go}, {"dotI8", dotI8}}
	if avx2KernelI8 != nil {
		ks = append(ks, kernel{"avx2", avx2KernelI8})
	}
	for _, k := range ks {
		for _, n := range lens {
			for _, extreme := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/n=%d/extreme=%v", k.name, n, extreme), func(t *testing.T) {
					q := make([]int16, n)
					c := make([]int8, n+7)
					var want int64
					for i := range q {
						if extreme { // the largest sum: every term at its bound, one sign
							q[i], c[i] = queryLevels, 127
						} else {
							q[i] = int16(r.Intn(2*queryLevels+1) - queryLevels)
							c[i] = int8(r.Intn(255) - 127)
						}
						want += int64(q[i]) * int64(c[i])
					}
					for i := n; i < len(c); i++ {
						c[i] = 127 // poison
					}
					if got := k.f(q, c); int64(got) != want {
						t.Fatalf("got %d, want %d", got, want)
					}
				})
			}
		}
	}
}

// TestDotI8Batch checks the batch kernel against the one-record loop over
// runs of records, with a poisoned record after the run.
func TestDotI8Batch(t *testing.T) {
	r := rand.New(rand.NewSource(4))
	type kernel struct {
		name string
		f    func([]int16, []int8, []int32)
		dims []int
	}
	ks := []kernel{{"go", dotI8BatchGo, []int{1, 17, 32, 512}}, {"dotI8Batch", dotI8Batch, []int{1, 17, 32, 33, 64, 512, 2048}}}
	if avx2BatchI8 != nil {
		ks = append(ks, kernel{"avx2", avx2BatchI8, []int{32, 64, 512, 2048, int8MaxDim}})
	}
	for _, k := range ks {
		for _, dim := range k.dims {
			for _, n := range []int{0, 1, 3, codedRunMin, codedRun} {
				t.Run(fmt.Sprintf("%s/dim=%d/n=%d", k.name, dim, n), func(t *testing.T) {
					q := make([]int16, dim)
					for i := range q {
						q[i] = int16(r.Intn(2*queryLevels+1) - queryLevels)
					}
					c := make([]int8, (n+1)*dim)
					for i := range c {
						c[i] = int8(r.Intn(255) - 127)
					}
					out := make([]int32, n+1)
					out[n] = -7 // must stay: the batch is out[:n]
					k.f(q, c, out[:n])
					for j := range n {
						if want := dotI8Go(q, c[j*dim:(j+1)*dim]); out[j] != want {
							t.Fatalf("record %d: got %d, want %d", j, out[j], want)
						}
					}
					if out[n] != -7 {
						t.Fatalf("wrote past the batch: %d", out[n])
					}
				})
			}
		}
	}
}

// TestInt8Estimate checks the estimate of the product of two unit vectors
// against the exact one, for the dimensions the store uses.
func TestInt8Estimate(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	for _, dim := range []int{16, 512, 1000, 2048} {
		t.Run(fmt.Sprint(dim), func(t *testing.T) {
			c := newInt8Codes(dim, 0)
			var worst float64 // in units of the code's step
			for s := range 200 {
				v, q := unit(floatref.Normals(r, dim)), unit(floatref.Normals(r, dim))
				if s%2 == 0 { // a near neighbour, the scores that matter
					for j := range q {
						q[j] = v[j] + 0.3*q[j]
					}
					q = unit(q)
				}
				c.set(int32(s), v)
				wq := quantize(q)
				want, _ := floatref.Dot(q, v)
				worst = max(worst, math.Abs(float64(c.estimate(&wq, s))-want)/float64(c.scale[s]))
			}
			// Rounding each code by up to half a step moves the product of
			// unit vectors by about 0.29 steps (one standard deviation);
			// beyond 2 steps (7σ) a lane or a scale is wrong.
			if worst > 2 {
				t.Fatalf("worst |estimate − exact| %.2f steps", worst)
			}
			t.Logf("worst error %.2f steps", worst)
		})
	}
}

// TestInt8CodesFollowSlots checks the codes through appends, a zero
// vector and swap-deletes: every slot's code stays that of its vector.
func TestInt8CodesFollowSlots(t *testing.T) {
	r := rand.New(rand.NewSource(9))
	const dim = 64
	c := newInt8Codes(dim, 0)
	var vecs [][]float32
	for s := range 10 {
		v := unit(floatref.Normals(r, dim))
		if s == 4 {
			v = make([]float32, dim)
		}
		vecs = append(vecs, v)
		c.set(int32(s), v)
	}
	c.removed(2, 9) // slot 9 moves into 2
	vecs[2] = vecs[9]
	vecs = vecs[:9]
	c.removed(8, 8) // the last slot leaves
	vecs = vecs[:8]
	if len(c.scale) != 8 || len(c.codes) != 8*dim {
		t.Fatalf("%d scales, %d code bytes after removing to 8 slots", len(c.scale), len(c.codes))
	}
	for s, v := range vecs {
		want := newInt8Codes(dim, 0)
		want.set(0, v)
		if !slices.Equal(c.codes[s*dim:(s+1)*dim], want.codes) || c.scale[s] != want.scale[0] {
			t.Fatalf("slot %d's code is not its vector's", s)
		}
	}
	if c.scale[4] != 0 || slices.ContainsFunc(c.codes[4*dim:5*dim], func(b int8) bool { return b != 0 }) {
		t.Fatal("a zero vector has a non-zero code")
	}
}

// TestIVFCodedProbeMatchesFloat runs the same searches through the byte
// codes and through the float vectors: with exact re-scoring, every hit
// and score must agree, filtered or not, after updates and deletes too.
func TestIVFCodedProbeMatchesFloat(t *testing.T) {
	ctx := context.Background()
	s, recs := openIVF(t, t.TempDir(), 30_000)
	defer s.Close()
	// Changes after training: moved to the tail, deleted slots swapped.
	fresh := ivfRecs(500, 1, 11)
	mustUpsert(t, s, fresh)
	var gone []int64
	for i := 600; i < 900; i++ {
		gone = append(gone, recs[i].ID)
	}
	if err := s.Delete(ctx, gone); err != nil {
		t.Fatal(err)
	}
	settleIVF(s)
	if s.idx.ivf.i8 == nil {
		t.Fatal("no byte codes after maintenance")
	}
	r := rand.New(rand.NewSource(13))
	coded := 0
	for qi := range 60 {
		q := recs[r.Intn(len(recs))].Vector
		f := facet.Filter{}
		if qi%3 == 0 {
			f = facet.Filter{Folder: "/p/1"} // keeps a quarter: the IVF path
		}
		for _, k := range []int{10, 50} {
			opt := vector.SearchOptions{Nprobe: 200}
			got, err := s.Search(ctx, q, k, f, opt)
			if err != nil {
				t.Fatal(err)
			}
			s.mu.Lock()
			codes := s.idx.ivf.i8
			s.idx.ivf.i8 = nil
			s.mu.Unlock()
			want, err := s.Search(ctx, q, k, f, opt)
			s.mu.Lock()
			s.idx.ivf.i8 = codes
			s.mu.Unlock()
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("query %d k %d filter %+v: coded %v, float %v", qi, k, f, got, want)
			}
			coded++
		}
	}
	// The probe must have been large enough to take the coded path.
	v := s.idx.ivf
	total := 0
	for _, l := range v.lists {
		total += len(l)
	}
	if probed := total * 200 / v.nlist; probed < int8MinScan*2*rerankDepth(50) {
		t.Fatalf("probes of ~%d records do not reach the coded path", probed)
	}
	t.Logf("%d searches agree", coded)
}
