package milvus

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/simili/simili/internal/testenv"
	"github.com/simili/simili/library/facet"
	"github.com/simili/simili/search/vector"
	"github.com/simili/simili/search/vector/vectortest"
)

// AddrEnv points the tests at a real Milvus server (never a mock); CI
// starts one with scripts/milvus-server.sh.
const AddrEnv = "SIMILI_MILVUS_ADDR"

// serverConfig returns a config for the test server with a collection
// prefix of the test's own, or skips (fails under SIMILI_STRICT=1).
func serverConfig(t *testing.T, index string) Config {
	t.Helper()
	addr := os.Getenv(AddrEnv)
	if addr == "" {
		testenv.Skipf(t, "%s not set: no Milvus server to test against (start one with scripts/milvus-server.sh start DIR)", AddrEnv)
	}
	cfg, err := ParseURL("milvus://" + addr + "?index=" + index)
	if err != nil {
		t.Fatalf("%s=%q: %v", AddrEnv, addr, err)
	}
	cfg.CollectionPrefix = fmt.Sprintf("t%d", time.Now().UnixNano())
	return cfg
}

// openTemp opens a store whose collection is dropped when the test ends.
func openTemp(t *testing.T, cfg Config, m vector.Model) *Store {
	t.Helper()
	s, err := Open(t.Context(), cfg, m)
	if err != nil {
		t.Fatalf("open %s: %v", cfg.Redacted(), err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := s.DropCollection(ctx); err != nil {
			t.Errorf("drop test collection: %v", err)
		}
		s.Close()
	})
	return s
}

func TestConformance(t *testing.T) {
	base := serverConfig(t, "FLAT") // exact, so the suite's ordering checks hold
	var (
		mu       sync.Mutex
		prefixes = map[string]string{} // test name → its collection prefix
		seq      int
	)
	vectortest.Run(t, vectortest.Harness{
		Parallel: true, // each test has its own collections
		// Re-opens within one test reach the same collection; each test
		// drops the collections it made.
		Open: func(t *testing.T, m vector.Model) (vector.Store, error) {
			mu.Lock()
			prefix, ok := prefixes[t.Name()]
			if !ok {
				seq++
				prefix = base.CollectionPrefix + "_" + strconv.Itoa(seq)
				prefixes[t.Name()] = prefix
			}
			key := t.Name() + "\x00" + m.String()
			_, seen := prefixes[key]
			prefixes[key] = ""
			mu.Unlock()
			cfg := base
			cfg.CollectionPrefix = prefix
			s, err := Open(t.Context(), cfg, m)
			if err == nil && !seen {
				t.Cleanup(func() { dropCollection(t, cfg, m) })
			}
			return s, err
		},
	})
}

func dropCollection(t *testing.T, cfg Config, m vector.Model) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := Open(ctx, cfg, m)
	if err != nil {
		t.Errorf("re-open to drop %s: %v", CollectionName(cfg.CollectionPrefix, m), err)
		return
	}
	defer s.Close()
	if err := s.DropCollection(ctx); err != nil {
		t.Errorf("drop: %v", err)
	}
}

