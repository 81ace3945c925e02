package cluster

import (
	"context"
	"runtime"
	"sync"
)

// simMatrix is a dense symmetric matrix of pairwise cosine similarities.
type simMatrix struct {
	n int
	s []float32
}

func (m *simMatrix) at(i, j int) float32     { return m.s[i*m.n+j] }
func (m *simMatrix) set(i, j int, v float32) { m.s[i*m.n+j], m.s[j*m.n+i] = v, v }

// newSimMatrix computes all pairwise similarities, rows split over the
// CPUs. It checks ctx between rows so a cancelled view stops quickly.
func newSimMatrix(ctx context.Context, items []Item) (*simMatrix, error) {
	n := len(items)
	m := &simMatrix{n: n, s: make([]float32, n*n)}
	rows := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rows {
				m.s[i*n+i] = 1
				for j := i + 1; j < n; j++ {
					v := dot(items[i].Vec, items[j].Vec)
					m.s[i*n+j] = v
					m.s[j*n+i] = v
				}
			}
		}()
	}
	var err error
	for i := 0; i < n; i++ {
		if err = ctx.Err(); err != nil {
			break
		}
		rows <- i
	}
	close(rows)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	return m, nil
}
