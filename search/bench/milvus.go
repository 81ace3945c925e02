package bench

import (
	"context"
	"errors"
)

// milvusSearch measures the Milvus store at 100k × 512.
func milvusSearch(ctx context.Context, o Options, r *Report, logf func(string, ...any)) error {
	return errors.New("the Milvus store is not built yet")
}
