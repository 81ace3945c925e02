package embedded

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/simili/simili/search/internal/floatref"
)

// sinkF32 keeps benchmark results alive.
var sinkF32 float32

type dotImpl struct {
	name string
	f    func(a, b []float32) float32
}

func dotImpls() []dotImpl {
	ks := []dotImpl{{"gonum", dotGonum}}
	if avx2Kernel != nil {
		ks = append(ks, dotImpl{"avx2", avx2Kernel})
	}
	return ks
}

// BenchmarkDot measures one inner product on vectors in L1 (512, 2048) and
// a scan of one query against every dim-512 vector of an array too large
// for L2 (64 MB; this host's L3 is large, so 1 GB too): MB/s counts the
// bytes of both operands in cache, of the scanned array when streaming.
func BenchmarkDot(b *testing.B) {
	r := rand.New(rand.NewSource(1))
	for _, k := range dotImpls() {
		for _, n := range []int{512, 2048} {
			x, y := floatref.Normals(r, n), floatref.Normals(r, n)
			b.Run(fmt.Sprintf("%s/%d", k.name, n), func(b *testing.B) {
				b.SetBytes(int64(8 * n))
				var s float32
				for b.Loop() {
					s += k.f(x, y)
				}
				sinkF32 = s
			})
		}
		for _, mb := range []int{64, 1024} {
			b.Run(fmt.Sprintf("%s/stream%dMB", k.name, mb), func(b *testing.B) {
				const dim = 512
				v := floatref.Normals(r, mb<<20/4)
				q := floatref.Normals(r, dim)
				b.SetBytes(int64(len(v) * 4))
				b.ResetTimer()
				var s float32
				for b.Loop() {
					for off := 0; off+dim <= len(v); off += dim {
						s += k.f(q, v[off:off+dim])
					}
				}
				sinkF32 = s
			})
		}
	}
}

// BenchmarkDot4 compares four single products with one dot4 call: on one
// block of four vectors in L1, and over the IVF centroid tables (1264×2048
// at 100k×2048, 4006×512 at 1M×512, each scored in full per query).
func BenchmarkDot4(b *testing.B) {
	r := rand.New(rand.NewSource(2))
	type impl struct {
		name string
		f    func(q, v []float32, out *[4]float32)
	}
	impls := []impl{{"gonum-x4", dot4Gonum}}
	if avx2Kernel != nil {
		k1 := avx2Kernel
		impls = append(impls,
			impl{"avx2-x4", func(q, v []float32, out *[4]float32) {
				d := len(q)
				for j := range out {
					out[j] = k1(q, v[j*d:(j+1)*d])
				}
			}},
			impl{"avx2-dot4", avx2Kernel4})
	}
	shapes := []struct {
		name   string
		rows   int
		dim    int
		stream bool
	}{{"block/512", 4, 512, false}, {"block/2048", 4, 2048, false},
		{"cents/1264x2048", 1264, 2048, true}, {"cents/4006x512", 4006, 512, true}}
	for _, sh := range shapes {
		rows := sh.rows &^ 3
		v := floatref.Normals(r, rows*sh.dim)
		q := floatref.Normals(r, sh.dim)
		for _, im := range impls {
			b.Run(sh.name+"/"+im.name, func(b *testing.B) {
				b.SetBytes(int64(len(v) * 4))
				var out [4]float32
				var s float32
				for b.Loop() {
					for off := 0; off < len(v); off += 4 * sh.dim {
						im.f(q, v[off:off+4*sh.dim], &out)
						s += out[0] + out[1] + out[2] + out[3]
					}
				}
				sinkF32 = s
			})
		}
	}
}
