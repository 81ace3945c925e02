package embedded

import "context"

// optimizeBelow is the share of the records an index must have been trained
// on for Optimize to leave it be. The store retrains by itself only once
// the records have doubled since the last training, so a bulk load ends
// with an index trained on between half and all of them: 1M×512 filled
// through Upsert was trained at 702k, the rest absorbed into its lists,
// and needed 168–232 probed lists (p50 2.75 ms) where a training on all
// of them needs about 150 (p50 1.2–1.5 ms).
const optimizeBelow = 0.75

// Reindex trains the IVF index again on every record, lays the records out
// list by list, and measures the probe counts, as the store does by itself
// after enough writes. The work runs in the background maintenance
// goroutine and Reindex waits for it: a cancelled ctx returns early, the
// training finishes (Close waits for it) and searches meanwhile use the
// previous index. A store too small for an index has nothing to do.
func (s *Store) Reindex(ctx context.Context) error {
	return s.retrainIf(ctx, func(*ivf, int) bool { return true })
}

// Optimize retrains the index if it was trained on fewer than
// optimizeBelow of the records, and waits for any maintenance due; the
// engine calls it when a scan has written vectors.
func (s *Store) Optimize(ctx context.Context) error {
	return s.retrainIf(ctx, func(v *ivf, n int) bool { return float64(v.built) < optimizeBelow*float64(n) })
}

func (s *Store) retrainIf(ctx context.Context, due func(v *ivf, n int) bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.lockWriter(ctx); err != nil {
		return err
	}
	if err := s.writable(); err != nil {
		s.wmu.Unlock()
		return err
	}
	if v, n := s.idx.ivf, s.idx.len(); v != nil && indexed(n, s.idx.dim) && due(v, n) {
		s.retrain = true
	}
	s.wmu.Unlock()
	return s.WaitIndexed(ctx)
}
