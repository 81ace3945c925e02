package engine

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/simili/simili/library/facet"
	"github.com/simili/simili/search/eval"
)

// Evaluate indexes dir (incrementally) and runs the leave-one-out retrieval
// evaluation described by dir/groups.csv through the active vector store.
func (e *Engine) Evaluate(ctx context.Context, dir string, opt IndexOptions) (eval.Report, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return eval.Report{}, fmt.Errorf("eval folder %s: %w", dir, err)
	}
	groups, err := eval.ReadGroups(filepath.Join(abs, "groups.csv"))
	if err != nil {
		return eval.Report{}, err
	}
	res, err := e.Index(ctx, []string{abs}, opt)
	if err != nil {
		return eval.Report{}, err
	}
	if res.Pending > 0 {
		return eval.Report{}, fmt.Errorf("%d photos have not reached the vector store %s: run `simili sync` first", res.Pending, e.storeKey)
	}
	ids := map[string]int64{}
	for name := range groups {
		p, err := e.cat.PhotoByPath(ctx, filepath.Join(abs, filepath.FromSlash(name)))
		if err != nil {
			return eval.Report{}, fmt.Errorf("ground-truth photo %s: %w", name, err)
		}
		ids[name] = p.ID
	}
	names := make(map[int64]string, len(ids))
	for n, id := range ids {
		names[id] = n
	}
	filter := facet.Filter{Folder: abs}
	return eval.Run(ctx, groups, func(ctx context.Context, q string) ([]string, error) {
		matches, err := e.SimilarToPhoto(ctx, ids[q], SimilarQuery{K: len(ids), Filter: filter})
		if err != nil {
			return nil, err
		}
		out := make([]string, 0, len(matches))
		for _, m := range matches {
			if n, ok := names[m.Photo.ID]; ok {
				out = append(out, n)
			}
		}
		return out, nil
	})
}
