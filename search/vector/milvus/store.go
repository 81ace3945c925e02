package milvus

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/milvus-io/milvus-sdk-go/v2/client"
	"github.com/milvus-io/milvus-sdk-go/v2/entity"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/simili/simili/library/facet"
	"github.com/simili/simili/search/vector"
)

// Field names of the collection schema.
const (
	fID, fVector, fTaken, fHasDate = "id", "vector", "taken_at", "has_date"
	fMake, fModel, fLens, fFolder  = "camera_make", "camera_model", "lens", "folder"
	fHasGPS                        = "has_gps"
	// maxVarChar is the VarChar max_length of the string fields, in bytes;
	// longer values are stored cut to it (see storable).
	maxVarChar = 2048
	maxTopK    = 16384 // Milvus's limit on topK
	maxEf      = 32768 // Milvus's limit on HNSW ef
	// filteredEfFactor widens the default HNSW search under a filter.
	filteredEfFactor = 4
)

// Store is one model's collection on a Milvus server. Safe for concurrent
// use (the SDK client is).
type Store struct {
	cfg   Config
	model vector.Model
	name  string
	log   *slog.Logger

	mu sync.Mutex // guards cl against Close; gRPC itself reconnects
	cl client.Client

	// idPage is how many ids one query of IDs returns (Milvus caps a
	// query's limit at 16384); tests lower it to exercise the paging.
	idPage int
	// slowLog overrides slowCall (tests).
	slowLog time.Duration

	// Reads are Strong until one succeeds after the last delete; see
	// readLevel. deletes counts Delete and Drop calls; strongAt is 1 + the
	// value deletes had when the latest successful Strong read began.
	deletes, strongAt atomic.Int64
}

var (
	_ vector.Store    = (*Store)(nil)
	_ vector.IDLister = (*Store)(nil)
)

// CollectionName is the collection holding model's vectors.
func CollectionName(prefix string, m vector.Model) string {
	var b strings.Builder
	for _, r := range strings.ToLower(m.Name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return fmt.Sprintf("%s_%s_%d", prefix, b.String(), m.Dim)
}

// Open connects (retrying with backoff until ctx or cfg.ConnectTimeout ends) and
// makes sure the model's collection exists, is indexed and loaded.
// Connection failures wrap vector.ErrUnavailable.
func Open(ctx context.Context, cfg Config, m vector.Model) (*Store, error) {
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 500
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 5 * time.Second
	}
	s := &Store{cfg: cfg, model: m, name: CollectionName(cfg.CollectionPrefix, m), idPage: maxTopK, log: slog.Default().With("store", cfg.Redacted())}
	if err := s.connect(ctx); err != nil {
		return nil, err
	}
	if err := s.ensureCollection(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) connect(ctx context.Context) error {
	deadline := time.Now().Add(s.cfg.ConnectTimeout)
	wait := 200 * time.Millisecond
	for {
		cctx, cancel := context.WithTimeout(ctx, min(10*time.Second, time.Until(deadline)+time.Millisecond))
		cl, err := client.NewClient(cctx, client.Config{
			Address: s.cfg.Address, Username: s.cfg.Username, Password: s.cfg.Password,
			APIKey: s.cfg.Token, EnableTLSAuth: s.cfg.TLS, DBName: s.cfg.Database,
		})
		cancel()
		if err == nil {
			s.mu.Lock()
			s.cl = cl
			s.mu.Unlock()
			return nil
		}
		if ctx.Err() != nil || time.Now().Add(wait).After(deadline) {
			return fmt.Errorf("connect to %s: %w: %w", s.cfg.Redacted(), err, vector.ErrUnavailable)
		}
		s.log.Info("milvus not reachable yet; retrying", "in", wait, "err", err)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return fmt.Errorf("connect to %s: %w: %w", s.cfg.Redacted(), ctx.Err(), vector.ErrUnavailable)
		}
		wait = min(2*wait, 5*time.Second)
	}
}

