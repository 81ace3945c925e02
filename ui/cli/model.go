package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/schollz/progressbar/v3"

	"github.com/simili/simili/search/embed"
	"github.com/simili/simili/search/engine"
)

func runModel(ctx context.Context, env Env, args []string) error {
	c := common{managingModels: true}
	fs := newFlags(env, "model", "list | fetch NAME | import NAME FILE | quantize NAME [--photos DIR]")
	c.register(fs)
	photos := fs.String("photos", "", "quantize: a folder of your photos to calibrate the int8 model with (default: the library's folders)")
	count := fs.Int("count", engine.QuantizePhotos, "quantize: photos to read (a third are held out to check the result)")
	pos, help, err := handleParse(fs, args)
	if help || err != nil {
		return err
	}
	if len(pos) == 0 || pos[0] == "list" {
		return listModels(ctx, env, &c)
	}
	switch {
	case pos[0] == "fetch" && len(pos) == 2:
		return fetchModel(ctx, env, &c, pos[1])
	case pos[0] == "import" && len(pos) == 3:
		return importModel(ctx, env, &c, pos[1], pos[2])
	case pos[0] == "quantize" && len(pos) == 2:
		var dirs []string // the library's folders
		if *photos != "" {
			dirs = []string{*photos}
		}
		return quantizeModel(ctx, env, &c, pos[1], dirs, *count)
	}
	return fmt.Errorf("%w: simili model list | fetch NAME | import NAME FILE | quantize NAME [--photos DIR]", ErrUsage)
}

func listModels(ctx context.Context, env Env, c *common) error {
	e, err := c.open(ctx, env)
	if err != nil {
		return err
	}
	defer e.Close()
	dir := e.Config().ModelDir()
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tDIM\tINSTALLED\tFILE")
	for _, name := range embed.Names() {
		s, _ := embed.Builtin(name)
		if s.BenchOnly {
			continue // resnet50-random: for `simili bench`, not for photos
		}
		path := filepath.Join(dir, s.File)
		installed := "no"
		if _, err := os.Stat(path); err == nil {
			installed = "yes"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", s.Name, s.Dim, installed, path)
	}
	return tw.Flush()
}

func fetchModel(ctx context.Context, env Env, c *common, name string) error {
	spec, err := embed.Builtin(name)
	if err != nil {
		return err
	}
	e, err := c.open(ctx, env)
	if err != nil {
		return err
	}
	defer e.Close()
	var bar *progressbar.ProgressBar
	path, err := embed.Fetch(ctx, spec, e.Config().ModelDir(), func(done, total int64) {
		if bar == nil {
			bar = progressbar.DefaultBytes(total, "downloading "+spec.File)
			bar.Reset()
		}
		_ = bar.Set64(done)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "%s verified (sha256 %s) at %s\n", spec.Name, spec.SHA256, path)
	return nil
}

// importModel copies a model file obtained elsewhere into the cache after
// checking its sha256, for machines that cannot download.
func importModel(ctx context.Context, env Env, c *common, name, file string) error {
	spec, err := embed.Builtin(name)
	if err != nil {
		return err
	}
	e, err := c.open(ctx, env)
	if err != nil {
		return err
	}
	defer e.Close()
	path, err := embed.Import(spec, file, e.Config().ModelDir())
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "%s verified and installed at %s\n", spec.Name, path)
	return nil
}

// quantizeModel makes and installs the int8 variant of a float model.
func quantizeModel(ctx context.Context, env Env, c *common, name string, dirs []string, count int) error {
	spec, err := embed.Builtin(name)
	if err != nil {
		return err
	}
	e, err := c.open(ctx, env)
	if err != nil {
		return err
	}
	defer e.Close()
	var bar *progressbar.ProgressBar
	path, fid, err := e.QuantizeModel(ctx, name, dirs, count, func(done, total int) {
		if !env.Interactive {
			return
		}
		if bar == nil {
			bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(env.Stderr), progressbar.OptionSetDescription("reading photos"))
		}
		_ = bar.Set(done)
	})
	if bar != nil {
		_ = bar.Finish()
		fmt.Fprintln(env.Stderr)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "%s installed at %s: embeddings of %d held-out photos match %s's with mean cosine %.4f (lowest %.4f); use it with --model %s\n",
		embed.Int8(spec).Name, path, fid.Photos, name, fid.MeanCosine, fid.MinCosine, embed.Int8(spec).Name)
	return nil
}
