package engine

import (
	"context"

	"github.com/simili/simili/search/vector"
	"github.com/simili/simili/search/vector/milvus"
)

// milvusKey names a Milvus store in the catalog's sync state. It leaves out
// credentials (they change without the data changing) but keeps address,
// database and prefix, which do say where the vectors live.
func milvusKey(url string) (string, error) {
	cfg, err := milvus.ParseURL(url)
	if err != nil {
		return "", err
	}
	return cfg.Redacted(), nil
}

func openMilvus(ctx context.Context, url string, m vector.Model, lib string) (vector.Store, error) {
	cfg, err := milvus.ParseURL(url)
	if err != nil {
		return nil, err
	}
	cfg.Library = lib
	return milvus.Open(ctx, cfg, m)
}
