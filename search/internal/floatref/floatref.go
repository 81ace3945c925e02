// Package floatref is the reference arithmetic the float32 kernels' tests
// check against: float64 products and the rounding a float32 sum may
// differ by.
package floatref

import (
	"math"
	"math/rand"
)

// Dot returns the float64 inner product of a and b[:len(a)] and
// Σ|a_i b_i|, the scale of the float32 rounding error whatever the
// summation order.
func Dot(a, b []float32) (dot, mag float64) {
	for i := range a {
		p := float64(a[i]) * float64(b[i])
		dot += p
		mag += math.Abs(p)
	}
	return dot, mag
}

// Tol is the allowed |got−want| for n terms summed in float32: any order
// is within about n·ε·Σ|a_i b_i|, 4ε·√n-ish is typical, so n·ε/4 catches
// wrong lanes or dropped tails (errors of order one product) without
// flaking. The floor covers n = 0.
func Tol(n int, mag float64) float64 {
	return max(float64(n)*0x1p-23/4, 2*0x1p-23)*mag + 1e-30
}

// Normals returns n standard normal float32 values drawn from r.
func Normals(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}
