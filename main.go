// Simili finds photos by what they look like. With no arguments it opens
// the desktop window; with a subcommand it runs headless (see `simili help`).
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	_ "github.com/simili/simili/internal/localefix" // before Fyne reads the locale
	"github.com/simili/simili/ui/cli"
	"github.com/simili/simili/ui/desktop"
)

func main() {
	if len(os.Args) < 2 {
		if err := desktop.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "simili:", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := cli.Run(ctx, cli.DefaultEnv(), os.Args[1:])
	switch {
	case err == nil:
	case errors.Is(err, cli.ErrUsage):
		fmt.Fprintln(os.Stderr, "simili:", err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "simili:", err)
		os.Exit(1)
	}
}
