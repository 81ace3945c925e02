// Package milvus is the vector store for people who go beyond one desktop:
// a Milvus standalone (docker compose), a cluster or a managed service,
// reached with github.com/milvus-io/milvus-sdk-go/v2. It passes the same
// conformance suite as the embedded store.
package milvus

import (
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// IndexConfig chooses the server-side index.
type IndexConfig struct {
	Type           string // HNSW (default), IVF_FLAT, FLAT, DISKANN, AUTOINDEX
	Metric         string // COSINE (default), L2, IP
	M              int    // HNSW links per node
	EfConstruction int    // HNSW build breadth
	Ef             int    // HNSW search breadth (vector.SearchOptions.Ef overrides)
	Nlist          int    // IVF clusters
	Nprobe         int    // IVF clusters probed (vector.SearchOptions.Nprobe overrides)
}

// Config says how to reach Milvus. Secrets never appear in Redacted.
type Config struct {
	Address          string
	Username         string
	Password         string
	Token            string
	TLS              bool
	Database         string
	CollectionPrefix string
	Index            IndexConfig
	BatchSize        int
	Timeout          time.Duration // per call
	// ConnectTimeout bounds Open's attempts to reach the server. Short, so
	// a stopped server makes index and stats say so in seconds (the work
	// stays pending) instead of holding them up.
	ConnectTimeout time.Duration
	// Library is the identity of the catalog using the store. It is
	// recorded with every collection the store creates, and a collection
	// recorded for another library is refused (ErrOtherLibrary): catalog
	// ids are per catalog, so two libraries in one collection would
	// overwrite each other's photos. "" records and checks nothing.
	Library string
}

// TokenEnv supplies a token without putting it on the command line.
const TokenEnv = "SIMILI_MILVUS_TOKEN"

// ParseURL reads milvus://[user:pass@]host:port[/db]?tls=true&token=…&index=HNSW&m=16&ef_construction=200&ef=64&nlist=128&nprobe=16&metric=COSINE&prefix=simili&batch=500&timeout=30s&connect_timeout=5s
// (milvus+tls:// turns TLS on).
func ParseURL(raw string) (Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Config{}, fmt.Errorf("milvus address: %w", err)
	}
	cfg := Config{
		CollectionPrefix: "simili",
		Index:            IndexConfig{Type: "HNSW", Metric: "COSINE", M: 16, EfConstruction: 200, Ef: 128, Nlist: 128, Nprobe: 16},
		BatchSize:        500,
		Timeout:          30 * time.Second,
		ConnectTimeout:   5 * time.Second,
	}
	switch u.Scheme {
	case "milvus":
	case "milvus+tls", "milvuss":
		cfg.TLS = true
	default:
		return Config{}, fmt.Errorf("milvus address %q: want milvus://host:port", redactURL(raw))
	}
	if u.Host == "" {
		return Config{}, fmt.Errorf("milvus address %q: no host", redactURL(raw))
	}
	cfg.Address = u.Host
	if u.User != nil {
		cfg.Username = u.User.Username()
		cfg.Password, _ = u.User.Password()
	}
	cfg.Database = strings.Trim(u.Path, "/")
	if strings.Contains(cfg.Database, "/") {
		return Config{}, fmt.Errorf("milvus address %q: database %q: one name only", redactURL(raw), cfg.Database)
	}
	q := u.Query()
	ints := map[string]*int{"m": &cfg.Index.M, "ef_construction": &cfg.Index.EfConstruction, "ef": &cfg.Index.Ef,
		"nlist": &cfg.Index.Nlist, "nprobe": &cfg.Index.Nprobe, "batch": &cfg.BatchSize}
	for key, vals := range q {
		v := vals[len(vals)-1]
		switch key {
		case "tls":
			if cfg.TLS, err = strconv.ParseBool(v); err != nil {
				return Config{}, fmt.Errorf("milvus address: tls=%q: want true or false", v)
			}
		case "token":
			cfg.Token = v
		case "index":
			cfg.Index.Type = strings.ToUpper(v)
		case "metric":
			cfg.Index.Metric = strings.ToUpper(v)
		case "prefix":
			cfg.CollectionPrefix = v
		case "timeout", "connect_timeout":
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return Config{}, fmt.Errorf("milvus address: %s=%q: want a duration such as 10s", key, v)
			}
			if key == "timeout" {
				cfg.Timeout = d
			} else {
				cfg.ConnectTimeout = d
			}
		default:
			p, ok := ints[key]
			if !ok {
				return Config{}, fmt.Errorf("milvus address: unknown parameter %q", key)
			}
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				return Config{}, fmt.Errorf("milvus address: %s=%q: want a positive number", key, v)
			}
			*p = n
		}
	}
	if u.Port() == "" {
		// Milvus's own port, or HTTPS's for TLS as managed services use (and
		// as the SDK assumes).
		if cfg.TLS {
			cfg.Address += ":443"
		} else {
			cfg.Address += ":19530"
		}
	}
	if cfg.Token == "" {
		cfg.Token = os.Getenv(TokenEnv)
	}
	switch cfg.Index.Type {
	case "HNSW", "IVF_FLAT", "FLAT", "DISKANN", "AUTOINDEX":
	default:
		return Config{}, fmt.Errorf("milvus index %q: want HNSW, IVF_FLAT, FLAT, DISKANN or AUTOINDEX", cfg.Index.Type)
	}
	switch cfg.Index.Metric {
	case "COSINE", "L2", "IP":
	default:
		return Config{}, fmt.Errorf("milvus metric %q: want COSINE, L2 or IP", cfg.Index.Metric)
	}
	if !validName(cfg.CollectionPrefix) {
		return Config{}, fmt.Errorf("milvus prefix %q: letters, digits and _ only, starting with a letter", cfg.CollectionPrefix)
	}
	return cfg, nil
}

// Redacted names the server for logs and the catalog's sync state, without
// credentials.
func (c Config) Redacted() string {
	s := "milvus://" + c.Address
	if c.Database != "" {
		s += "/" + c.Database
	}
	return s + "?prefix=" + c.CollectionPrefix
}

func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable)"
	}
	u.User = nil
	u.RawQuery = ""
	return u.String()
}

func validName(s string) bool {
	if s == "" || !(s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z') {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
