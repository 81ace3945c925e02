//go:build !bench

package embed

// benchSpecs is empty in the product build: the benchmark-only models
// (spec_bench.go) exist only with -tags bench.
func benchSpecs() []Spec { return nil }