// TestFilterStringsAreData checks on the real server that hostile camera,
// lens and folder names match exactly their own photo.
func TestFilterStringsAreData(t *testing.T) {
	cfg := serverConfig(t, "HNSW")
	s := openTemp(t, cfg, vector.Model{Name: "escape", Dim: 4})
	names := []string{
		`a" or 1==1`, `back\slash`, `quo"te`, `percent%`, `under_score`,
		`a" || camera_make != "`, `trailing\`, `\"`, `it's`, `tab	and
newline`, `\u0041`, `ünïcødé 📷`, `plain`, `percentX`, `underXscore`,
	}
	var recs []vector.Record
	for i, n := range names {
		recs = append(recs, vector.Record{
			ID:     int64(i + 1),
			Vector: []float32{1, float32(i), 0.5, 0.25},
			Meta:   facet.Meta{Model: n, Lens: "lens " + n, Folder: "/f/" + n, TakenAt: time.Unix(int64(1e9+i), 0)},
		})
	}
	if err := s.Upsert(t.Context(), recs); err != nil {
		t.Fatal(err)
	}
	for i, n := range names {
		for _, f := range []facet.Filter{{Camera: n}, {Lens: "lens " + n}, {Folder: "/f/" + n}, {Camera: n, Folder: "/f/" + n + "/"}} {
			hits, err := s.Search(t.Context(), []float32{1, 0, 0, 0}, 10, f, vector.SearchOptions{Ef: 64})
			if err != nil {
				t.Fatalf("filter %+v (expression %s): %v", f, expression(f), err)
			}
			if len(hits) != 1 || hits[0].ID != int64(i+1) {
				t.Errorf("filter %+v returned %v; want only photo %d (expression %s)", f, hits, i+1, expression(f))
			}
		}
	}
}

// TestUnknownDates checks that photos without a date never pass a date
// bound, however wide, and that dates before 1970 work.
func TestUnknownDates(t *testing.T) {
	cfg := serverConfig(t, "FLAT")
	s := openTemp(t, cfg, vector.Model{Name: "dates", Dim: 2})
	recs := []vector.Record{
		{ID: 1, Vector: []float32{1, 0}},
		{ID: 2, Vector: []float32{1, 0.1}, Meta: facet.Meta{TakenAt: time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{ID: 3, Vector: []float32{1, 0.2}, Meta: facet.Meta{TakenAt: time.Date(2020, 6, 1, 12, 0, 0, 0, time.UTC)}},
	}
	if err := s.Upsert(t.Context(), recs); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		f    facet.Filter
		want []int64
	}{
		{"no filter", facet.Filter{}, []int64{1, 2, 3}},
		{"from long ago", facet.Filter{From: time.Date(1800, 1, 1, 0, 0, 0, 0, time.UTC)}, []int64{2, 3}},
		{"until far future", facet.Filter{To: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)}, []int64{2, 3}},
		{"before 1970", facet.Filter{To: time.Unix(-1, 0)}, []int64{2}},
		{"exact second, inclusive", facet.Filter{From: recs[2].Meta.TakenAt, To: recs[2].Meta.TakenAt}, []int64{3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits, err := s.Search(t.Context(), []float32{1, 0}, 10, tt.f, vector.SearchOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got := map[int64]bool{}
			for _, h := range hits {
				got[h.ID] = true
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want ids %v", hits, tt.want)
			}
			for _, id := range tt.want {
				if !got[id] {
					t.Fatalf("got %v, want ids %v", hits, tt.want)
				}
			}
		})
	}
}

// TestOverlongAndInvalidValuesGoThrough reproduces issue 14 case 3 on the
// real server: a photo whose camera model is 5,000 bytes (Milvus holds
// 2,048) made its whole batch fail, for ever. Now the batch of 14 valid
// photos and that one is stored whole, with over-long values cut at a
// rune boundary and invalid UTF-8 (a non-UTF-8 folder name) replaced; and
// filters on the true values, as the catalog keeps them, still find them.
func TestOverlongAndInvalidValuesGoThrough(t *testing.T) {
	cfg := serverConfig(t, "FLAT")
	s := openTemp(t, cfg, vector.Model{Name: "limits", Dim: 2})
	longModel := "EOS " + strings.Repeat("é", 2500) // 5,004 bytes, cut inside no rune
	longFolder := "/pics/" + strings.Repeat("d", maxVarChar)
	latin1 := "/pics/Fr\xe9d\xe9ric" // ISO-8859-1 bytes, not UTF-8
	var recs []vector.Record
	for i := range 14 {
		recs = append(recs, vector.Record{ID: int64(i + 1), Vector: []float32{1, float32(i)}, Meta: facet.Meta{Model: "DMC-FX33", Folder: "/pics/ok"}})
	}
	recs = append(recs,
		vector.Record{ID: 15, Vector: []float32{0, 1}, Meta: facet.Meta{Model: longModel, Folder: "/pics/ok"}},
		vector.Record{ID: 16, Vector: []float32{1, 1}, Meta: facet.Meta{Lens: strings.Repeat("x", maxVarChar+1), Folder: longFolder + "/sub"}},
		vector.Record{ID: 17, Vector: []float32{1, -1}, Meta: facet.Meta{Make: "Ca\xffnon", Folder: latin1}},
		vector.Record{ID: 18, Vector: []float32{-1, 1}, Meta: facet.Meta{Folder: latin1 + "/2008"}},
	)
	if err := s.Upsert(t.Context(), recs); err != nil {
		t.Fatalf("upsert with over-long and invalid values: %v", err)
	}
	if n, err := s.Count(t.Context()); err != nil || n != 18 {
		t.Fatalf("Count() = %d, %v; want 18", n, err)
	}
	tests := []struct {
		name string
		f    facet.Filter
		want []int64
	}{
		{"5,000-byte camera model", facet.Filter{Camera: longModel}, []int64{15}},
		{"valid camera model", facet.Filter{Camera: "DMC-FX33"}, []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14}},
		{"over-long lens", facet.Filter{Lens: strings.Repeat("x", maxVarChar+1)}, []int64{16}},
		{"over-long folder", facet.Filter{Folder: longFolder}, []int64{16}},
		{"non-UTF-8 make", facet.Filter{Camera: "Ca\xffnon"}, []int64{17}},
		{"non-UTF-8 folder and below", facet.Filter{Folder: latin1}, []int64{17, 18}},
		{"below a non-UTF-8 folder", facet.Filter{Folder: latin1 + "/2008"}, []int64{18}},
		{"other non-UTF-8 name", facet.Filter{Camera: "Ca\xfenon"}, []int64{17}}, // documented: invalid bytes are one value to Milvus
	}
	for _, tt := range tests {
		hits, err := s.Search(t.Context(), []float32{1, 0}, 30, tt.f, vector.SearchOptions{})
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		var got []int64
		for _, h := range hits {
			got = append(got, h.ID)
		}
		slices.Sort(got)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestStorable(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Canon", "Canon"},
		{strings.Repeat("a", maxVarChar), strings.Repeat("a", maxVarChar)},
		{strings.Repeat("a", maxVarChar+1), strings.Repeat("a", maxVarChar)},
		{"a" + strings.Repeat("é", maxVarChar/2), "a" + strings.Repeat("é", maxVarChar/2-1)}, // never half a rune
		{"Fr\xe9d\xe9ric", "Fr\uFFFDd\uFFFDric"},
		{"\xff\xfe", "\uFFFD"},
	}
	for _, tt := range tests {
		got := storable(tt.in)
		if got != tt.want || !utf8.ValidString(got) || len(got) > maxVarChar {
			t.Errorf("storable(%q…) = %q… (%d bytes), want %q…", tt.in[:min(12, len(tt.in))], got[:min(12, len(got))], len(got), tt.want[:min(12, len(tt.want))])
		}
	}
}

// TestMetrics checks that every metric yields cosine similarity scores.
func TestMetrics(t *testing.T) {
	for _, metric := range []string{"COSINE", "IP", "L2"} {
		t.Run(metric, func(t *testing.T) {
			cfg := serverConfig(t, "HNSW")
			cfg.Index.Metric = metric
			s := openTemp(t, cfg, vector.Model{Name: "metric", Dim: 2})
			recs := []vector.Record{{ID: 1, Vector: []float32{1, 0}}, {ID: 2, Vector: []float32{0.6, 0.8}}, {ID: 3, Vector: []float32{-1, 0}}}
			if err := s.Upsert(t.Context(), recs); err != nil {
				t.Fatal(err)
			}
			hits, err := s.Search(t.Context(), []float32{1, 0}, 3, facet.Filter{}, vector.SearchOptions{})
			if err != nil {
				t.Fatal(err)
			}
			want := []vector.Hit{{ID: 1, Score: 1}, {ID: 2, Score: 0.6}, {ID: 3, Score: -1}}
			if len(hits) != len(want) {
				t.Fatalf("hits %v, want %v", hits, want)
			}
			for i := range want {
				if hits[i].ID != want[i].ID || abs(hits[i].Score-want[i].Score) > 1e-5 {
					t.Fatalf("hits %v, want %v", hits, want)
				}
			}
		})
	}
}

func abs(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}

// TestIndexTypes opens, fills and searches a collection with each index
// type the server here supports.
func TestIndexTypes(t *testing.T) {
	for _, index := range []string{"HNSW", "IVF_FLAT", "FLAT", "AUTOINDEX", "DISKANN"} {
		t.Run(index, func(t *testing.T) {
			cfg := serverConfig(t, index)
			s := openTemp(t, cfg, vector.Model{Name: "idx", Dim: 8})
			var recs []vector.Record
			for i := range 300 {
				v := make([]float32, 8)
				v[i%8], v[(i/8)%8] = 1, float32(i%5)/5
				recs = append(recs, vector.Record{ID: int64(i), Vector: v})
			}
			if err := s.Upsert(t.Context(), recs); err != nil {
				t.Fatal(err)
			}
			hits, err := s.Search(t.Context(), recs[9].Vector, 5, facet.Filter{}, vector.SearchOptions{Ef: 32, Nprobe: 8})
			if err != nil {
				t.Fatal(err)
			}
			if len(hits) != 5 || hits[0].Score < 0.999 {
				t.Fatalf("hits %v: want 5 with the first a perfect match", hits)
			}
		})
	}
}

func TestUnreachableServerIsUnavailable(t *testing.T) {
	cfg, err := ParseURL("milvus://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	start := time.Now()
	_, err = Open(ctx, cfg, vector.Model{Name: "x", Dim: 4})
	if !errors.Is(err, vector.ErrUnavailable) {
		t.Fatalf("closed port: %v; want ErrUnavailable", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("giving up took %v with a 2 s context", d)
	}
}

func TestParseURL(t *testing.T) {
	t.Setenv(TokenEnv, "")
	tests := []struct {
		raw     string
		want    func(Config) bool
		wantErr bool
	}{
		{"milvus://localhost:19530", func(c Config) bool {
			return c.Address == "localhost:19530" && !c.TLS && c.Index.Type == "HNSW" && c.Index.Metric == "COSINE" &&
				c.CollectionPrefix == "simili" && c.BatchSize == 500 && c.Database == ""
		}, false},
		{"milvus://db.example", func(c Config) bool { return c.Address == "db.example:19530" }, false},
		{"milvus+tls://in01-x.cloud.example", func(c Config) bool { return c.TLS && c.Address == "in01-x.cloud.example:443" }, false},
		{"milvus+tls://u:p%40ss@h:443/photos?index=ivf_flat&nlist=256&nprobe=32&metric=L2&prefix=lib&batch=100", func(c Config) bool {
			return c.TLS && c.Username == "u" && c.Password == "p@ss" && c.Database == "photos" && c.Index.Type == "IVF_FLAT" &&
				c.Index.Nlist == 256 && c.Index.Nprobe == 32 && c.Index.Metric == "L2" && c.CollectionPrefix == "lib" && c.BatchSize == 100
		}, false},
		{"milvus://h:1?token=secret&tls=true", func(c Config) bool { return c.Token == "secret" && c.TLS }, false},
		{"milvus://h:1?index=hnsw&m=32&ef_construction=400&ef=256", func(c Config) bool {
			return c.Index.M == 32 && c.Index.EfConstruction == 400 && c.Index.Ef == 256
		}, false},
		{"milvus://[::1]:19530?timeout=5s", func(c Config) bool {
			return c.Address == "[::1]:19530" && c.Timeout == 5*time.Second && c.ConnectTimeout == 5*time.Second
		}, false},
		{"milvus://h?connect_timeout=1m", func(c Config) bool { return c.ConnectTimeout == time.Minute && c.Timeout == 30*time.Second }, false},
		{"milvus://h?timeout=-1s", nil, true},
		{"milvus://h?connect_timeout=soon", nil, true},
		{"http://h:1", nil, true},
		{"milvus://", nil, true},
		{"milvus://h:1?index=BOGUS", nil, true},
		{"milvus://h:1?metric=hamming", nil, true},
		{"milvus://h:1?m=-3", nil, true},
		{"milvus://h:1?tls=maybe", nil, true},
		{"milvus://h:1?prefix=bad-name", nil, true},
		{"milvus://h:1?what=1", nil, true},
		{"milvus://h:1/a/b", nil, true},
		{"milvus://u:p%40ss@h:1?index=nope", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			c, err := ParseURL(tt.raw)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err == nil && !tt.want(c) {
				t.Fatalf("got %+v", c)
			}
			if err != nil && strings.Contains(err.Error(), "p@ss") {
				t.Fatalf("an error leaked the password: %v", err)
			}
		})
	}
}

func TestParseURLTokenFromEnvironment(t *testing.T) {
	t.Setenv(TokenEnv, "from-env")
	c, err := ParseURL("milvus+tls://h")
	if err != nil || c.Token != "from-env" {
		t.Fatalf("token %q, err %v; want the token from %s", c.Token, err, TokenEnv)
	}
}

func TestRedactedHidesSecrets(t *testing.T) {
	t.Setenv(TokenEnv, "")
	c, err := ParseURL("milvus+tls://user:hunter2@h:1/db?token=tok-123&prefix=lib")
	if err != nil {
		t.Fatal(err)
	}
	r := c.Redacted()
	for _, secret := range []string{"hunter2", "tok-123"} {
		if strings.Contains(r, secret) {
			t.Fatalf("Redacted() = %q leaks %q", r, secret)
		}
	}
	if !strings.Contains(r, "h:1") || !strings.Contains(r, "lib") {
		t.Fatalf("Redacted() = %q: want the address and prefix", r)
	}
}

// TestQuoteRoundTrips checks that every literal decodes back to the user's
// string under Go's unquoting rules, which Milvus's expression parser uses.
func TestQuoteRoundTrips(t *testing.T) {
	for _, s := range []string{"", `a" or 1==1`, `back\slash`, `\`, `"`, "tab\tnl\ncr\rbell\x07del\x7f", `\u0041`, "日本 📷", `%_`} {
		t.Run(s, func(t *testing.T) {
			q := quote(s)
			got, err := strconv.Unquote(q)
			if err != nil || got != s {
				t.Fatalf("quote(%q) = %s, unquotes to %q, %v", s, q, got, err)
			}
		})
	}
}

func TestExpression(t *testing.T) {
	day := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		f    facet.Filter
		want string
	}{
		{facet.Filter{}, ""},
		{facet.Filter{From: day}, "has_date == true and taken_at >= 1714521600"},
		{facet.Filter{To: day}, "has_date == true and taken_at <= 1714521600"},
		{facet.Filter{Camera: `X"`}, `(camera_model == "X\"" or camera_make == "X\"")`},
		{facet.Filter{Lens: `L\`, Folder: "/a/b/"}, `lens == "L\\" and (folder == "/a/b" or (folder >= "/a/b/" and folder < "/a/b0"))`},
		{facet.Filter{Folder: "/"}, `(folder == "" or (folder >= "/" and folder < "0"))`},
	}
	for _, tt := range tests {
		if got := expression(tt.f); got != tt.want {
			t.Errorf("expression(%+v)\n got %s\nwant %s", tt.f, got, tt.want)
		}
	}
}

// TestIDsPages checks on the real server that IDs returns every id when
// they take many pages, inserted in shuffled order over several calls.
func TestIDsPages(t *testing.T) {
	cfg := serverConfig(t, "FLAT")
	s := openTemp(t, cfg, vector.Model{Name: "idpages", Dim: 2})
	s.idPage = 300
	const n = 5000
	perm := rand.New(rand.NewPCG(1, 2)).Perm(n)
	var recs []vector.Record
	for _, i := range perm {
		recs = append(recs, vector.Record{ID: int64(i*3 + 1), Vector: []float32{1, float32(i)}})
	}
	for lo := 0; lo < n; lo += 1200 {
		if err := s.Upsert(t.Context(), recs[lo:min(n, lo+1200)]); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Delete(t.Context(), []int64{1, 4, 3*(n-1) + 1}); err != nil {
		t.Fatal(err)
	}
	got, err := s.IDs(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n-3 || got[0] != 7 || got[len(got)-1] != 3*(n-2)+1 || !slices.IsSorted(got) {
		t.Fatalf("IDs: %d ids from %v to %v; want %d from 7 to %d, ascending", len(got), got[0], got[len(got)-1], n-3, 3*(n-2)+1)
	}
	for i, id := range got {
		if id != int64(3*(i+2)+1) {
			t.Fatalf("IDs()[%d] = %d, want %d", i, id, 3*(i+2)+1)
		}
	}
}

// TestCollectionBelongsToOneLibrary reproduces issue 14 case 4 at the
// store: two catalogs on one collection overwrote each other's photos
// (catalog ids are per catalog) without a word. A collection records the
// library that made it, another library is refused with a message that
// says how to share the server, and a collection made before identities
// existed is adopted by the first library that opens it.
func TestCollectionBelongsToOneLibrary(t *testing.T) {
	m := vector.Model{Name: "owner", Dim: 2}
	cfg := serverConfig(t, "FLAT")
	cfg.Library = "library-a"
	a := openTemp(t, cfg, m)
	if err := a.Upsert(t.Context(), []vector.Record{{ID: 1, Vector: []float32{1, 0}}}); err != nil {
		t.Fatal(err)
	}
	other := cfg
	other.Library = "library-b"
	if s, err := Open(t.Context(), other, m); err == nil {
		s.Close()
		t.Fatal("library-b opened library-a's collection")
	} else if !errors.Is(err, ErrOtherLibrary) || !strings.Contains(err.Error(), "prefix=") || !strings.Contains(err.Error(), "library-a") {
		t.Fatalf("library-b: %v; want ErrOtherLibrary naming the owner and ?prefix=", err)
	}
	again, err := Open(t.Context(), cfg, m)
	if err != nil {
		t.Fatalf("library-a again: %v", err)
	}
	again.Close()
	if err := a.Drop(t.Context()); err != nil { // re-created: still library-a's
		t.Fatal(err)
	}
	if s, err := Open(t.Context(), other, m); !errors.Is(err, ErrOtherLibrary) {
		if s != nil {
			s.Close()
		}
		t.Fatalf("library-b after a drop and re-create: %v; want ErrOtherLibrary", err)
	}

	legacy := serverConfig(t, "FLAT")
	legacy.CollectionPrefix += "_legacy"
	openTemp(t, legacy, m) // no identity, as before libraries had one
	legacy.Library = "library-c"
	c, err := Open(t.Context(), legacy, m)
	if err != nil {
		t.Fatalf("library-c on a collection without owner: %v", err)
	}
	c.Close()
	legacy.Library = "library-d"
	if s, err := Open(t.Context(), legacy, m); !errors.Is(err, ErrOtherLibrary) {
		if s != nil {
			s.Close()
		}
		t.Fatalf("library-d after library-c adopted the collection: %v; want ErrOtherLibrary", err)
	}
}
