package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/simili/simili/search/engine"
	"github.com/simili/simili/search/vector"
)

func runSimilar(ctx context.Context, env Env, args []string) error {
	var (
		c      common
		f      filterFlags
		k      int
		asJSON bool
		opt    vector.SearchOptions
	)
	fs := newFlags(env, "similar", "[flags] IMAGE")
	c.register(fs)
	f.register(fs)
	fs.IntVar(&k, "k", 10, "number of results")
	fs.BoolVar(&asJSON, "json", false, "print JSON")
	fs.IntVar(&opt.Ef, "ef", 0, "HNSW search breadth (Milvus)")
	fs.IntVar(&opt.Nprobe, "nprobe", 0, "IVF clusters to probe (Milvus)")
	pos, help, err := handleParse(fs, args)
	if help || err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: similar needs exactly one image file", ErrUsage)
	}
	if k <= 0 {
		return fmt.Errorf("%w: -k %d: the number of results must be at least 1", ErrUsage, k)
	}
	if opt.Ef < 0 || opt.Nprobe < 0 {
		return fmt.Errorf("%w: --ef and --nprobe must not be negative (0 = the store's default)", ErrUsage)
	}
	filter, err := f.Filter()
	if err != nil {
		return err
	}
	c.over.ReadOnlyStore = true // search only: works while `simili index` holds the store
	e, err := c.open(ctx, env)
	if err != nil {
		return err
	}
	defer e.Close()
	matches, err := e.SimilarToFile(ctx, pos[0], engine.SimilarQuery{K: k, Filter: filter, Options: opt})
	if err != nil {
		return err
	}
	if lag, err := e.StoreLag(ctx); err == nil && lag > 0 {
		fmt.Fprintf(env.Stderr, "warning: the vector store lags the catalog by %s, which this search cannot find — run `simili sync` (details: simili stats)\n", plural(lag, "photo"))
	}
	if asJSON {
		return writeMatchesJSON(env.Stdout, matches)
	}
	return writeMatches(env.Stdout, matches)
}

// matchJSON is the stable JSON shape of one result.
type matchJSON struct {
	ID      int64   `json:"id"`
	Path    string  `json:"path"`
	Score   float32 `json:"score"`
	TakenAt string  `json:"taken_at,omitempty"`
	Make    string  `json:"make,omitempty"`
	Model   string  `json:"model,omitempty"`
	Lens    string  `json:"lens,omitempty"`
}

func writeMatchesJSON(w io.Writer, ms []engine.Match) error {
	out := make([]matchJSON, len(ms))
	for i, m := range ms {
		out[i] = matchJSON{ID: m.Photo.ID, Path: m.Photo.Path, Score: m.Score, Make: m.Photo.Make, Model: m.Photo.Model, Lens: m.Photo.Lens}
		if !m.Photo.TakenAt.IsZero() {
			out[i].TakenAt = m.Photo.TakenAt.Format(time.DateTime)
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func writeMatches(w io.Writer, ms []engine.Match) error {
	if len(ms) == 0 {
		fmt.Fprintln(w, "no matching photos")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tSCORE\tTAKEN\tCAMERA\tPATH")
	for i, m := range ms {
		fmt.Fprintf(tw, "%d\t%.4f\t%s\t%s\t%s\n", i+1, m.Score, date(m.Photo.TakenAt), m.Photo.Model, m.Photo.Path)
	}
	return tw.Flush()
}

func date(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format(time.DateTime)
}
