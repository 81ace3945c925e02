// Package scan indexes library folders: it walks them, recognises images by
// content, reads EXIF, makes thumbnails, runs the embedding model and records
// everything in the catalog, then hands vectors to the vector store.
//
// Scans are incremental and resumable: every file is committed as soon as it
// is done, an unchanged file (same size and mtime) is not read again, a moved
// file is recognised by its content hash and keeps its embedding, and a file
// that left the disk leaves the catalog and the store at the end of a
// complete scan, unless its library folder's disk is away (roots.go): then
// the folder is offline and its photos are kept.
package scan

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/simili/simili/library/catalog"
	"github.com/simili/simili/library/facet"
	"github.com/simili/simili/library/imagefile"
	"github.com/simili/simili/library/meta"
	"github.com/simili/simili/library/signature"
	"github.com/simili/simili/library/thumb"
)

// Embedder turns an upright image into an L2-normalised vector.
type Embedder interface {
	// ModelName names the embedding space; vectors of different models
	// are never mixed.
	ModelName() string
	// InputSize is the side of the model's square input, so images need
	// not be decoded at more than that.
	InputSize() int
	Embed(img image.Image) ([]float32, error)
}

// Sink takes the scan's changes to a vector store. The catalog stays the
// source of truth: a sink that cannot reach its store keeps the work
// pending and reports it through Offline and Pending.
type Sink interface {
	// Reconcile queues whatever the store is known to lack before the scan.
	Reconcile(ctx context.Context) (bool, error)
	Upsert(ctx context.Context, id int64, vec []float32, m facet.Meta) error
	Delete(ctx context.Context, ids []int64) error
	// Flush sends what is queued.
	Flush(ctx context.Context) error
	// Offline is the error that made the store unreachable in this run.
	Offline() error
	// Pending counts the operations the store has not received.
	Pending(ctx context.Context) (int, error)
}

// Options configures a scan. Catalog and Thumbs are required.
type Options struct {
	Catalog  *catalog.Catalog
	Thumbs   *thumb.Cache
	Embedder Embedder // nil: catalogue and thumbnail only
	Sync     Sink     // nil: no vector store
	Workers  int      // 0: one per CPU
	// MaxPixels and MaxFileBytes bound what one file may cost; larger files
	// are recorded as failures instead of exhausting memory.
	MaxPixels    int
	MaxFileBytes int64
	// Progress, when set, receives snapshots at most every ProgressEvery
	// and once at the end.
	Progress      func(Progress)
	ProgressEvery time.Duration
	// OnProblem, when set, is told about every skipped or failed file as it
	// happens (they are also logged).
	OnProblem func(Problem)
	Log       *slog.Logger
	// Paths, when set, limits the scan to these files and folders under
	// the roots (the folder watcher's changes, see paths.go): a folder is
	// walked, a file is looked at alone, and the photos of a path that is
	// gone leave the catalog, unless its root is missing.
	Paths []string
	// Device returns the device number (st_dev) of a path; nil: os.Stat.
	// Tests replace it to simulate disks coming and going.
	Device func(path string) (uint64, error)
}

// Problem is a file the scan skipped or could not index.
type Problem struct {
	Path   string
	Failed bool   // false: skipped
	Reason string // e.g. "not-an-image", "decode", "too-large", "unreadable-folder"
	Err    error  // nil for plain skips
}

// DefaultMaxFileBytes bounds the size of one image file.
const DefaultMaxFileBytes = 1 << 30

// Result is how a scan ended.
type Result struct {
	Progress
	ScanID    int64
	Cancelled bool
	// StoreOffline is set when the vector store could not be reached: the
	// vectors are kept pending in the catalog for `simili sync`.
	StoreOffline error
	// Offline lists the library folders whose disk was away: their photos
	// were kept, not deleted.
	Offline []OfflineRoot
}

type job struct {
	c        candidate
	existing *catalog.FileState // set when the path is catalogued
}

type outcome struct {
	c        candidate
	existing *catalog.FileState
	photo    *catalog.Photo
	vec      []float32 // new embedding, nil when reused or no embedder
	embedded bool      // the model ran
	skip     string    // reason when skipped
	fail     string    // reason when failed
	err      error
	sig      *signature.Signature // new content signature, nil when already stored
}

