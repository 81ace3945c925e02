package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/simili/simili/search/engine"
)

func runWatch(ctx context.Context, env Env, args []string) error {
	var c common
	fs := newFlags(env, "watch", "[flags] [DIR...]  (no DIR: every library folder)")
	c.register(fs)
	fs.IntVar(&c.over.RescanMinutes, "rescan-minutes", 0, fmt.Sprintf("rescan interval where folders cannot be watched (system watch limit); config rescan_minutes, default %d", engine.DefaultRescanMinutes))
	dirs, help, err := handleParse(fs, args)
	if help || err != nil {
		return err
	}
	if c.over.RescanMinutes < 0 {
		return fmt.Errorf("%w: --rescan-minutes %d: give a number of minutes", ErrUsage, c.over.RescanMinutes)
	}
	e, err := c.open(ctx, env)
	if err != nil {
		return err
	}
	defer e.Close()
	what := strings.Join(dirs, ", ")
	if len(dirs) == 0 {
		what = "the library folders"
	}
	fmt.Fprintf(env.Stdout, "watching %s (Ctrl-C to stop)\n", what)
	var mu sync.Mutex // batches and warnings come from two goroutines
	err = e.Watch(ctx, dirs, engine.WatchOptions{
		Rescan: true,
		OnBatch: func(b engine.WatchBatch) {
			mu.Lock()
			defer mu.Unlock()
			printBatch(env.Stdout, b)
		},
		OnLimited: func(err error) {
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprintf(env.Stderr, "warning: %v\n  changes are found by a rescan every %s instead; on Linux raise the limit: sudo sysctl fs.inotify.max_user_watches=524288\n",
				err, e.Config().RescanInterval())
		},
	})
	if err == nil {
		fmt.Fprintln(env.Stdout, "stopped watching")
	}
	return err
}

// printBatch prints one line per applied batch.
func printBatch(w io.Writer, b engine.WatchBatch) {
	what := plural(b.Paths, "change")
	if b.Rescan {
		what = "rescan"
	}
	line := fmt.Sprintf("%s  %s: %d added, %d moved, %d removed, %d failed, %s (%s)",
		b.Finished.Format(time.DateTime), what, b.Added, b.Moved, b.Removed, b.Failed, plural(b.Embedded, "model run"),
		b.Took.Round(time.Millisecond))
	if b.Err != nil {
		line += "; " + b.Err.Error()
	}
	fmt.Fprintln(w, line)
}
