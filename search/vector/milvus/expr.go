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
			b.WriteRune(r) // values come through storable: always valid UTF-8
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
				alts[i] = fields[fld] + " == " + quote(storable(c.Text))
			}
			if len(alts) == 1 {
				parts = append(parts, alts[0])
			} else {
				parts = append(parts, "("+strings.Join(alts, " or ")+")")
			}
		case facet.Within:
			// Stored folders went through storable; a folder below dir
			// becomes storable(dir) + "/" + … or, cut, storable(dir) itself.
			fld, dir := fields[c.Fields[0]], storable(c.Text)
			parts = append(parts, "("+fld+" == "+quote(dir)+" or ("+
				fld+" >= "+quote(dir+"/")+" and "+fld+" < "+quote(facet.UpperBound(dir))+"))")
		}
	}
	return strings.Join(parts, " and ")
}

// storable returns v as the collection holds it: invalid UTF-8 (a folder
// name from a non-UTF-8 file system) has each invalid run replaced by
// U+FFFD, and a value longer than maxVarChar bytes is cut at the last rune
// boundary that fits. Milvus refuses both as they are, and one refused
// value would fail its whole batch. The catalog keeps the true value;
// filters go through storable too (see expression), so a filter on the
// true value still matches. The only cost: values that agree in their
// first 2048 bytes, or differ only in their invalid bytes, are one value
// to Milvus's filters.
func storable(v string) string {
	if !utf8.ValidString(v) {
		v = strings.ToValidUTF8(v, "\uFFFD")
	}
	if len(v) <= maxVarChar {
		return v
	}
	cut := maxVarChar
	for cut > 0 && !utf8.RuneStart(v[cut]) {
		cut--
	}
	return v[:cut]
}
