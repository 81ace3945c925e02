package cli

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/simili/simili/search/engine"
)

func runEval(ctx context.Context, env Env, args []string) error {
	var (
		c      common
		asJSON bool
	)
	fs := newFlags(env, "eval", "[flags] DIR  (DIR holds groups.csv: file,group)")
	c.register(fs)
	fs.BoolVar(&asJSON, "json", false, "print JSON")
	pos, help, err := handleParse(fs, args)
	if help || err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: eval needs one folder", ErrUsage)
	}
	e, err := c.open(ctx, env)
	if err != nil {
		return err
	}
	defer e.Close()
	rep, err := e.Evaluate(ctx, pos[0], engine.IndexOptions{Progress: progressPrinter(env, "indexing")})
	if err != nil {
		return err
	}
	if asJSON {
		return json.NewEncoder(env.Stdout).Encode(rep)
	}
	fmt.Fprintf(env.Stdout, "model %s, store %s\nqueries    %d\ntop-1      %.3f\nmAP        %.3f\nrecall@1   %.3f\nrecall@5   %.3f\nrecall@10  %.3f\n",
		e.VectorModel().Name, e.StoreKey(), rep.Queries, rep.Top1, rep.MAP, rep.Recall1, rep.Recall5, rep.Recall10)
	return nil
}
