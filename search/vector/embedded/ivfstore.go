package embedded

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// When the store builds and refreshes its IVF index. Training reads the
// vectors for seconds, so it runs in a background goroutine holding wmu:
// writers wait (nothing may move slots under the trainer), searches go on
// against the old index or the exact scan. New and changed records sit in
// the tail (scanned on every search) until absorbed into their nearest
// lists; the centroids are retrained once the store has changed by more
// records than it held when they were trained.

// absorbAt is the tail length that triggers an absorb. Every search scans
// the whole tail, and a calibrated probe can be a few hundred records
// (100k×2048: 2 lists), so the tail is kept to n/256 (at least 256): an
// absorb assigns each record exactly, 20 ms for 256 at 100k×2048.
func absorbAt(n int) int { return max(256, n/256) }

// relayoutAt is how many absorbed records (placed in lists out of order)
// trigger a new layout. A probe streams each list's records when they are
// contiguous; scattered, they cost about twice as much: 1M×512 filled
// through Upsert, its index trained at 702k and the rest absorbed, p50
// 2.8 ms, 1.3 ms once laid out again (the records moved in place under
// the lock: 0.3 s at 400k×512, 1 s at 922k).
func relayoutAt(n int) int { return max(absorbAt(n), n/8) }

// ivfWork returns the index maintenance due now, or nil. Caller holds wmu.
func (s *Store) ivfWork() func() {
	x := s.idx
	switch n := x.len(); {
	case !indexed(n, x.dim):
		return nil
	case x.ivf == nil || x.ivf.stale > x.ivf.built || s.retrain:
		return s.rebuildIVF
	case len(x.ivf.lists[x.ivf.tail()]) >= absorbAt(n):
		return s.absorbIVF
	case x.ivf.moved >= relayoutAt(n):
		return s.relayoutIVF
	case x.ivf.codes == nil && signCodable(x.ivf, x.dim), x.ivf.i8 == nil && int8Codable(x.dim):
		return s.encodeIVF
	case x.ivf.cal == (calibration{}), n >= recalibrateAt(x.ivf.cal.at):
		return s.calibrateIVF
	}
	return nil
}

// maintainIVF starts a background goroutine for any due maintenance.
// Caller holds wmu.
func (s *Store) maintainIVF() {
	if s.ivfBusy || s.closed || s.readOnly || s.ivfWork() == nil {
		return
	}
	s.ivfBusy = true
	go func() {
		s.wmu.Lock()
		defer s.wmu.Unlock()
		s.ivfBusy = false
		if s.closed {
			return
		}
		// One item can make the next due (training leaves the codes to
		// encodeIVF), so run until none is.
		for work := s.ivfWork(); work != nil && !s.closed; work = s.ivfWork() {
			work()
		}
	}()
}

// rebuildIVF trains a new index over every record and installs it with
// the records laid out list by list (ivflayout.go). Caller holds wmu.
func (s *Store) rebuildIVF() {
	start := time.Now()
	v := trainIVF(s.idx)
	l := listOrder(s.idx, v)
	trained := time.Now()
	s.lockIndex()
	s.idx.installLayout(l)
	s.mu.Unlock()
	s.reordered, s.retrain = true, false
	s.log.Debug("built IVF index", "records", v.built, "lists", v.nlist, "took", since(start), "laid out in", since(trained))
}

// encodeIVF computes the sign and byte codes of a newly trained or loaded
// index: half a second at 100k×2048, which Open would otherwise spend
// before returning. Until they exist, selective filters use the exact scan
// and probes the float vectors. Caller holds wmu.
func (s *Store) encodeIVF() {
	start := time.Now()
	v := s.idx.ivf
	var c *signCodes
	if signCodable(v, s.idx.dim) {
		c = newSignCodes(v.mean, s.idx.len())
		c.encodeAll(s.idx)
	}
	var b *int8Codes
	if int8Codable(s.idx.dim) {
		b = newInt8Codes(s.idx.dim, s.idx.len())
		b.encodeAll(s.idx)
	}
	s.lockIndex()
	v.codes, v.i8 = c, b
	s.mu.Unlock()
	s.log.Debug("encoded IVF records", "records", s.idx.len(), "took", since(start))
}

// signCodable reports whether v's records get sign codes: their dimension
// suits them and v has the mean they are taken around.
func signCodable(v *ivf, dim int) bool { return codable(dim) && len(v.mean) == dim }

// calibrateIVF measures the probe counts of a newly trained index, of one
// grown by a quarter since, or of one loaded from a file that predates
// calibration: 1 s of CPU at 100k×2048, 3 s on two cores at 1M×512
// (TestIVFUpsertFillFigures). Until then searches probe defaultProbeFrac
// of the lists. Caller holds wmu.
func (s *Store) calibrateIVF() {
	start := time.Now()
	v := s.idx.ivf
	c := v.calibrate(s.idx)
	s.lockIndex()
	v.cal = c
	s.mu.Unlock()
	s.log.Debug("calibrated IVF probes", "lists", v.nlist, "top10", c.probe10, "top100", c.probe100, "records", c.at, "took", since(start))
}

// absorbIVF moves the tail into the lists of the nearest centroids. Caller
// holds wmu.
func (s *Store) absorbIVF() {
	start := time.Now()
	v := s.idx.ivf
	tail := slices.Clone(v.lists[v.tail()])
	to := v.assignAll(s.idx, tail)
	s.lockIndex()
	for i, sl := range tail {
		v.unlink(sl)
		v.place(sl, to[i])
	}
	v.moved += len(tail)
	s.mu.Unlock()
	s.log.Debug("absorbed IVF tail", "records", len(tail), "took", since(start))
}

// relayoutIVF renumbers the records list by list again, as training does,
// once absorbs have scattered enough of them. The slot-indexed codes move
// with the records (installLayout). Caller holds wmu.
func (s *Store) relayoutIVF() {
	start := time.Now()
	l := listOrder(s.idx, s.idx.ivf)
	l.v.moved = 0
	s.lockIndex()
	s.idx.installLayout(l)
	s.mu.Unlock()
	s.reordered = true
	s.log.Debug("laid IVF lists out again", "records", len(l.order), "took", since(start))
}

// loadIVF attaches the saved index if it matches the snapshot just read.
func (s *Store) loadIVF() {
	path := filepath.Join(s.dir, ivfFile)
	v, err := readIVF(path, s.gen, s.idx.len(), s.model.Dim)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		s.log.Warn("ignoring saved IVF index; it will be rebuilt", "file", path, "err", err)
	default:
		s.idx.ivf = v // its sign codes follow (encodeIVF)
	}
}

// saveIVF writes the index for snapshot generation gen (absorbing the tail
// first), or removes a saved one if there is no index. Failures only cost a
// rebuild on the next Open, so they are logged. Caller holds wmu.
func (s *Store) saveIVF(gen uint64) {
	path := filepath.Join(s.dir, ivfFile)
	if s.idx.ivf == nil {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			s.log.Warn("remove stale IVF index", "err", err)
		}
		return
	}
	if len(s.idx.ivf.lists[s.idx.ivf.tail()]) > 0 {
		s.absorbIVF()
	}
	if err := writeIVF(path+tmpSuffix, gen, s.idx.ivf); err != nil {
		s.log.Warn("save IVF index", "err", err)
		return
	}
	if err := os.Rename(path+tmpSuffix, path); err != nil {
		s.log.Warn("save IVF index", "err", err)
	}
}

// since is the time elapsed since start, rounded for the debug log.
func since(start time.Time) time.Duration { return time.Since(start).Round(time.Millisecond) }