func (s *Store) client() (client.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cl == nil {
		return nil, errClosed
	}
	return s.cl, nil
}

var errClosed = errors.New("milvus store is closed")

// wrap classifies an SDK error and says it plainly (errors.go): transport
// failures, time-outs and a server still starting up also wrap
// vector.ErrUnavailable (the caller keeps the work pending and retries
// later); anything else is a real failure.
func (s *Store) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	s.log.Debug("milvus call failed", "op", op, "err", err)
	return describe(op, s.cfg.Redacted(), s.name, err)
}

func unavailable(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, client.ErrClientNotReady) {
		return true
	}
	var se interface{ GRPCStatus() *status.Status }
	if errors.As(err, &se) {
		switch se.GRPCStatus().Code() {
		case codes.Unavailable, codes.DeadlineExceeded:
			return true
		}
	}
	// The SDK flattens some gRPC errors into plain text.
	msg := err.Error()
	for _, m := range []string{"connection refused", "code = Unavailable", "transport is closing", "connection reset", "no route to host"} {
		if strings.Contains(msg, m) {
			return true
		}
	}
	return false
}

// call runs fn with the configured per-call timeout.
func (s *Store) call(ctx context.Context, op string, fn func(ctx context.Context, cl client.Client) error) error {
	cl, err := s.client()
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	cctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	// Say what a slow call waits for instead of hanging silently (the
	// first call after a server restart takes ~25 s).
	slow := time.AfterFunc(s.slowAfter(), func() {
		s.log.Warn("waiting for Milvus: after a restart it serves a collection again only once its query node has caught up (about 25 s)",
			"op", op, "collection", s.name, "server", s.cfg.Redacted(), "timeout", s.cfg.Timeout)
	})
	defer slow.Stop()
	return s.wrap(op, fn(cctx, cl))
}

// slowAfter is how long a call may take before the store logs what it
// waits for.
func (s *Store) slowAfter() time.Duration {
	if s.slowLog > 0 {
		return s.slowLog
	}
	return slowCall
}

func (s *Store) schema() *entity.Schema {
	vc := func(name string) *entity.Field {
		return entity.NewField().WithName(name).WithDataType(entity.FieldTypeVarChar).WithMaxLength(maxVarChar)
	}
	return entity.NewSchema().WithName(s.name).
		WithDescription(fmt.Sprintf("Simili %s", s.model)).
		WithField(entity.NewField().WithName(fID).WithDataType(entity.FieldTypeInt64).WithIsPrimaryKey(true).WithIsAutoID(false)).
		WithField(entity.NewField().WithName(fVector).WithDataType(entity.FieldTypeFloatVector).WithDim(int64(s.model.Dim))).
		WithField(entity.NewField().WithName(fTaken).WithDataType(entity.FieldTypeInt64)).
		WithField(entity.NewField().WithName(fHasDate).WithDataType(entity.FieldTypeBool)).
		WithField(vc(fMake)).WithField(vc(fModel)).WithField(vc(fLens)).WithField(vc(fFolder)).
		WithField(entity.NewField().WithName(fHasGPS).WithDataType(entity.FieldTypeBool))
}

func (s *Store) metric() entity.MetricType { return entity.MetricType(s.cfg.Index.Metric) }

func (s *Store) index() (entity.Index, error) {
	ic := s.cfg.Index
	switch ic.Type {
	case "IVF_FLAT":
		return entity.NewIndexIvfFlat(s.metric(), ic.Nlist)
	case "FLAT":
		return entity.NewIndexFlat(s.metric())
	case "DISKANN":
		return entity.NewIndexDISKANN(s.metric())
	case "AUTOINDEX":
		return entity.NewIndexAUTOINDEX(s.metric())
	}
	return entity.NewIndexHNSW(s.metric(), ic.M, ic.EfConstruction)
}

