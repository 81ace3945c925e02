//go:build !bench

package cli

import (
	"context"
	"errors"
)

// runBench in the product build only says where the benchmarks are: they
// and their benchmark-only models live in the bench build.
func runBench(context.Context, Env, []string) error {
	return errors.New("this build has no benchmarks: `make bench` builds and runs bin/simili-bench (go build -tags bench)")
}
