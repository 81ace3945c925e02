package catalog

import (
	"context"
	"fmt"
	"strings"

	"github.com/simili/simili/library/facet"
)

// VectorMeta returns the fields a vector store filters on.
func (p Photo) VectorMeta() facet.Meta {
	return facet.Meta{
		TakenAt: p.TakenAt,
		Make:    p.Make,
		Model:   p.Model,
		Lens:    p.Lens,
		Folder:  p.Folder,
		HasGPS:  p.GPS != nil,
	}
}

// Query selects photos for the library view.
type Query struct {
	Filter facet.Filter
	Offset int
	Limit  int // 0 = no limit
}

// columns maps each filterable field to its column in photos.
var columns = map[facet.Field]string{
	facet.TakenAt: "taken_at", facet.Make: "make", facet.Model: "model",
	facet.Lens: "lens", facet.Folder: "folder",
}

// whereClause renders f's conditions as SQL. Text compares with SQLite's
// BINARY collation, byte-wise and case-sensitive like facet.Filter.Match
// and the vector stores; a folder is matched by the byte range of the paths
// below it, never with LIKE (case-insensitive for ASCII in SQLite).
func whereClause(f facet.Filter) (string, []any) {
	var (
		conds []string
		args  []any
	)
	for _, c := range f.Conditions() {
		switch c.Op {
		case facet.AtLeast:
			conds = append(conds, "taken_at >= ?")
			args = append(args, c.Unix)
		case facet.AtMost:
			conds = append(conds, "taken_at <= ?")
			args = append(args, c.Unix)
		case facet.Equals:
			alts := make([]string, len(c.Fields))
			for i, fld := range c.Fields {
				alts[i] = columns[fld] + " = ?"
				args = append(args, c.Text)
			}
			conds = append(conds, "("+strings.Join(alts, " OR ")+")")
		case facet.Within:
			col := columns[c.Fields[0]]
			conds = append(conds, "("+col+" = ? OR ("+col+" >= ? AND "+col+" < ?))")
			args = append(args, c.Text, c.Text+"/", facet.UpperBound(c.Text))
		}
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// List returns photos passing q.Filter, newest first by date taken (photos
// without a date last), then by path.
func (c *Catalog) List(ctx context.Context, q Query) ([]Photo, error) {
	where, args := whereClause(q.Filter)
	sqlText := "SELECT " + photoColumns + " FROM photos" + where +
		" ORDER BY taken_at IS NULL, taken_at DESC, path"
	if q.Limit > 0 {
		sqlText += " LIMIT ? OFFSET ?"
		args = append(args, q.Limit, q.Offset)
	}
	rows, err := c.db.QueryContext(ctx, sqlText, args...)
	if err != nil {
		return nil, fmt.Errorf("list photos: %w", err)
	}
	ps, err := collectPhotos(rows)
	if err != nil {
		return nil, err
	}
	return ps, c.markOffline(ctx, ps)
}

// Count returns how many photos pass f.
func (c *Catalog) Count(ctx context.Context, f facet.Filter) (int, error) {
	where, args := whereClause(f)
	var n int
	if err := c.db.QueryRowContext(ctx, "SELECT count(*) FROM photos"+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count photos: %w", err)
	}
	return n, nil
}

// Facet is one distinct value of a field with its photo count.
type Facet struct {
	Value string
	Count int
}

// Facets lists the distinct non-empty values of field ("make", "model",
// "lens" or "folder") with photo counts, most common first.
func (c *Catalog) Facets(ctx context.Context, field string) ([]Facet, error) {
	switch field {
	case "make", "model", "lens", "folder":
	default:
		return nil, fmt.Errorf("no facet %q: want make, model, lens or folder", field)
	}
	rows, err := c.db.QueryContext(ctx, "SELECT "+field+", count(*) FROM photos WHERE "+field+" != '' GROUP BY "+field+" ORDER BY count(*) DESC, "+field)
	if err != nil {
		return nil, fmt.Errorf("facets of %s: %w", field, err)
	}
	defer rows.Close()
	var out []Facet
	for rows.Next() {
		var f Facet
		if err := rows.Scan(&f.Value, &f.Count); err != nil {
			return nil, fmt.Errorf("read facet: %w", err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}
