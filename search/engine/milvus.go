package engine

import (
	"context"
	"fmt"

	"github.com/simili/simili/search/vector"
)

func milvusKey(url string) (string, error) {
	return "", fmt.Errorf("milvus store not built yet: %s", url)
}

func openMilvus(ctx context.Context, url string, m vector.Model) (vector.Store, error) {
	return nil, fmt.Errorf("milvus store not built yet: %s", url)
}