func (s *Store) ensureCollection(ctx context.Context) error {
	return s.call(ctx, "prepare collection "+s.name, func(ctx context.Context, cl client.Client) error {
		has, err := cl.HasCollection(ctx, s.name)
		if err != nil {
			return err
		}
		if has {
			coll, err := cl.DescribeCollection(ctx, s.name)
			if err != nil {
				return err
			}
			for _, f := range coll.Schema.Fields {
				if f.Name == fVector {
					if dim, _ := strconv.Atoi(f.TypeParams[entity.TypeParamDim]); dim != s.model.Dim {
						return &vector.MismatchError{Have: vector.Model{Name: s.model.Name, Dim: dim}, Want: s.model, Where: "Milvus collection " + s.name}
					}
				}
			}
			if err := s.checkOwner(ctx, cl, coll.Properties); err != nil {
				return err
			}
		} else {
			opts := []client.CreateCollectionOption{client.WithConsistencyLevel(entity.ClStrong)}
			if s.cfg.Library != "" {
				opts = append(opts, client.WithCollectionProperty(propLibrary, s.cfg.Library))
			}
			if err := cl.CreateCollection(ctx, s.schema(), entity.DefaultShardNumber, opts...); err != nil {
				return err
			}
		}
		idxs, err := cl.DescribeIndex(ctx, s.name, fVector)
		if err != nil || len(idxs) == 0 {
			idx, ierr := s.index()
			if ierr != nil {
				return ierr
			}
			if err := cl.CreateIndex(ctx, s.name, fVector, idx, false); err != nil {
				return err
			}
		}
		return cl.LoadCollection(ctx, s.name, false)
	})
}

// propLibrary is the collection property naming the library (catalog)
// whose photos the collection holds.
const propLibrary = "simili.library"

// ErrOtherLibrary means a collection holds another Simili library's
// photos: catalog ids are per catalog, so sharing it would mix them up.
var ErrOtherLibrary = errors.New("collection belongs to another Simili library")

// libraryAttr sets the owner property on a collection made before
// collections recorded it.
type libraryAttr struct{ value string }

func (a libraryAttr) KeyValue() (string, string) { return propLibrary, a.value }
func (a libraryAttr) Valid() error               { return nil }

// checkOwner refuses a collection recorded for another library, and
// records this one in a collection that names none (made by an earlier
// Simili, which had no identity).
func (s *Store) checkOwner(ctx context.Context, cl client.Client, props map[string]string) error {
	if s.cfg.Library == "" {
		return nil
	}
	owner := props[propLibrary]
	switch owner {
	case s.cfg.Library:
		return nil
	case "":
		s.log.Info("recording this library as the owner of an existing collection", "collection", s.name, "library", s.cfg.Library)
		return cl.AlterCollection(ctx, s.name, libraryAttr{s.cfg.Library})
	}
	return fmt.Errorf("the Milvus collection %s belongs to another Simili library (id %s; this one is %s): use ?prefix=NAME in the store address to give each library its own collections, see docs/milvus.md: %w",
		s.name, owner, s.cfg.Library, ErrOtherLibrary)
}

// Model returns the store's model.
func (s *Store) Model() vector.Model { return s.model }

