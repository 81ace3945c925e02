package embedded

import (
	"context"
	"time"
)

// WaitIndexed returns once no IVF maintenance is due or running, so a
// benchmark measures the steady state after a bulk load rather than
// searches competing with the training that load set off (as the Milvus
// store's WaitIndexed waits for the server's index build).
func (s *Store) WaitIndexed(ctx context.Context) error {
	for {
		if err := s.lockWriter(ctx); err != nil {
			return err
		}
		s.maintainIVF()
		busy := s.ivfBusy
		s.wmu.Unlock()
		if !busy {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// lockWriter takes wmu, or gives up when ctx ends: a training holds wmu
// for tens of seconds at 1M records, and a caller that may be cancelled
// must not block behind it.
func (s *Store) lockWriter(ctx context.Context) error {
	for !s.wmu.TryLock() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}