// Run scans roots. It returns when the scan is complete or ctx is cancelled
// (then Result.Cancelled is set and the error wraps ctx.Err()); in both
// cases everything processed so far is committed, so the next run resumes.
func Run(ctx context.Context, roots []string, opt Options) (Result, error) {
	if opt.Catalog == nil || opt.Thumbs == nil {
		return Result{}, errors.New("scan: catalog and thumbnail cache are required")
	}
	if opt.Workers <= 0 {
		opt.Workers = runtime.NumCPU()
	}
	if opt.MaxPixels <= 0 {
		opt.MaxPixels = imagefile.DefaultMaxPixels
	}
	if opt.MaxFileBytes <= 0 {
		opt.MaxFileBytes = DefaultMaxFileBytes
	}
	if opt.ProgressEvery <= 0 {
		opt.ProgressEvery = 200 * time.Millisecond
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	abs := make([]string, 0, len(roots))
	for _, r := range roots {
		a, err := filepath.Abs(r)
		if err != nil {
			return Result{}, fmt.Errorf("library folder %s: %w", r, err)
		}
		abs = append(abs, filepath.Clean(a))
	}
	s := &scanner{opt: opt, roots: abs, start: time.Now()}
	return s.run(ctx)
}

type scanner struct {
	opt   Options
	roots []string
	start time.Time
	gen   int64
	model string

	// bufs recycles the workers' file buffers (*[]byte): a 12-MP JPEG is
	// megabytes that would otherwise be allocated, zeroed and collected
	// for every file. Nothing a worker returns aliases its buffer.
	bufs sync.Pool

	mu       sync.Mutex // guards embedded, signed, prog
	embedded map[string]bool
	signed   map[string]bool // contents with a current signature
	prog     Progress
	lastSent time.Time

	unreadable []string // folders the walk could not read: nothing under them is deleted
	badRoots   map[string]bool
	fails      *failureTracker // recorded failures met again (failures.go)

	rootStates map[string]catalog.RootState // as recorded before this scan
	allRoots   []string                     // every library folder in the catalog
	checked    map[string]rootCheck         // disk checks done in this scan, by root
	offline    []OfflineRoot
}

func (s *scanner) run(ctx context.Context) (Result, error) {
	cat := s.opt.Catalog
	if s.opt.Embedder != nil {
		s.model = s.opt.Embedder.ModelName()
	}
	gen, err := cat.BeginScan(ctx, s.roots, s.model)
	if err != nil {
		return Result{}, err
	}
	s.gen = gen
	ended := false
	defer func() {
		if !ended { // an early return below: never leave the scan "running"
			_ = cat.EndScan(context.WithoutCancel(ctx), catalog.ScanRecord{ID: gen, State: "failed"})
		}
	}()
	for _, r := range s.roots {
		if err := cat.AddRoot(ctx, r); err != nil {
			return Result{}, err
		}
	}
	if err := s.checkRoots(ctx); err != nil {
		return Result{}, err
	}
	states, err := cat.FileStates(ctx)
	if err != nil {
		return Result{}, err
	}
	failures, err := cat.FailureStates(ctx)
	if err != nil {
		return Result{}, err
	}
	s.fails = newFailureTracker(failures)
	s.embedded = map[string]bool{}
	if s.model != "" {
		if s.embedded, err = cat.EmbeddedHashes(ctx, s.model); err != nil {
			return Result{}, err
		}
	}
	if s.signed, err = cat.SignedHashes(ctx); err != nil {
		return Result{}, err
	}
	// A scan of a few changed paths skips the whole-store comparison:
	// it costs more than the change (the full scans keep it).
	if s.opt.Sync != nil && len(s.opt.Paths) == 0 {
		if _, err := s.opt.Sync.Reconcile(ctx); err != nil {
			return Result{}, err
		}
	}

	jobs := make(chan job, 4*s.opt.Workers)
	outcomes := make(chan outcome, 4*s.opt.Workers)
	walkCtx, stopWalk := context.WithCancel(ctx)
	defer stopWalk()

	var walkErr error
	var unchanged []int64
	var unchangedMu sync.Mutex
	go func() {
		defer close(jobs)
		s.setProgress(func(p *Progress) { p.Walking = true })
		w := &walker{
			visited: map[dirKey]bool{},
			onSkip: func(path, reason string, err error) {
				s.opt.Log.Warn("skipped", "path", path, "reason", reason, "err", err)
				s.problem(Problem{Path: path, Reason: reason, Err: err})
				if recordedReason(reason) || (reason == "unreadable" && namedLikePhoto(path)) {
					s.recordFolderProblem(ctx, path, reason, err)
				}
				if reason == "unreadable-folder" {
					s.mu.Lock()
					s.unreadable = append(s.unreadable, path)
					s.mu.Unlock()
				}
			},
			onFile: func(c candidate) error {
				s.fails.meet(c.path)
				if st, ok := states[c.path]; ok {
					if st.Size == c.size && st.ModTime.Equal(c.modTime) && !s.needsWork(st.Hash) {
						unchangedMu.Lock()
						unchanged = append(unchanged, st.ID)
						unchangedMu.Unlock()
						s.setProgress(func(p *Progress) { p.Found++; p.Unchanged++; p.Current = c.path })
						return nil
					}
					st := st
					return s.send(walkCtx, jobs, job{c: c, existing: &st})
				}
				if f, ok := failures[c.path]; ok && f.Size == c.size && f.ModTime.Equal(c.modTime) {
					s.setProgress(func(p *Progress) { p.Found++; p.Skipped++; p.Current = c.path })
					return nil
				}
				return s.send(walkCtx, jobs, job{c: c})
			},
		}
		s.badRoots = map[string]bool{}
		if len(s.opt.Paths) > 0 {
			s.walkPaths(walkCtx, w)
			s.setProgress(func(p *Progress) { p.Walking = false })
			return
		}
		for _, r := range s.roots {
			if s.checked[r].offline != nil {
				continue // its disk is away: nothing to walk, nothing to remove
			}
			if err := w.walkRoot(walkCtx, r); err != nil {
				if walkCtx.Err() != nil {
					return
				}
				// A missing root (an unplugged disk) must not delete its photos.
				s.opt.Log.Warn("library folder skipped", "root", r, "err", err)
				s.mu.Lock()
				s.badRoots[r] = true
				walkErr = errors.Join(walkErr, err)
				s.mu.Unlock()
			}
		}
		s.setProgress(func(p *Progress) { p.Walking = false })
	}()

	var wg sync.WaitGroup
	for i := 0; i < s.opt.Workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if ctx.Err() != nil {
					continue // drain
				}
				outcomes <- s.process(j)
			}
		}()
	}
	go func() { wg.Wait(); close(outcomes) }()

	// Writes use a context that survives cancellation: work that finished
	// before the cancel is committed, so nothing computed is thrown away.
	wctx := context.WithoutCancel(ctx)
	var writeErr error
	for o := range outcomes {
		if writeErr != nil {
			continue
		}
		if err := s.commit(wctx, o); err != nil {
			writeErr = err
			stopWalk()
		}
		unchangedMu.Lock()
		seen := unchanged
		if len(seen) >= 512 {
			unchanged = nil
		} else {
			seen = nil
		}
		unchangedMu.Unlock()
		if len(seen) > 0 && writeErr == nil {
			writeErr = s.opt.Catalog.MarkSeen(wctx, seen, s.gen)
		}
		s.maybeReport(false)
	}
	bg := wctx
	if writeErr == nil && len(unchanged) > 0 {
		writeErr = s.opt.Catalog.MarkSeen(bg, unchanged, s.gen)
	}
	if s.opt.Sync != nil && writeErr == nil {
		writeErr = s.opt.Sync.Flush(bg)
	}

	cancelled := ctx.Err() != nil
	if writeErr == nil && !cancelled {
		if len(s.opt.Paths) > 0 {
			writeErr = s.removeGonePaths(ctx)
		} else {
			writeErr = s.removeGone(ctx)
			if writeErr == nil {
				writeErr = s.forgetStaleFailures(bg)
			}
		}
	}
	if s.opt.Sync != nil && writeErr == nil {
		if s.opt.Sync.Offline() == nil {
			if err := s.opt.Sync.Flush(bg); err != nil {
				writeErr = err
			}
		}
		n, err := s.opt.Sync.Pending(bg)
		if err == nil {
			s.setProgress(func(p *Progress) { p.Pending = n })
		}
	}

	state := "complete"
	switch {
	case writeErr != nil:
		state = "failed"
	case cancelled:
		state = "cancelled"
	}
	s.setProgress(func(p *Progress) { p.Done = true })
	final := s.snapshot()
	ended = true
	if err := s.opt.Catalog.EndScan(bg, catalog.ScanRecord{ID: s.gen, State: state, Found: final.Found,
		Processed: final.Processed, Skipped: final.Skipped, Failed: final.Failed}); err != nil && writeErr == nil {
		writeErr = err
	}
	s.maybeReport(true)
	res := Result{Progress: final, ScanID: s.gen, Cancelled: cancelled, Offline: s.offline}
	if s.opt.Sync != nil {
		res.StoreOffline = s.opt.Sync.Offline()
	}
	switch {
	case writeErr != nil:
		return res, fmt.Errorf("scan: %w", writeErr)
	case cancelled:
		return res, fmt.Errorf("scan cancelled after %d files (run again to resume): %w", final.Handled(), ctx.Err())
	case walkErr != nil:
		return res, fmt.Errorf("scan finished, but: %w", walkErr)
	}
	return res, nil
}

