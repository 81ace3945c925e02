// Package facet holds what a search can be narrowed by: a photo's
// filterable facts (Meta) and a user's restriction on them (Filter). Both
// the ingestion side (catalog, scan) and the search side (vector stores)
// use it, so the meaning of a filter is written down once, here, and the
// catalog's SQL and Milvus's expressions are rendered from Conditions.
package facet

import (
	"math"
	"strings"
	"time"
)

// Meta carries the scalar fields a search can be filtered on. It is a copy of
// catalog data; the catalog stays the source of truth.
type Meta struct {
	TakenAt time.Time // zero when unknown
	Make    string    // camera make, as written in EXIF (trimmed)
	Model   string    // camera model, as written in EXIF (trimmed)
	Lens    string
	Folder  string // absolute, slash-separated folder path of the photo
	HasGPS  bool
}

// Filter restricts a search. Zero fields do not filter. All set fields must
// hold (AND).
type Filter struct {
	From time.Time // TakenAt >= From (inclusive)
	To   time.Time // TakenAt <= To (inclusive)
	// Camera matches a photo whose camera Model or Make equals it exactly.
	Camera string
	// Lens matches the lens model exactly.
	Lens string
	// Folder matches photos in that folder or any folder below it.
	Folder string
}

// IsZero reports whether the filter lets every photo through.
func (f Filter) IsZero() bool { return f == Filter{} }

// Match reports whether a photo with meta m passes f. It evaluates the same
// Conditions that the catalog and Milvus render, so the three agree:
//
//   - From/To compare TakenAt in whole Unix seconds, bounds inclusive; a
//     photo without a date (zero TakenAt) fails any date bound, like a NULL
//     taken_at in SQL.
//   - Camera equals Make or Model exactly (case-sensitive, no wildcards).
//   - Lens equals Lens exactly.
//   - Folder matches that folder and every folder below it, never a sibling
//     that merely shares a prefix (/a/b matches /a/b/c, not /a/bc). A
//     trailing slash on the filter is ignored. Comparison is byte-wise and
//     case-sensitive.
func (f Filter) Match(m Meta) bool {
	for _, c := range f.Conditions() {
		if !c.holds(m) {
			return false
		}
	}
	return true
}

// InFolder reports whether folder is dir or lies below it, comparing whole
// path segments so that /a/bc is not inside /a/b. Both are slash-separated;
// a trailing slash on dir is ignored, so "/" contains every absolute path.
func InFolder(folder, dir string) bool {
	dir = strings.TrimRight(dir, "/")
	if folder == dir {
		return true
	}
	return strings.HasPrefix(folder, dir+"/")
}

// TimeBounds returns f's date bounds as inclusive Unix seconds, for stores
// that index TakenAt as an integer; ok reports whether f has any date bound
// (then undated photos never pass). A missing bound is reported as
// math.MinInt64 or math.MaxInt64.
func (f Filter) TimeBounds() (from, to int64, ok bool) {
	from, to = math.MinInt64, math.MaxInt64
	if !f.From.IsZero() {
		from, ok = f.From.Unix(), true
	}
	if !f.To.IsZero() {
		to, ok = f.To.Unix(), true
	}
	return from, to, ok
}
