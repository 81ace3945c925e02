// Package trash moves files to the desktop trash as the freedesktop.org Trash
// specification 1.0 describes it, so that any file manager can list and
// restore what Simili trashed, and restores them itself for Undo.
//
// A file on the same device as the home trash ($XDG_DATA_HOME/Trash) goes
// there; a file on another volume goes to that volume's top-directory trash
// ($topdir/.Trash/$uid when an administrator prepared $topdir/.Trash, else
// $topdir/.Trash-$uid). Files are only ever renamed: a move that would need a
// copy across devices fails and leaves the original where it was, and
// nothing is ever deleted.
package trash

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"golang.org/x/sys/unix"
)

// Options says where the home trash is. The zero value uses the environment
// ($XDG_DATA_HOME, $HOME); tests set them so that they never touch the real
// trash. Volume trashes are named after the process's uid.
type Options struct {
	// DataHome is $XDG_DATA_HOME; the home trash is DataHome/Trash. When
	// empty: $XDG_DATA_HOME, else Home/.local/share.
	DataHome string
	// Home is the home folder, used only when DataHome and $XDG_DATA_HOME
	// are both empty. When empty: os.UserHomeDir.
	Home string
	// Now stamps DeletionDate. When nil: time.Now.
	Now func() time.Time
}

// Trash moves files to the freedesktop.org trash and back. It holds no
// state beyond its options; it is safe for concurrent use.
type Trash struct {
	homeTrash string // "" when no home could be found (homeErr says why)
	homeErr   error
	uid       int
	now       func() time.Time
}

// New returns a Trash for opts. Problems finding the home folder are
// reported by Move, since a file on another volume does not need it.
func New(opts Options) *Trash {
	t := &Trash{uid: os.Getuid(), now: opts.Now}
	if t.now == nil {
		t.now = time.Now
	}
	data := opts.DataHome
	if data == "" {
		data = os.Getenv("XDG_DATA_HOME")
	}
	if data == "" || !filepath.IsAbs(data) { // the XDG spec says to ignore relative paths
		home := opts.Home
		if home == "" {
			h, err := os.UserHomeDir()
			if err != nil {
				t.homeErr = fmt.Errorf("trash: no home folder: %w", err)
				return t
			}
			home = h
		}
		data = filepath.Join(home, ".local", "share")
	}
	t.homeTrash = filepath.Join(data, "Trash")
	return t
}

// HomeTrash returns the home trash folder ($XDG_DATA_HOME/Trash).
func (t *Trash) HomeTrash() (string, error) { return t.homeTrash, t.homeErr }

// Item is one trashed file: enough to restore it, or to find it in a file
// manager.
type Item struct {
	Original string    // where the file was (absolute, folders' symlinks resolved)
	Trashed  string    // where it is now: TRASH/files/NAME
	Info     string    // its TRASH/info/NAME.trashinfo
	Size     int64     // bytes, as stat reported before the move
	Deleted  time.Time // the DeletionDate written (second precision)
}

// ErrCrossDevice is returned (wrapped) when a file cannot be renamed into
// its trash because the two are on different file systems or mounts; the
// file is left where it was.
var ErrCrossDevice = errors.New("trash is on another file system")