func (s *scanner) problem(p Problem) {
	if s.opt.OnProblem != nil {
		s.opt.OnProblem(p)
	}
}

func (s *scanner) send(ctx context.Context, jobs chan<- job, j job) error {
	s.setProgress(func(p *Progress) { p.Found++ })
	select {
	case jobs <- j:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// needsWork reports whether an unchanged file still lacks an embedding for
// the current model, a content signature or a thumbnail.
func (s *scanner) needsWork(hash string) bool {
	if !s.hasSignature(hash) {
		return true
	}
	if s.model != "" {
		s.mu.Lock()
		ok := s.embedded[hash]
		s.mu.Unlock()
		if !ok {
			return true
		}
	}
	return !s.opt.Thumbs.Has(hash)
}

func (s *scanner) setProgress(fn func(*Progress)) {
	s.mu.Lock()
	fn(&s.prog)
	s.mu.Unlock()
}

func (s *scanner) snapshot() Progress {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.prog.update(s.start)
	return s.prog
}

func (s *scanner) maybeReport(force bool) {
	if s.opt.Progress == nil {
		return
	}
	if !force && time.Since(s.lastSent) < s.opt.ProgressEvery {
		return
	}
	s.lastSent = time.Now()
	s.opt.Progress(s.snapshot())
}

// process reads one file and prepares everything the catalog needs. It runs
// on a worker goroutine and touches neither the catalog nor the store.
func (s *scanner) process(j job) outcome {
	o := outcome{c: j.c, existing: j.existing}
	bp, _ := s.bufs.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	data, err := imagefile.ReadFileInto(j.c.path, s.opt.MaxFileBytes, *bp)
	defer func() {
		if data != nil {
			*bp = data[:0]
		}
		if cap(*bp) <= maxPooledBuffer {
			s.bufs.Put(bp)
		}
	}()
	if err != nil {
		o.fail, o.err = failReason(err), err
		return o
	}
	format, ok := imagefile.Sniff(data)
	if !ok {
		if o.fail, o.err = notAnImage(j.c.path, len(data)); o.fail == "" {
			o.skip = "not-an-image"
		}
		return o
	}
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])

	m, merr := meta.Read(bytes.NewReader(data))
	warning := ""
	if merr != nil && !errors.Is(merr, meta.ErrNoEXIF) {
		warning = merr.Error()
		s.opt.Log.Warn("EXIF only partly readable", "path", j.c.path, "err", merr)
	}
	p := &catalog.Photo{
		Path: j.c.path, Folder: filepath.Dir(j.c.path), Size: j.c.size, ModTime: j.c.modTime,
		Hash: hash, Format: string(format),
		TakenAt: m.TakenAt, TakenAtSource: string(m.TakenAtSource),
		Make: m.Make, Model: m.Model, Lens: m.Lens,
		FocalLengthMM: m.FocalLengthMM, FNumber: m.FNumber, ExposureSec: m.ExposureSec, ISO: m.ISO,
		Orientation: m.Orientation, ExifWarning: warning,
	}
	if m.GPS != nil {
		p.GPS = &catalog.GPS{Lat: m.GPS.Lat, Lon: m.GPS.Lon}
	}
	if p.TakenAt.IsZero() {
		p.TakenAt, p.TakenAtSource = j.c.modTime.UTC().Truncate(time.Second), "mtime"
	}

	s.mu.Lock()
	needEmbed := s.model != "" && !s.embedded[hash]
	s.mu.Unlock()
	needThumb := !s.opt.Thumbs.Has(hash)
	needSig := !s.hasSignature(hash)

	// The size comes from the header: the decode below may run at a
	// reduced scale.
	cfg, _, cfgErr := imagefile.DecodeConfig(data)
	if cfgErr == nil {
		p.Width, p.Height = cfg.Width, cfg.Height
		if orientationSwaps(imagefile.EffectiveOrientation(m.Orientation, m.PixelWidth, m.PixelHeight, cfg.Width, cfg.Height)) {
			p.Width, p.Height = p.Height, p.Width
		}
		if !needEmbed && !needThumb && !needSig {
			o.photo = p
			return o
		}
	}

	img, err := Upright(data, m, s.opt.MaxPixels, s.minSide())
	if err != nil {
		o.fail, o.err = failReason(err), err
		return o
	}
	if cfgErr != nil {
		p.Width, p.Height = img.Bounds().Dx(), img.Bounds().Dy()
	}
	if needThumb {
		if err := s.opt.Thumbs.Write(hash, img); err != nil {
			o.fail, o.err = "thumbnail", err
			return o
		}
	}
	if needSig {
		sig := signature.Compute(img) // from the decode above: no second one
		o.sig = &sig
	}
	if needEmbed {
		vec, err := s.opt.Embedder.Embed(img)
		if err != nil {
			o.fail, o.err = "embed", err
			return o
		}
		o.vec, o.embedded = vec, true
	}
	o.photo = p
	return o
}

