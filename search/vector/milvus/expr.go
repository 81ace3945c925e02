package milvus

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/simili/simili/search/vector"
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

// folderExpr matches dir and every folder below it. It compares strings
// instead of using LIKE: every path below dir sorts in [dir+"/", dir+"0")
// because '0' is the byte after '/'. This is exact for any folder name,
// whereas LIKE would need its wildcards escaped, and Milvus 2.3 cannot match
// a literal '%' under LIKE at all (it only takes a plain prefix followed by
// one trailing %; "\%" matches nothing), while 2.4+ treats '_' as a
// wildcard too.
func folderExpr(folder string) string {
	dir := strings.TrimRight(folder, "/")
	return "(" + fFolder + " == " + quote(dir) + " or (" +
		fFolder + " >= " + quote(dir+"/") + " and " + fFolder + " < " + quote(dir+"0") + "))"
}

// expression translates a filter into a Milvus boolean expression with the
// semantics of vector.Filter.Match; "" means no filter.
func expression(f vector.Filter) string {
	var parts []string
	if from, to, ok := f.TimeBounds(); ok {
		parts = append(parts, fHasDate+" == true") // unknown dates never pass a date bound
		if !f.From.IsZero() {
			parts = append(parts, fTaken+" >= "+strconv.FormatInt(from, 10))
		}
		if !f.To.IsZero() {
			parts = append(parts, fTaken+" <= "+strconv.FormatInt(to, 10))
		}
	}
	if f.Camera != "" {
		q := quote(f.Camera)
		parts = append(parts, "("+fModel+" == "+q+" or "+fMake+" == "+q+")")
	}
	if f.Lens != "" {
		parts = append(parts, fLens+" == "+quote(f.Lens))
	}
	if f.Folder != "" {
		parts = append(parts, folderExpr(f.Folder))
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
