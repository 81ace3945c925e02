package cli

import (
	"context"
	"fmt"
)

func runSync(ctx context.Context, env Env, args []string) error {
	var (
		c       common
		rebuild bool
	)
	fs := newFlags(env, "sync", "[flags]")
	c.register(fs)
	fs.BoolVar(&rebuild, "rebuild", false, "drop the store's collection and re-create it from the catalog (no model runs)")
	if _, help, err := handleParse(fs, args); help || err != nil {
		return err
	}
	e, err := c.open(ctx, env)
	if err != nil {
		return err
	}
	defer e.Close()
	n, err := e.Sync(ctx, rebuild, func(done, total int) {
		fmt.Fprintf(env.Stderr, "sync: %d/%d\n", done, total)
	})
	if err != nil {
		pending, _ := e.Pending(ctx)
		return fmt.Errorf("sync to %s stopped after %d operations, %d still pending: %w", e.StoreKey(), n, pending, err)
	}
	count, err := e.StoreCount(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "synced %d operations to %s; it holds %d vectors of %s, checked by id against the catalog\n", n, e.StoreKey(), count, e.VectorModel())
	aside, err := e.SetAside(ctx, -1)
	if err != nil {
		return err
	}
	if len(aside) > 0 {
		fmt.Fprintf(env.Stdout, "%s set aside: the store refused them (simili stats lists why)\n", plural(len(aside), "photo"))
	}
	return nil
}
