package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/simili/simili/search/vector"
	"github.com/simili/simili/search/vector/milvus"
)

// milvusSearch measures the Milvus store (HNSW, the default index) at
// 100k × 512 with the same data, queries and exact ground truth as the
// embedded store. Its memory is the server's, so store_rss_mb stays 0.
func milvusSearch(ctx context.Context, o Options, r *Report, logf func(string, ...any)) error {
	cfg, err := milvus.ParseURL("milvus://" + o.MilvusAddr)
	if err != nil {
		return err
	}
	cfg.CollectionPrefix = fmt.Sprintf("bench%d", time.Now().Unix())
	cfg.BatchSize = 2000
	const n, dim = 100_000, 512
	var last *milvus.Store
	opens := 0
	open := func(ctx context.Context, m vector.Model) (vector.Store, error) {
		s, err := milvus.Open(ctx, cfg, m)
		if err != nil {
			return nil, err
		}
		last = s
		if opens++; opens == 1 {
			logf("milvus: the fill waits for the server to index the vectors")
			return indexedFlush{s}, nil
		}
		return s, nil
	}
	logf("search: milvus store %s, %d × %d", cfg.Redacted(), n, dim)
	rows, err := Search(ctx, "milvus", open, n, dim, o.Queries, int64(n+dim), truthDir(o), logf)
	if last != nil {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		s, oerr := milvus.Open(dctx, cfg, last.Model())
		if oerr == nil {
			if derr := s.DropCollection(dctx); derr != nil {
				logf("milvus: drop the bench collection: %v", derr)
			}
			s.Close()
		}
		cancel()
	}
	if err != nil {
		return err
	}
	for i := range rows {
		rows[i].StoreRSSMB = 0
	}
	r.Milvus = append(r.Milvus, rows...)
	return nil
}
