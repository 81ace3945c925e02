// Package cli is Simili's headless command line: every core capability of
// the app, for scripting, tests and benchmarks. It only parses arguments and
// prints; the work is done by the engine.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"

	"github.com/simili/simili/search/engine"
)

// Env is what a command may touch: its streams and its arguments.
type Env struct {
	Stdout, Stderr io.Writer
	// Stdin answers confirmations (duplicates --move-to-trash); nil: none.
	Stdin io.Reader
	// Interactive enables progress bars (a terminal is attached).
	Interactive bool
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env Env, args []string) error
}

func commands() []command {
	return []command{
		{"index", "scan folders: catalog, EXIF, thumbnails, embeddings, vector store", runIndex},
		{"similar", "find photos that look like an image file", runSimilar},
		{"stats", "show what the library holds", runStats},
		{"eval", "leave-one-out retrieval quality on a folder with groups.csv", runEval},
		{"sync", "push pending vectors to the store (--rebuild: re-create it from the catalog)", runSync},
		{"model", "list models, fetch one (simili model fetch resnet50), or make its int8 variant (simili model quantize resnet50 --photos DIR)", runModel},
		{"photos", "list catalogued photos with filters", runPhotos},
		{"duplicates", "list copies by tier with the keeper and reasons (--move-to-trash the rest)", runDuplicates},
		{"bench", "measure preparation, indexing and search speed (--json)", runBench},
		{"watch", "follow library folders: new, moved and deleted photos are indexed as they change", runWatch},
	}
}

// ErrUsage marks an argument error; main exits with status 2 for it.
var ErrUsage = errors.New("usage error")

// Run executes one subcommand. args excludes the program name.
func Run(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(env.Stdout)
		return nil
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, env, args[1:])
		}
	}
	usage(env.Stderr)
	return fmt.Errorf("%w: unknown command %q", ErrUsage, args[0])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Simili finds photos by what they look like.")
	fmt.Fprintln(w, "\nUsage:\n  simili                 open the window\n  simili COMMAND [flags] [args]")
	fmt.Fprintln(w, "\nCommands:")
	cs := commands()
	sort.Slice(cs, func(i, j int) bool { return cs[i].name < cs[j].name })
	for _, c := range cs {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun `simili COMMAND -h` for a command's flags.")
}

// common holds the flags every command shares.
type common struct {
	over     engine.Config
	logLevel string
	// managingModels silences the "Using X: Y is not downloaded yet" line
	// for `simili model`, which is how Y gets installed.
	managingModels bool
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.over.DataDir, "data-dir", "", "catalog and embedded store folder (env "+engine.EnvDataDir+")")
	fs.StringVar(&c.over.CacheDir, "cache-dir", "", "thumbnails and models folder (env "+engine.EnvCacheDir+")")
	fs.StringVar(&c.over.Model, "model", "", "model: resnet50 (default) or squeezenet (env "+engine.EnvModel+")")
	fs.StringVar(&c.over.ModelFile, "model-file", "", "use this local model file")
	fs.StringVar(&c.over.Store, "store", "", "vector store: embedded (default) or milvus://host:port (env "+engine.EnvStore+")")
	fs.IntVar(&c.over.Threads, "threads", 0, "ONNX Runtime intra-op threads per model run (default 1: scans run one per core)")
	fs.IntVar(&c.over.Workers, "workers", 0, "parallel decode workers (0 = one per core)")
	fs.StringVar(&c.logLevel, "log", "warn", "log level: debug, info, warn, error")
}

func (c *common) open(ctx context.Context, env Env) (*engine.Engine, error) {
	cfg, err := engine.Load()
	if err != nil {
		return nil, err
	}
	cfg = cfg.Merge(c.over)
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.logLevel)); err != nil {
		return nil, fmt.Errorf("%w: --log %q: %v", ErrUsage, c.logLevel, err)
	}
	log := slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: lvl}))
	e, err := engine.Open(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	// Not an error: the library works with the installed model meanwhile.
	if mc := e.ModelChoice(); mc.FellBack() && !c.managingModels {
		how := fmt.Sprintf("`simili model fetch %s` downloads it (offline: `simili model import %s FILE`)", mc.Configured, mc.Configured)
		fmt.Fprintln(env.Stderr, mc.Notice(how))
	}
	return e, nil
}

// parse parses flags placed before, between or after positional arguments
// (`simili index DIR --model squeezenet`), which the flag package alone
// does not allow.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, fmt.Errorf("%w: %v", ErrUsage, err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if rest[0] == "--" {
			return append(pos, rest[1:]...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// newFlags makes a flag set whose -h prints the command's flags.
func newFlags(env Env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(env.Stdout, "Usage: simili %s %s\n\nFlags:\n", name, synopsis)
		fs.SetOutput(env.Stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// handleParse turns -h into printed help and a nil error.
func handleParse(fs *flag.FlagSet, args []string) ([]string, bool, error) {
	pos, err := parse(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fs.Usage()
		return nil, true, nil
	}
	return pos, false, err
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// DefaultEnv returns the process's streams.
func DefaultEnv() Env {
	return Env{Stdout: os.Stdout, Stderr: os.Stderr, Stdin: os.Stdin, Interactive: isTerminal(os.Stderr)}
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, strings.TrimSuffix(word, "s"))
}