// Upsert inserts or replaces records in batches of Config.BatchSize, with
// Milvus's own upsert (server 2.3+). Within one call a repeated ID keeps its
// last record, as the interface requires: Milvus would store both.
func (s *Store) Upsert(ctx context.Context, recs []vector.Record) error {
	for _, r := range recs {
		if len(r.Vector) != s.model.Dim {
			return fmt.Errorf("photo %d: %d values for %s: %w", r.ID, len(r.Vector), s.model, vector.ErrDimension)
		}
	}
	recs = lastWins(recs)
	for lo := 0; lo < len(recs); lo += s.cfg.BatchSize {
		batch := recs[lo:min(len(recs), lo+s.cfg.BatchSize)]
		n := len(batch)
		ids, vecs := make([]int64, n), make([][]float32, n)
		taken, hasDate, hasGPS := make([]int64, n), make([]bool, n), make([]bool, n)
		mk, md, ln, fd := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		for i, r := range batch {
			ids[i], vecs[i] = r.ID, normalised(r.Vector)
			if !r.Meta.TakenAt.IsZero() {
				taken[i], hasDate[i] = r.Meta.TakenAt.Unix(), true
			}
			mk[i], md[i], ln[i] = storable(r.Meta.Make), storable(r.Meta.Model), storable(r.Meta.Lens)
			fd[i] = storable(strings.TrimRight(r.Meta.Folder, "/"))
			hasGPS[i] = r.Meta.HasGPS
		}
		err := s.call(ctx, fmt.Sprintf("upsert %d records into %s", n, s.name), func(ctx context.Context, cl client.Client) error {
			_, err := cl.Upsert(ctx, s.name, "",
				entity.NewColumnInt64(fID, ids), entity.NewColumnFloatVector(fVector, s.model.Dim, vecs),
				entity.NewColumnInt64(fTaken, taken), entity.NewColumnBool(fHasDate, hasDate),
				entity.NewColumnVarChar(fMake, mk), entity.NewColumnVarChar(fModel, md),
				entity.NewColumnVarChar(fLens, ln), entity.NewColumnVarChar(fFolder, fd),
				entity.NewColumnBool(fHasGPS, hasGPS))
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// lastWins drops every record whose ID comes again later in recs.
func lastWins(recs []vector.Record) []vector.Record {
	last := make(map[int64]int, len(recs))
	for i, r := range recs {
		last[r.ID] = i
	}
	if len(last) == len(recs) {
		return recs
	}
	out := make([]vector.Record, 0, len(last))
	for i, r := range recs {
		if last[r.ID] == i {
			out = append(out, r)
		}
	}
	return out
}

// Delete removes records by id, in batches; unknown ids are ignored.
func (s *Store) Delete(ctx context.Context, ids []int64) error {
	defer s.deletes.Add(1) // after the last batch is acknowledged
	for lo := 0; lo < len(ids); lo += s.cfg.BatchSize {
		batch := ids[lo:min(len(ids), lo+s.cfg.BatchSize)]
		err := s.call(ctx, fmt.Sprintf("delete %d records from %s", len(batch), s.name), func(ctx context.Context, cl client.Client) error {
			return cl.DeleteByPks(ctx, s.name, "", entity.NewColumnInt64(fID, batch))
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// Search runs a filtered search that sees every acknowledged write (see
// readLevel), with the collection's metric always passed explicitly.
// The filter is applied by the server during the search (not after the
// top-k), so a filtered search still returns k hits when k match.
func (s *Store) Search(ctx context.Context, q []float32, k int, f facet.Filter, opt vector.SearchOptions) ([]vector.Hit, error) {
	if len(q) != s.model.Dim {
		return nil, fmt.Errorf("query of %d values for %s: %w", len(q), s.model, vector.ErrDimension)
	}
	if k <= 0 {
		return nil, nil
	}
	k = min(k, maxTopK)
	expr := expression(f)
	sp, err := s.searchParam(opt, k, expr != "")
	if err != nil {
		return nil, fmt.Errorf("search parameters for %s: %w", s.cfg.Index.Type, err)
	}
	var res []client.SearchResult
	level, token := s.readLevel()
	err = s.call(ctx, "search "+s.name, func(ctx context.Context, cl client.Client) error {
		var err error
		res, err = cl.Search(ctx, s.name, nil, expr, nil, []entity.Vector{entity.FloatVector(normalised(q))},
			fVector, s.metric(), k, sp, client.WithSearchQueryConsistencyLevel(level))
		return err
	})
	s.readDone(level, token, err)
	if err != nil || len(res) == 0 {
		return nil, err
	}
	r := res[0]
	if r.Err != nil {
		return nil, s.wrap("search "+s.name, r.Err)
	}
	hits := make([]vector.Hit, 0, r.ResultCount)
	for i := 0; i < r.ResultCount; i++ {
		id, err := r.IDs.GetAsInt64(i)
		if err != nil {
			return nil, fmt.Errorf("search %s: result id %d: %w", s.name, i, err)
		}
		hits = append(hits, vector.Hit{ID: id, Score: s.cosine(r.Scores[i])})
	}
	return hits, nil
}

// cosine turns a server score into cosine similarity. Vectors are stored
// L2-normalised, so COSINE and IP scores already are the cosine, and L2
// (which Milvus reports as the squared distance) is 2 - 2cos.
func (s *Store) cosine(score float32) float32 {
	if s.metric() == entity.L2 {
		return 1 - score/2
	}
	return score
}

// searchParam maps vector.SearchOptions onto the index's search parameters;
// zero options fall back to the Config's defaults.
func (s *Store) searchParam(opt vector.SearchOptions, k int, filtered bool) (entity.SearchParam, error) {
	ic := s.cfg.Index
	switch ic.Type {
	case "IVF_FLAT":
		n := opt.Nprobe
		if n <= 0 {
			n = ic.Nprobe
		}
		return entity.NewIndexIvfFlatSearchParam(max(1, min(n, ic.Nlist)))
	case "HNSW":
		ef := opt.Ef
		if ef <= 0 {
			ef = ic.Ef
			if filtered {
				// A filter hides most of the graph from the walk, so the
				// default breadth loses neighbours (measured at 100k × 512
				// with a 10% filter: recall@10 0.78 at ef 128).
				ef *= filteredEfFactor
			}
		}
		return entity.NewIndexHNSWSearchParam(min(max(ef, k), maxEf)) // Milvus requires k <= ef <= 32768
	case "DISKANN":
		return entity.NewIndexDISKANNSearchParam(max(k, opt.Ef, 100))
	case "AUTOINDEX":
		return entity.NewIndexAUTOINDEXSearchParam(1)
	}
	return entity.NewIndexFlatSearchParam()
}

// readLevel picks a read's consistency. Session reads see this store's
// own writes (the SDK tracks their timestamps) without Strong's wait for the
// server's next time tick, up to 200 ms on every call. Strong is still
// needed for the first read after Open, to see what other clients wrote
// (another simili process, an earlier run), and for the first read after a
// delete, because Milvus 2.3 acknowledges deletes without a timestamp that
// Session could wait for. It returns the token readDone needs.
func (s *Store) readLevel() (entity.ConsistencyLevel, int64) {
	d := s.deletes.Load()
	if s.strongAt.Load() == d+1 {
		return entity.ClSession, d
	}
	return entity.ClStrong, d
}

// readDone records a successful Strong read that began at deletes == d.
func (s *Store) readDone(level entity.ConsistencyLevel, d int64, err error) {
	if err != nil || level != entity.ClStrong {
		return
	}
	for {
		cur := s.strongAt.Load()
		if cur >= d+1 || s.strongAt.CompareAndSwap(cur, d+1) {
			return
		}
	}
}

// Count returns the exact number of records: count(*) sees every
// acknowledged write and delete (see readLevel), flushed or not.
func (s *Store) Count(ctx context.Context) (int, error) {
	var n int64
	err := s.call(ctx, "count "+s.name, func(ctx context.Context, cl client.Client) error {
		level, token := s.readLevel()
		rs, err := cl.Query(ctx, s.name, nil, "", []string{"count(*)"}, client.WithSearchQueryConsistencyLevel(level))
		s.readDone(level, token, err)
		if err != nil {
			return err
		}
		col := rs.GetColumn("count(*)")
		if col == nil || col.Len() == 0 {
			return errors.New("count(*) returned no value")
		}
		n, err = col.GetAsInt64(0)
		return err
	})
	return int(n), err
}

// IDs returns every stored id in ascending order (vector.IDLister). It
// pages with the SDK's query iterator, which asks the server for results
// ordered by primary key and continues after the last id of each page, so
// no page is limited by Milvus's 16384-row window. (Catalog ids are
// positive; the bound leaves out only MinInt64, which the parser refuses.)
func (s *Store) IDs(ctx context.Context) ([]int64, error) {
	var out []int64
	err := s.call(ctx, "list ids of "+s.name, func(ctx context.Context, cl client.Client) error {
		out = out[:0]
		it, err := cl.QueryIterator(ctx, client.NewQueryIteratorOption(s.name).
			WithExpr(fID+" >= "+strconv.FormatInt(math.MinInt64+1, 10)).
			WithOutputFields(fID).WithBatchSize(s.idPage))
		if err != nil {
			return err
		}
		for {
			rs, err := it.Next(ctx)
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			col := rs.GetColumn(fID)
			if col == nil {
				return errors.New("query returned no id column")
			}
			for i := 0; i < col.Len(); i++ {
				id, err := col.GetAsInt64(i)
				if err != nil {
					return err
				}
				out = append(out, id)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	// The server orders each page; sorting again costs little and keeps
	// the contract even if a server version does not.
	slices.Sort(out)
	return slices.Compact(out), nil
}

// Flush asks the server to seal and persist the collection's growing
// segments, without waiting for it. Milvus acknowledges a write only once it
// is in its write-ahead log (so it is already durable), and reads already
// see it (see readLevel); a synchronous flush would add seconds per call and
// pile up small segments, which Milvus advises against. So a flush the
// server refuses (it does for a while after a restart: "node not match") is
// logged, not returned: only an unreachable server is an error.
func (s *Store) Flush(ctx context.Context) error {
	err := s.call(ctx, "flush "+s.name, func(ctx context.Context, cl client.Client) error {
		return cl.Flush(ctx, s.name, true)
	})
	if err != nil && (!errors.Is(err, vector.ErrUnavailable) || isRestarting(err)) {
		s.log.Warn("flush refused; the writes are in Milvus's log all the same", "err", err)
		return nil
	}
	return err
}

// WaitIndexed seals what was written and waits until the server has built
// the index over all of it, so a benchmark measures the index rather than
// the brute-force scan Milvus runs over unsealed data.
func (s *Store) WaitIndexed(ctx context.Context) error {
	err := s.call(ctx, "flush "+s.name, func(ctx context.Context, cl client.Client) error {
		return cl.Flush(ctx, s.name, false)
	})
	if err != nil {
		return err
	}
	for {
		var total, indexed int64
		err := s.call(ctx, "index progress of "+s.name, func(ctx context.Context, cl client.Client) error {
			var err error
			total, indexed, err = cl.GetIndexBuildProgress(ctx, s.name, fVector)
			return err
		})
		if err != nil || indexed >= total {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// firstLine keeps log lines short: Milvus errors can carry stack traces.
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// Drop removes every record by dropping and re-creating the collection.
func (s *Store) Drop(ctx context.Context) error {
	defer s.deletes.Add(1)
	err := s.call(ctx, "drop "+s.name, func(ctx context.Context, cl client.Client) error {
		return cl.DropCollection(ctx, s.name)
	})
	if err != nil {
		return err
	}
	s.log.Info("dropped collection; re-creating it", "collection", s.name)
	return s.ensureCollection(ctx)
}

// DropCollection removes the collection for good (tests and uninstall).
func (s *Store) DropCollection(ctx context.Context) error {
	return s.call(ctx, "drop", func(ctx context.Context, cl client.Client) error {
		return cl.DropCollection(ctx, s.name)
	})
}

// Close closes the connection; the data stays on the server.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cl == nil {
		return nil
	}
	err := s.cl.Close()
	s.cl = nil
	return err
}

func normalised(v []float32) []float32 {
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	if sum == 0 || math.Abs(sum-1) < 1e-6 {
		return v
	}
	inv := float32(1 / math.Sqrt(sum))
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = x * inv
	}
	return out
}