// Move moves the regular file at path into the trash for its volume and
// returns where it went. On any error the file is where it was and no
// .trashinfo is left behind.
func (t *Trash) Move(path string) (Item, error) {
	orig, err := resolve(path)
	if err != nil {
		return Item{}, fmt.Errorf("trash %s: %w", path, err)
	}
	st, err := os.Lstat(orig)
	if err != nil {
		return Item{}, fmt.Errorf("trash: %w", err)
	}
	if !st.Mode().IsRegular() {
		return Item{}, fmt.Errorf("trash %s: not a regular file (%s)", orig, st.Mode().Type())
	}
	dir, topdir, err := t.dirFor(orig, st)
	if err != nil {
		return Item{}, fmt.Errorf("trash %s: %w", orig, err)
	}
	if within(orig, dir) {
		return Item{}, fmt.Errorf("trash %s: already in the trash", orig)
	}
	for _, sub := range []string{"files", "info"} {
		if err := mkdirNoFollow(filepath.Join(dir, sub)); err != nil {
			return Item{}, fmt.Errorf("trash %s: %w", orig, err)
		}
	}
	// The spec's Path: absolute in the home trash, relative to the top
	// directory in a volume's trash.
	recorded := orig
	if topdir != "" {
		if recorded, err = filepath.Rel(topdir, orig); err != nil {
			return Item{}, fmt.Errorf("trash %s: %w", orig, err)
		}
	}
	deleted := t.now().Truncate(time.Second)
	content := FormatInfo(Info{Path: recorded, DeletionDate: deleted})

	base := trashName(filepath.Base(orig))
	for n := 1; ; n++ {
		if n > 10000 {
			return Item{}, fmt.Errorf("trash %s: no free name in %s", orig, dir)
		}
		name := base
		if n > 1 {
			name = base + "." + strconv.Itoa(n)
		}
		it := Item{
			Original: orig,
			Trashed:  filepath.Join(dir, "files", name),
			Info:     filepath.Join(dir, "info", name+".trashinfo"),
			Size:     st.Size(),
			Deleted:  deleted,
		}
		// The .trashinfo is written first and exclusively: it reserves
		// NAME against other programs trashing at the same time.
		if err := writeExclusive(it.Info, content); err != nil {
			if errors.Is(err, fs.ErrExist) {
				continue
			}
			return Item{}, fmt.Errorf("trash %s: %w", orig, err)
		}
		err := renameNoReplace(orig, it.Trashed)
		if err == nil {
			return it, nil
		}
		if rmErr := os.Remove(it.Info); rmErr != nil {
			err = errors.Join(err, fmt.Errorf("remove %s: %w", it.Info, rmErr))
		}
		if errors.Is(err, fs.ErrExist) {
			continue // a stray files/NAME without its info: take the next name
		}
		if errors.Is(err, syscall.EXDEV) {
			err = fmt.Errorf("%w: %w", ErrCrossDevice, err)
		}
		return Item{}, fmt.Errorf("trash %s: %w", orig, err)
	}
}

// maxName is NAME_MAX on Linux file systems: "NAME.trashinfo" must fit.
const maxName = 255

// trashName is the name a file gets in the trash: its own, shortened when
// NAME.NNNNN.trashinfo would be too long (the .trashinfo keeps the full
// original path). The end of the name, with the extension, is kept.
func trashName(base string) string {
	const room = maxName - len(".trashinfo") - len(".10000")
	if len(base) <= room {
		return base
	}
	cut := len(base) - room
	for cut < len(base) && !utf8.RuneStart(base[cut]) {
		cut++
	}
	return base[cut:]
}

// Restore moves a trashed file back to where it was and removes its
// .trashinfo. It refuses to replace a file that now exists there, and does
// not recreate a folder that was removed meanwhile.
func (t *Trash) Restore(it Item) error {
	if it.Original == "" || it.Trashed == "" {
		return errors.New("restore: item has no paths")
	}
	if _, err := os.Lstat(it.Trashed); err != nil {
		return fmt.Errorf("restore %s: %w", it.Original, err)
	}
	if _, err := os.Lstat(it.Original); err == nil {
		return fmt.Errorf("restore %s: %w", it.Original, fs.ErrExist)
	}
	if st, err := os.Stat(filepath.Dir(it.Original)); err != nil || !st.IsDir() {
		return fmt.Errorf("restore %s: its folder is gone", it.Original)
	}
	if err := renameNoReplace(it.Trashed, it.Original); err != nil {
		return fmt.Errorf("restore %s: %w", it.Original, err)
	}
	if it.Info != "" {
		if err := os.Remove(it.Info); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("restored %s, but its trash info stays: %w", it.Original, err)
		}
	}
	return nil
}

// Dir returns the trash folder a file at path would be moved to, without
// creating anything.
func (t *Trash) Dir(path string) (string, error) {
	orig, err := resolve(path)
	if err != nil {
		return "", err
	}
	st, err := os.Lstat(orig)
	if err != nil {
		return "", err
	}
	dir, _, err := t.dirForNoCreate(orig, st)
	return dir, err
}

// resolve makes path absolute with its folder's symlinks resolved, so that
// the top directory found by walking up is the file's real mount and the
// recorded path is where the file really is. The file itself is not
// followed: a symlink is not a regular file and Move refuses it.
func resolve(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	dir, err := filepath.EvalSymlinks(filepath.Dir(abs))
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, filepath.Base(abs)), nil
}

// dirFor picks the file's trash folder, creating the per-user folder when
// the spec says to. topdir is "" for the home trash.
func (t *Trash) dirFor(orig string, st fs.FileInfo) (dir, topdir string, err error) {
	return t.pick(orig, st, true)
}

func (t *Trash) dirForNoCreate(orig string, st fs.FileInfo) (string, string, error) {
	return t.pick(orig, st, false)
}

