//go:build !bench

package cli

import (
	"strings"
	"testing"
)

func TestProductBuildPointsToTheBenchBuild(t *testing.T) {
	err := runBench(t.Context(), Env{}, nil)
	if err == nil || !strings.Contains(err.Error(), "make bench") {
		t.Fatalf("bench in the product build: %v; want a pointer to make bench", err)
	}
}