// maxPooledBuffer bounds the file buffers kept for reuse: a rare huge
// file's buffer is left to the collector rather than held for the scan.
const maxPooledBuffer = 64 << 20

// minSide is how small a photo may be decoded: what the model needs when
// there is one (the thumbnail is made from the same reduced image), else
// the thumbnail size.
func (s *scanner) minSide() int {
	if s.opt.Embedder != nil {
		return PrepSide(s.opt.Embedder.InputSize())
	}
	return s.opt.Thumbs.Size()
}

func orientationSwaps(o int) bool { return o >= 5 && o <= 8 }

func failReason(err error) string {
	switch {
	case errors.Is(err, imagefile.ErrTooLarge):
		return "too-large"
	case errors.Is(err, imagefile.ErrBlank):
		return "blank-decode"
	case errors.Is(err, imagefile.ErrUnsupported):
		return "unsupported"
	case errors.Is(err, os.ErrPermission):
		return "permission"
	case errors.Is(err, os.ErrNotExist):
		return "vanished"
	}
	return "decode"
}

// commit records one outcome in the catalog and queues its vector. It runs
// on the scan's single writer goroutine.
func (s *scanner) commit(ctx context.Context, o outcome) error {
	cat := s.opt.Catalog
	switch {
	case o.skip != "":
		s.setProgress(func(p *Progress) { p.Skipped++; p.Current = o.c.path })
		s.opt.Log.Debug("skipped", "path", o.c.path, "reason", o.skip)
		s.problem(Problem{Path: o.c.path, Reason: o.skip})
		return nil
	case o.fail != "":
		s.opt.Log.Warn("failed", "path", o.c.path, "reason", o.fail, "err", o.err)
		s.problem(Problem{Path: o.c.path, Failed: true, Reason: o.fail, Err: o.err})
		s.setProgress(func(p *Progress) { p.Failed++; p.Current = o.c.path })
		return cat.PutFailure(ctx, catalog.Failure{Path: o.c.path, Size: o.c.size, ModTime: o.c.modTime, Reason: o.fail, Message: o.err.Error()})
	}
	p := o.photo
	moved := false
	if o.existing != nil {
		p.ID = o.existing.ID
	} else if prev, err := s.movedFrom(ctx, p); err != nil {
		return err
	} else if prev != 0 {
		p.ID, moved = prev, true
	}
	if err := cat.PutPhoto(ctx, p, s.gen); err != nil {
		return err
	}
	if err := s.putSignature(ctx, p.Hash, o.sig); err != nil {
		return err
	}
	if o.vec != nil {
		if err := cat.PutEmbedding(ctx, p.Hash, s.model, o.vec); err != nil {
			return err
		}
		s.mu.Lock()
		s.embedded[p.Hash] = true
		s.mu.Unlock()
	}
	s.setProgress(func(pr *Progress) {
		pr.Processed++
		pr.Current = p.Path
		if moved {
			pr.Moved++
		}
		if o.embedded {
			pr.Embedded++
		}
	})
	if s.opt.Sync == nil || s.model == "" {
		return nil
	}
	vec := o.vec
	if vec == nil {
		v, ok, err := cat.Embedding(ctx, p.Hash, s.model)
		if err != nil || !ok {
			return err
		}
		vec = v
	}
	return s.opt.Sync.Upsert(ctx, p.ID, vec, p.VectorMeta())
}

