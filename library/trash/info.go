package trash

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Info is the content of a .trashinfo file.
type Info struct {
	// Path is the original location, decoded: absolute in the home trash,
	// relative to the volume's top directory in a volume trash.
	Path string
	// DeletionDate is local time, to the second (the spec's
	// YYYY-MM-DDThh:mm:ss carries no zone).
	DeletionDate time.Time
}

// dateLayout is the spec's DeletionDate format (RFC 3339 without a zone).
const dateLayout = "2006-01-02T15:04:05"

// FormatInfo renders a .trashinfo file.
func FormatInfo(in Info) []byte {
	var b bytes.Buffer
	b.WriteString("[Trash Info]\n")
	b.WriteString("Path=" + EscapePath(in.Path) + "\n")
	b.WriteString("DeletionDate=" + in.DeletionDate.Local().Format(dateLayout) + "\n")
	return b.Bytes()
}

// ParseInfo reads a .trashinfo file: the [Trash Info] group must come
// first; other groups, comments and unknown keys are ignored, as desktop
// entry files allow.
func ParseInfo(data []byte) (Info, error) {
	var in Info
	var havePath bool
	sc := bufio.NewScanner(bytes.NewReader(data))
	group, first := "", true
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "[") {
			group = line
			if first && group != "[Trash Info]" {
				return Info{}, fmt.Errorf("trashinfo: first group is %q, not [Trash Info]", group)
			}
			first = false
			continue
		}
		if first {
			return Info{}, fmt.Errorf("trashinfo: key before the [Trash Info] group")
		}
		if group != "[Trash Info]" {
			continue
		}
		key, val, ok := strings.Cut(line, "=")
		if !ok {
			return Info{}, fmt.Errorf("trashinfo: malformed line %q", line)
		}
		switch strings.TrimSpace(key) {
		case "Path":
			if havePath {
				return Info{}, fmt.Errorf("trashinfo: Path given twice")
			}
			p, err := UnescapePath(strings.TrimSpace(val))
			if err != nil {
				return Info{}, fmt.Errorf("trashinfo: Path: %w", err)
			}
			if p == "" {
				return Info{}, fmt.Errorf("trashinfo: empty Path")
			}
			in.Path, havePath = p, true
		case "DeletionDate":
			d, err := time.ParseInLocation(dateLayout, strings.TrimSpace(val), time.Local)
			if err != nil {
				return Info{}, fmt.Errorf("trashinfo: DeletionDate: %w", err)
			}
			in.DeletionDate = d
		}
	}
	if err := sc.Err(); err != nil {
		return Info{}, fmt.Errorf("trashinfo: %w", err)
	}
	if !havePath {
		return Info{}, fmt.Errorf("trashinfo: no Path")
	}
	return in, nil
}

// ReadItem rebuilds the Item of a .trashinfo file (TRASH/info/NAME.trashinfo),
// resolving a relative Path against the volume's top directory.
func ReadItem(infoPath string) (Item, error) {
	data, err := os.ReadFile(infoPath)
	if err != nil {
		return Item{}, err
	}
	in, err := ParseInfo(data)
	if err != nil {
		return Item{}, fmt.Errorf("%s: %w", infoPath, err)
	}
	name, ok := strings.CutSuffix(filepath.Base(infoPath), ".trashinfo")
	if !ok {
		return Item{}, fmt.Errorf("%s: not a .trashinfo file", infoPath)
	}
	dir := filepath.Dir(filepath.Dir(infoPath))
	it := Item{
		Trashed: filepath.Join(dir, "files", name),
		Info:    infoPath,
		Deleted: in.DeletionDate,
	}
	switch {
	case filepath.IsAbs(in.Path):
		it.Original = filepath.Clean(in.Path)
	case strings.HasPrefix(filepath.Base(dir), ".Trash-"):
		it.Original = filepath.Join(filepath.Dir(dir), in.Path)
	case filepath.Base(filepath.Dir(dir)) == ".Trash":
		it.Original = filepath.Join(filepath.Dir(filepath.Dir(dir)), in.Path)
	default:
		return Item{}, fmt.Errorf("%s: relative Path %q outside a volume trash", infoPath, in.Path)
	}
	if st, err := os.Lstat(it.Trashed); err == nil {
		it.Size = st.Size()
	}
	return it, nil
}

// EscapePath percent-encodes a path as URLs do (RFC 2396/3986): every byte
// but the unreserved characters and '/' becomes %XX, so any file name,
// including invalid UTF-8, round-trips.
func EscapePath(p string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		if unreserved(c) || c == '/' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// UnescapePath decodes %XX sequences; any other byte stands for itself.
func UnescapePath(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			return "", fmt.Errorf("bad escape at byte %d of %q", i, s)
		}
		b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
		i += 2
	}
	return b.String(), nil
}

func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}
