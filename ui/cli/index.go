package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/simili/simili/library/scan"
	"github.com/simili/simili/search/engine"
)

func runIndex(ctx context.Context, env Env, args []string) error {
	var c common
	fs := newFlags(env, "index", "[flags] DIR...")
	c.register(fs)
	dirs, help, err := handleParse(fs, args)
	if help || err != nil {
		return err
	}
	if len(dirs) == 0 {
		return fmt.Errorf("%w: index needs at least one folder", ErrUsage)
	}
	e, err := c.open(ctx, env)
	if err != nil {
		return err
	}
	defer e.Close()
	res, err := e.Index(ctx, dirs, engine.IndexOptions{Progress: progressPrinter(env, "indexing")})
	if res.ScanID != 0 { // a run refused before it began (e.g. the store is locked) has nothing to sum up
		printScanSummary(env.Stdout, res, e.StoreKey())
	}
	return err
}

// progressPrinter draws a bar on a terminal and prints a line every few
// seconds otherwise (logs, CI).
func progressPrinter(env Env, what string) func(scan.Progress) {
	if env.Interactive {
		bar := progressbar.NewOptions(-1,
			progressbar.OptionSetWriter(env.Stderr),
			progressbar.OptionSetDescription(what),
			progressbar.OptionShowCount(),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
		return func(p scan.Progress) {
			if p.Found > 0 {
				bar.ChangeMax(p.Found)
			}
			bar.Describe(describe(p))
			_ = bar.Set(p.Handled())
			if p.Done {
				_ = bar.Finish()
			}
		}
	}
	var last time.Time
	return func(p scan.Progress) {
		if p.Done || time.Since(last) > 5*time.Second {
			last = time.Now()
			fmt.Fprintf(env.Stderr, "%s: %d/%d %s\n", what, p.Handled(), p.Found, describe(p))
		}
	}
}

func describe(p scan.Progress) string {
	s := fmt.Sprintf("%d new · %d unchanged · %d skipped · %d failed · %.1f photos/s", p.Processed, p.Unchanged, p.Skipped, p.Failed, p.Rate)
	if p.ETA > 0 && !p.Walking {
		s += " · ETA " + p.ETA.Round(time.Second).String()
	}
	return s
}

func printScanSummary(w io.Writer, r scan.Result, store string) {
	fmt.Fprintf(w, "found %d files: %d processed (%d embedded, %d moved), %d unchanged, %d skipped, %d failed, %d removed in %s\n",
		r.Found, r.Processed, r.Embedded, r.Moved, r.Unchanged, r.Skipped, r.Failed, r.Deleted, r.Elapsed.Round(time.Millisecond))
	if r.Failed > 0 {
		fmt.Fprintln(w, "failures are listed by `simili stats --failures`")
	}
	switch {
	case r.StoreOffline != nil:
		fmt.Fprintf(w, "vector store %s unreachable: %d photos pending, kept in the catalog; run `simili sync` when it is back\n", store, r.Pending)
	case r.Pending > 0:
		fmt.Fprintf(w, "%d photos pending for vector store %s; run `simili sync`\n", r.Pending, store)
	}
	for _, o := range r.Offline {
		fmt.Fprintf(w, "%s; they are shown offline and come back unchanged when it does (remove the folder from the library to forget them)\n", o)
	}
	if r.Cancelled {
		fmt.Fprintln(w, "cancelled: run the same command again to resume")
	}
}
