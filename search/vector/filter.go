package vector

import (
	"math"
	"strings"
)

// Match reports whether a photo with meta m passes f. It is the reference
// semantics every store must reproduce (and the catalog's SQL mirrors):
//
//   - From/To compare TakenAt in whole Unix seconds, bounds inclusive; a
//     photo without a date (zero TakenAt) fails any date bound, like a NULL
//     taken_at in SQL.
//   - Camera equals Make or Model exactly (case-sensitive, no wildcards).
//   - Lens equals Lens exactly.
//   - Folder matches that folder and every folder below it, never a sibling
//     that merely shares a prefix (/a/b matches /a/b/c, not /a/bc). A
//     trailing slash on the filter is ignored.
func (f Filter) Match(m Meta) bool {
	if !f.From.IsZero() || !f.To.IsZero() {
		if m.TakenAt.IsZero() {
			return false
		}
		at := m.TakenAt.Unix()
		if !f.From.IsZero() && at < f.From.Unix() {
			return false
		}
		if !f.To.IsZero() && at > f.To.Unix() {
			return false
		}
	}
	if f.Camera != "" && m.Make != f.Camera && m.Model != f.Camera {
		return false
	}
	if f.Lens != "" && m.Lens != f.Lens {
		return false
	}
	if f.Folder != "" && !InFolder(m.Folder, f.Folder) {
		return false
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
