package milvus

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/simili/simili/library/facet"
)

// quote makes a user string a Milvus string literal. It is the only way a
// user string enters an expression: backslashes and double quotes are
// escaped so no value can end the literal, and newlines and other control
// characters (which the parser refuses raw) become escapes that it decodes
// back to the same bytes.
func quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\"`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if r < 0x20 || r == 0x7f {
				b.WriteString(`\u00`)
				if r < 0x10 {
					b.WriteByte('0')
				}
				b.WriteString(strconv.FormatInt(int64(r), 16))
				continue
			}
			b.WriteRune(r) // invalid UTF-8 becomes U+FFFD, which no stored value holds
		}
	}
	b.WriteByte('"')
	return b.String()
}

// fields maps each filterable field to its Milvus field name.
var fields = map[facet.Field]string{
	facet.TakenAt: fTaken, facet.Make: fMake, facet.Model: fModel,
	facet.Lens: fLens, facet.Folder: fFolder,
}

// expression renders f's conditions as a Milvus boolean expression; ""
// means no filter. A folder is matched by comparing strings instead of
// LIKE: every path below dir sorts in [dir+"/", dir+"0") because '0' is the
// byte after '/'. This is exact for any folder name, whereas LIKE would need
// its wildcards escaped, and Milvus 2.3 cannot match a literal '%' under
// LIKE at all, while 2.4+ treats '_' as a wildcard too.
func expression(f facet.Filter) string {
	var parts []string
	dated := false
	for _, c := range f.Conditions() {
		switch c.Op {
		case facet.AtLeast, facet.AtMost:
			if !dated {
				parts = append(parts, fHasDate+" == true") // unknown dates never pass a date bound
				dated = true
			}
			op := " >= "
			if c.Op == facet.AtMost {
				op = " <= "
			}
			parts = append(parts, fTaken+op+strconv.FormatInt(c.Unix, 10))
		case facet.Equals:
			alts := make([]string, len(c.Fields))
			for i, fld := range c.Fields {
				alts[i] = fields[fld] + " == " + quote(c.Text)
			}
			if len(alts) == 1 {
				parts = append(parts, alts[0])
			} else {
				parts = append(parts, "("+strings.Join(alts, " or ")+")")
			}
		case facet.Within:
			fld := fields[c.Fields[0]]
			parts = append(parts, "("+fld+" == "+quote(c.Text)+" or ("+
				fld+" >= "+quote(c.Text+"/")+" and "+fld+" < "+quote(facet.UpperBound(c.Text))+"))")
		}
	}
	return strings.Join(parts, " and ")
}

// checkString refuses a metadata value Milvus would reject or alter, with a
// message that names the field instead of a bare gRPC error.
func checkString(id int64, field, v string) error {
	if len(v) > maxVarChar {
		return &ValueError{ID: id, Field: field, Reason: "is " + strconv.Itoa(len(v)) + " bytes, Milvus's limit here is " + strconv.Itoa(maxVarChar)}
	}
	if !utf8.ValidString(v) {
		return &ValueError{ID: id, Field: field, Reason: "is not valid UTF-8"}
	}
	return nil
}

// ValueError reports a record whose metadata cannot be stored in Milvus.
// The sync should skip that photo (and say why) rather than retry it.
type ValueError struct {
	ID     int64
	Field  string
	Reason string
}

func (e *ValueError) Error() string {
	return "photo " + strconv.FormatInt(e.ID, 10) + ": " + e.Field + " " + e.Reason
}
