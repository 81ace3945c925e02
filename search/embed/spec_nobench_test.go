//go:build !bench

package embed

import "testing"

const benchBuild = false

// TestProductBuildHasNoBenchModels: the product binary cannot load, list or
// fall back to a benchmark-only model; only the bench build has them.
func TestProductBuildHasNoBenchModels(t *testing.T) {
	if _, err := Builtin("resnet50-random"); err == nil {
		t.Fatal("resnet50-random is a model of the product build")
	}
	for _, s := range builtins() {
		if s.BenchOnly {
			t.Fatalf("%s is benchmark-only but built into the product", s.Name)
		}
	}
}
