package facet

import "strings"

// Field names a filterable fact of a photo. Each store maps it to its own
// column or field name.
type Field int

const (
	TakenAt Field = iota // Unix seconds; undated photos have none
	Make
	Model
	Lens
	Folder
)

// Op is what a Condition requires of its fields.
type Op int

const (
	// AtLeast: the photo is dated and TakenAt >= Unix.
	AtLeast Op = iota
	// AtMost: the photo is dated and TakenAt <= Unix.
	AtMost
	// Equals: at least one of Fields equals Text exactly (byte-wise).
	Equals
	// Within: Fields[0] equals Text or starts with Text + "/". Stores that
	// cannot test prefixes render it as the byte range
	// [Text+"/", Text+"0"), which holds exactly the paths below Text
	// because '0' is the byte after '/'.
	Within
)

// Condition is one clause of a filter; a filter passes when all of its
// conditions hold.
type Condition struct {
	Op     Op
	Fields []Field // Equals: any of them; otherwise exactly one
	Text   string  // Equals, Within
	Unix   int64   // AtLeast, AtMost
}

// Conditions lists f's clauses, the single definition of what f means. An
// empty list lets every photo through.
func (f Filter) Conditions() []Condition {
	var cs []Condition
	from, to, _ := f.TimeBounds()
	if !f.From.IsZero() {
		cs = append(cs, Condition{Op: AtLeast, Fields: []Field{TakenAt}, Unix: from})
	}
	if !f.To.IsZero() {
		cs = append(cs, Condition{Op: AtMost, Fields: []Field{TakenAt}, Unix: to})
	}
	if f.Camera != "" {
		cs = append(cs, Condition{Op: Equals, Fields: []Field{Model, Make}, Text: f.Camera})
	}
	if f.Lens != "" {
		cs = append(cs, Condition{Op: Equals, Fields: []Field{Lens}, Text: f.Lens})
	}
	if f.Folder != "" {
		cs = append(cs, Condition{Op: Within, Fields: []Field{Folder}, Text: strings.TrimRight(f.Folder, "/")})
	}
	return cs
}

// UpperBound is the exclusive upper end of the byte range holding every
// path strictly below dir (see Within).
func UpperBound(dir string) string { return dir + "0" }

func (c Condition) holds(m Meta) bool {
	switch c.Op {
	case AtLeast:
		return !m.TakenAt.IsZero() && m.TakenAt.Unix() >= c.Unix
	case AtMost:
		return !m.TakenAt.IsZero() && m.TakenAt.Unix() <= c.Unix
	case Equals:
		for _, f := range c.Fields {
			if m.text(f) == c.Text {
				return true
			}
		}
		return false
	case Within:
		return InFolder(m.text(c.Fields[0]), c.Text)
	}
	return false
}

func (m Meta) text(f Field) string {
	switch f {
	case Make:
		return m.Make
	case Model:
		return m.Model
	case Lens:
		return m.Lens
	case Folder:
		return m.Folder
	}
	return ""
}
