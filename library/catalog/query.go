package catalog

import (
	"context"
	"fmt"
	"strings"

	"github.com/simili/simili/search/vector"
)

// VectorMeta returns the fields a vector store filters on.
func (p Photo) VectorMeta() vector.Meta {
	return vector.Meta{
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
	Filter vector.Filter
	Offset int
	Limit  int // 0 = no limit
}

func whereClause(f vector.Filter) (string, []any) {
	var (
		conds []string
		args  []any
	)
	if !f.From.IsZero() {
		conds = append(conds, "taken_at >= ?")
		args = append(args, f.From.Unix())
	}
	if !f.To.IsZero() {
		conds = append(conds, "taken_at <= ?")
		args = append(args, f.To.Unix())
	}
	if f.Camera != "" {
		conds = append(conds, "(model = ? OR make = ?)")
		args = append(args, f.Camera, f.Camera)
	}
	if f.Lens != "" {
		conds = append(conds, "lens = ?")
		args = append(args, f.Lens)
	}
	if f.Folder != "" {
		dir := strings.TrimRight(f.Folder, "/")
		conds = append(conds, `(folder = ? OR folder LIKE ? ESCAPE '\')`)
		args = append(args, dir, likePrefix(dir))
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
	return collectPhotos(rows)
}

// Count returns how many photos pass f.
func (c *Catalog) Count(ctx context.Context, f vector.Filter) (int, error) {
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
