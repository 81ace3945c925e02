package cli

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/simili/simili/library/catalog"
)

func runPhotos(ctx context.Context, env Env, args []string) error {
	var (
		c     common
		f     filterFlags
		limit int
	)
	fs := newFlags(env, "photos", "[flags]")
	c.register(fs)
	f.register(fs)
	fs.IntVar(&limit, "limit", 50, "at most this many (0 = all)")
	if _, help, err := handleParse(fs, args); help || err != nil {
		return err
	}
	if limit < 0 {
		return fmt.Errorf("%w: --limit %d: give a count, or 0 for all", ErrUsage, limit)
	}
	filter, err := f.Filter()
	if err != nil {
		return err
	}
	e, err := c.open(ctx, env)
	if err != nil {
		return err
	}
	defer e.Close()
	photos, err := e.Photos(ctx, catalog.Query{Filter: filter, Limit: limit})
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTAKEN\tCAMERA\tLENS\tSIZE\tPATH")
	for _, p := range photos {
		fmt.Fprintf(tw, "%d\t%s\t%s %s\t%s\t%dx%d\t%s\n", p.ID, date(p.TakenAt), p.Make, p.Model, p.Lens, p.Width, p.Height, p.Path)
	}
	return tw.Flush()
}