func (t *Trash) pick(orig string, st fs.FileInfo, create bool) (string, string, error) {
	dev := deviceOf(st)
	if t.homeErr == nil {
		hdev, err := nearestDevice(t.homeTrash)
		if err != nil {
			return "", "", fmt.Errorf("home trash %s: %w", t.homeTrash, err)
		}
		if hdev == dev {
			if create {
				if err := mkdirAllPrivate(t.homeTrash); err != nil {
					return "", "", err
				}
			}
			return t.homeTrash, "", nil
		}
	}
	top, err := topDir(filepath.Dir(orig), dev)
	if err != nil {
		return "", "", err
	}
	uid := strconv.Itoa(t.uid)
	// (1) An administrator-made $topdir/.Trash: a real folder with the
	// sticky bit; then the user's trash is .Trash/$uid.
	admin := filepath.Join(top, ".Trash")
	if ast, err := os.Lstat(admin); err == nil {
		if ast.IsDir() && ast.Mode()&fs.ModeSticky != 0 {
			user := filepath.Join(admin, uid)
			ok := true
			if create {
				if err := mkdirNoFollow(user); err != nil {
					ok = false // fall back to (2), as the spec says
				}
			} else if ust, err := os.Lstat(user); err == nil && !ust.IsDir() {
				ok = false
			}
			if ok {
				return user, top, nil
			}
		}
		// Not a folder, a symlink, or no sticky bit: the spec forbids
		// using it (a user could plant it to read others' trash).
	}
	// (2) $topdir/.Trash-$uid, made by the user with 0700.
	user := filepath.Join(top, ".Trash-"+uid)
	if create {
		if err := mkdirNoFollow(user); err != nil {
			return "", "", fmt.Errorf("no usable trash on the volume at %s: %w", top, err)
		}
	}
	return user, top, nil
}

// topDir walks up from dir while the device stays dev and returns the last
// folder on it: the mount point of the file's volume.
func topDir(dir string, dev uint64) (string, error) {
	cur := dir
	for {
		parent := filepath.Dir(cur)
		if parent == cur {
			return cur, nil
		}
		st, err := os.Stat(parent)
		if err != nil {
			return "", fmt.Errorf("find the top of the volume: %w", err)
		}
		if deviceOf(st) != dev {
			return cur, nil
		}
		cur = parent
	}
}

// nearestDevice returns the device of path, or of its nearest existing
// ancestor: the home trash may not exist yet, but will be made there.
func nearestDevice(path string) (uint64, error) {
	cur := path
	for {
		st, err := os.Stat(cur)
		if err == nil {
			return deviceOf(st), nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return 0, err
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return 0, err
		}
		cur = parent
	}
}

func deviceOf(st fs.FileInfo) uint64 {
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		return uint64(s.Dev) //nolint:unconvert // Dev's type differs across platforms
	}
	return 0
}

// within reports whether path is dir or inside it.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// mkdirNoFollow makes dir with 0700 unless it exists, and refuses a dir that
// is a symlink or not a folder, so the trash cannot be redirected.
func mkdirNoFollow(dir string) error {
	err := os.Mkdir(dir, 0o700)
	if err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("make %s: %w", dir, err)
	}
	st, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return fmt.Errorf("%s is not a folder (%s)", dir, st.Mode().Type())
	}
	return nil
}

// mkdirAllPrivate makes the home trash and its parents; the trash itself is
// private to the user.
func mkdirAllPrivate(dir string) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return fmt.Errorf("make %s: %w", filepath.Dir(dir), err)
	}
	return mkdirNoFollow(dir)
}

// writeExclusive creates path (failing if it exists) with content, synced
// so that a crash cannot leave a trashed file without its record.
func writeExclusive(path string, content []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(content)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// renameNoReplace renames without ever replacing an existing file: with
// renameat2(RENAME_NOREPLACE) where the file system supports it, else after
// checking (the window between check and rename is the best the system
// offers there).
func renameNoReplace(from, to string) error {
	err := unix.Renameat2(unix.AT_FDCWD, from, unix.AT_FDCWD, to, unix.RENAME_NOREPLACE)
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.ENOTSUP) {
		if _, serr := os.Lstat(to); serr == nil {
			return &os.LinkError{Op: "rename", Old: from, New: to, Err: fs.ErrExist}
		}
		return os.Rename(from, to)
	}
	if err != nil {
		if errors.Is(err, unix.EEXIST) {
			err = fs.ErrExist
		}
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: err}
	}
	return nil
}