// movedFrom returns the id of a catalogued photo with the same content whose
// file is gone from a library folder that is online: the new path is that
// photo, moved or renamed. A photo on a disk that is away keeps its
// identity; the copy found here becomes a photo of its own.
func (s *scanner) movedFrom(ctx context.Context, p *catalog.Photo) (int64, error) {
	same, err := s.opt.Catalog.PhotosByHash(ctx, p.Hash)
	if err != nil {
		return 0, err
	}
	for _, old := range same {
		if old.Path == p.Path {
			continue
		}
		if _, err := os.Stat(old.Path); !errors.Is(err, os.ErrNotExist) {
			continue
		}
		away, err := s.rootOffline(ctx, old.Path)
		if err != nil {
			return 0, err
		}
		if away {
			continue // a file on a disk that is away is not gone: never take it over
		}
		return old.ID, nil
	}
	return 0, nil
}

// removeGone drops photos that a complete scan did not see, except under
// roots or folders that could not be read.
func (s *scanner) removeGone(ctx context.Context) error {
	cat := s.opt.Catalog
	for _, root := range s.roots {
		if s.badRoots[root] || s.checked[root].offline != nil {
			continue
		}
		gone, err := cat.Unseen(ctx, root, s.gen)
		if err != nil {
			return err
		}
		var ids []int64
		for _, p := range gone {
			if s.underUnreadable(p.Path) {
				continue
			}
			if _, err := os.Stat(p.Path); err == nil {
				continue // still there (e.g. failed to re-read this time): keep it
			}
			ids = append(ids, p.ID)
		}
		if len(ids) == 0 {
			continue
		}
		if err := cat.DeletePhotos(ctx, ids); err != nil {
			return err
		}
		if s.opt.Sync != nil && s.model != "" {
			if err := s.opt.Sync.Delete(ctx, ids); err != nil {
				return err
			}
		}
		for _, p := range gone {
			if others, err := cat.PhotosByHash(ctx, p.Hash); err == nil && len(others) == 0 {
				if err := s.opt.Thumbs.Remove(p.Hash); err != nil {
					s.opt.Log.Warn("could not remove thumbnail", "hash", p.Hash, "err", err)
				}
			}
		}
		s.setProgress(func(pr *Progress) { pr.Deleted += len(ids) })
	}
	return nil
}

func (s *scanner) underUnreadable(path string) bool {
	for _, d := range s.unreadable {
		if strings.HasPrefix(path, d+string(filepath.Separator)) {
			return true
		}
	}
	return false
}
