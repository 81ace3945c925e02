package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/simili/simili/library/catalog"
	"github.com/simili/simili/search/engine"
)

func runStats(ctx context.Context, env Env, args []string) error {
	var (
		c        common
		asJSON   bool
		failures int
	)
	fs := newFlags(env, "stats", "[flags]")
	c.register(fs)
	fs.BoolVar(&asJSON, "json", false, "print JSON")
	fs.IntVar(&failures, "failures", 0, "also list up to N failed files")
	if _, help, err := handleParse(fs, args); help || err != nil {
		return err
	}
	if failures < 0 {
		return fmt.Errorf("%w: --failures %d: give a count of failed files to list", ErrUsage, failures)
	}
	e, err := c.open(ctx, env)
	if err != nil {
		return err
	}
	defer e.Close()
	st, err := e.Stats(ctx)
	if err != nil {
		return err
	}
	if asJSON {
		out := statsJSON{Stats: st}
		if failures > 0 {
			if out.FailedFiles, err = e.Failures(ctx, failures); err != nil {
				return err
			}
		}
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	w := env.Stdout
	fmt.Fprintf(w, "photos:      %d\n", st.Photos)
	fmt.Fprintf(w, "folders:     %v\n", st.Roots)
	for _, o := range st.Offline {
		fmt.Fprintf(w, "  offline:   %s since %s (%s): %d photos kept\n", o.Path, o.Since.Local().Format("2006-01-02 15:04"), o.Reason, o.Photos)
	}
	reasons := make([]string, 0, len(st.Failures))
	total := 0
	for r, n := range st.Failures {
		reasons = append(reasons, r)
		total += n
	}
	sort.Strings(reasons)
	fmt.Fprintf(w, "failures:    %d", total)
	for _, r := range reasons {
		fmt.Fprintf(w, "  %s=%d", r, st.Failures[r])
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "model:       %s (%d photos embedded)\n", st.Model, st.Embedded)
	for _, m := range st.Models {
		fmt.Fprintf(w, "  embeddings %s: %d × %d-d\n", m.Model, m.Count, m.Dim)
	}
	switch {
	case st.StoreCount < 0:
		fmt.Fprintf(w, "store:       %s unreachable (%d pending as recorded; checked when it is back): %s\n", st.Store, st.Pending, st.StoreError)
	case st.StoreError != "":
		fmt.Fprintf(w, "store:       %s (%d vectors; could not be checked: %s)\n", st.Store, st.StoreCount, st.StoreError)
	default:
		how := "checked by id"
		if !st.PendingChecked {
			how = "by count"
		}
		fmt.Fprintf(w, "store:       %s (%d vectors, %d pending, %s)\n", st.Store, st.StoreCount, st.Pending, how)
	}
	if st.Pending > 0 && st.StoreCount >= 0 {
		fmt.Fprintf(w, "store lags:  %s not searchable yet", plural(st.Pending, "photo"))
		if st.Extra > 0 {
			fmt.Fprintf(w, " (%d missing, %d deleted photos still in the store)", st.Missing, st.Extra)
		}
		fmt.Fprintln(w, " — run `simili sync`")
	}
	if len(st.Aside) > 0 {
		fmt.Fprintf(w, "set aside:   %s the store refused (not searchable; retried when the photo changes or on `simili sync --rebuild`)\n", plural(len(st.Aside), "photo"))
		for i, a := range st.Aside {
			if i == max(failures, 10) {
				fmt.Fprintf(w, "  … %d more (simili stats --json)\n", len(st.Aside)-i)
				break
			}
			fmt.Fprintf(w, "  set aside %s: %s\n", a.Path, a.Reason)
		}
	}
	if st.LastScan != nil {
		fmt.Fprintf(w, "last scan:   %s, %s (%d found, %d processed, %d failed)\n",
			st.LastScan.StartedAt.Format(time.DateTime), st.LastScan.State, st.LastScan.Found, st.LastScan.Processed, st.LastScan.Failed)
	}
	if failures > 0 {
		fs, err := e.Failures(ctx, failures)
		if err != nil {
			return err
		}
		for _, f := range fs {
			fmt.Fprintf(w, "  failed %-12s %s: %s\n", f.Reason, f.Path, f.Message)
		}
	}
	return nil
}

// statsJSON is `stats --json`: the engine's figures and, with --failures N,
// the failed files themselves.
type statsJSON struct {
	engine.Stats
	FailedFiles []catalog.Failure `json:",omitempty"`
}
