package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/simili/simili/search/duplicates"
	"github.com/simili/simili/search/engine"
)

func runDuplicates(ctx context.Context, env Env, args []string) error {
	var (
		c         common
		tiers     string
		threshold float64
		asJSON    bool
		move, yes bool
	)
	fs := newFlags(env, "duplicates", "[flags]")
	c.register(fs)
	fs.StringVar(&tiers, "tier", "", "tiers to list, comma-separated: identical, same, burst, similar (default identical,same,burst; with --move-to-trash identical,same)")
	fs.Float64Var(&threshold, "threshold", duplicates.DefaultThreshold, "look-alike cosine for --tier similar, in (0, 1]")
	fs.BoolVar(&asJSON, "json", false, "print JSON")
	fs.BoolVar(&move, "move-to-trash", false, "move every photo that is not its group's keeper to the trash, after printing the plan and asking")
	fs.BoolVar(&yes, "yes", false, "with --move-to-trash: do not ask (for scripts)")
	pos, help, err := handleParse(fs, args)
	if help || err != nil {
		return err
	}
	if len(pos) != 0 {
		return fmt.Errorf("%w: duplicates takes no arguments (it reads the catalog)", ErrUsage)
	}
	if yes && !move {
		return fmt.Errorf("%w: --yes only goes with --move-to-trash", ErrUsage)
	}
	opt := duplicates.Options{Threshold: float32(threshold)}
	if threshold <= 0 || threshold > 1 {
		return fmt.Errorf("%w: --threshold %v is outside (0, 1]", ErrUsage, threshold)
	}
	if tiers != "" {
		for _, s := range strings.Split(tiers, ",") {
			t, err := duplicates.ParseTier(strings.TrimSpace(s))
			if err != nil {
				return fmt.Errorf("%w: --tier: %v", ErrUsage, err)
			}
			opt.Tiers = append(opt.Tiers, t)
		}
	} else if move {
		// Bursts and look-alikes are different shots: removing them must be
		// asked for by name.
		opt.Tiers = []duplicates.Tier{duplicates.Identical, duplicates.Same}
	}
	e, err := c.open(ctx, env)
	if err != nil {
		return err
	}
	defer e.Close()
	groups, err := e.Duplicates(ctx, opt)
	if err != nil {
		return err
	}
	if asJSON {
		if err := writeGroupsJSON(env.Stdout, groups); err != nil {
			return err
		}
	} else {
		writeGroups(env.Stdout, groups)
	}
	if !move {
		return nil
	}
	return moveNonKeepers(ctx, env, e, groups, yes)
}

// moveNonKeepers asks, then moves every non-keeper to the trash.
func moveNonKeepers(ctx context.Context, env Env, e *engine.Engine, groups []duplicates.Group, yes bool) error {
	var ids []int64
	var bytes int64
	for _, g := range groups {
		for _, p := range g.Others() {
			ids = append(ids, p.ID)
			bytes += p.Size
		}
	}
	if len(ids) == 0 {
		fmt.Fprintln(env.Stderr, "nothing to move")
		return nil
	}
	if !yes {
		fmt.Fprintf(env.Stderr, "Move %s (%s) to the trash? [y/N] ", plural(len(ids), "photo"), sizeText(bytes))
		if env.Stdin == nil {
			return fmt.Errorf("%w: no answer possible without a terminal: add --yes", ErrUsage)
		}
		answer, _ := bufio.NewReader(env.Stdin).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
			fmt.Fprintln(env.Stderr, "nothing moved")
			return nil
		}
	}
	res, err := e.MoveToTrash(ctx, ids)
	fmt.Fprintf(env.Stderr, "moved %s (%s) to the trash; restore them from your desktop's trash\n", plural(len(res.Moved), "photo"), sizeText(res.Bytes))
	for _, f := range res.Failed {
		fmt.Fprintf(env.Stderr, "not moved: %s: %v\n", f.Photo.Path, f.Err)
	}
	if err != nil {
		return err
	}
	if len(res.Failed) > 0 {
		return fmt.Errorf("%s could not be moved", plural(len(res.Failed), "photo"))
	}
	return nil
}

func writeGroups(w io.Writer, groups []duplicates.Group) {
	if len(groups) == 0 {
		fmt.Fprintln(w, "no duplicates found")
		return
	}
	others, bytes := 0, int64(0)
	for i, g := range groups {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s, %d photos; keep %s: %s\n", g.Tier.Title(), len(g.Members), filepath.Base(g.Keeper().Path), g.KeeperReason)
		for _, m := range g.Members {
			verb := "remove"
			if m.Keeper {
				verb = "keep  "
			} else {
				others++
				bytes += m.Photo.Size
			}
			fmt.Fprintf(w, "  %s %s  %dx%d %s %s\n", verb, m.Photo.Path, m.Photo.Width, m.Photo.Height, strings.ToUpper(m.Photo.Format), sizeText(m.Photo.Size))
			if m.Reason != "" {
				fmt.Fprintf(w, "         %s\n", m.Reason)
			}
		}
	}
	fmt.Fprintf(w, "\n%s; %s (%s) are not keepers\n", plural(len(groups), "group"), plural(others, "photo"), sizeText(bytes))
}

// groupJSON is the stable JSON shape of one group.
type groupJSON struct {
	Tier         string       `json:"tier"`
	KeeperReason string       `json:"keeper_reason"`
	Members      []memberJSON `json:"members"`
}

type memberJSON struct {
	ID      int64  `json:"id"`
	Path    string `json:"path"`
	Keeper  bool   `json:"keeper"`
	Reason  string `json:"reason,omitempty"`
	Width   int    `json:"width"`
	Height  int    `json:"height"`
	Format  string `json:"format"`
	Bytes   int64  `json:"bytes"`
	TakenAt string `json:"taken_at,omitempty"`
}

func writeGroupsJSON(w io.Writer, groups []duplicates.Group) error {
	out := make([]groupJSON, len(groups))
	for i, g := range groups {
		gj := groupJSON{Tier: g.Tier.String(), KeeperReason: g.KeeperReason, Members: make([]memberJSON, len(g.Members))}
		for j, m := range g.Members {
			p := m.Photo
			gj.Members[j] = memberJSON{ID: p.ID, Path: p.Path, Keeper: m.Keeper, Reason: m.Reason,
				Width: p.Width, Height: p.Height, Format: p.Format, Bytes: p.Size}
			if !p.TakenAt.IsZero() {
				gj.Members[j].TakenAt = p.TakenAt.Format(time.DateTime)
			}
		}
		out[i] = gj
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func sizeText(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
