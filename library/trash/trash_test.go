package trash

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/sys/unix"
)

var fixedNow = time.Date(2026, 12, 2, 14, 5, 9, 0, time.Local)

// newTrash returns a Trash whose home trash is inside a fresh temp folder
// (never the real one) and the folder where test files go, on the same
// device.
func newTrash(t *testing.T) (*Trash, string) {
	t.Helper()
	base := t.TempDir()
	tr := New(Options{DataHome: filepath.Join(base, "xdg-data"), Now: func() time.Time { return fixedNow }})
	photos := filepath.Join(base, "photos")
	if err := os.Mkdir(photos, 0o755); err != nil {
		t.Fatal(err)
	}
	return tr, photos
}

// writeTree creates files (relative path → content) under root.
func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for rel, content := range files {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// checksums maps every regular file under root (except the trash's own
// bookkeeping, which is asserted separately) to its sha256 and mode.
func checksums(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			sum := sha256.Sum256(data)
			out[p] = hex.EncodeToString(sum[:]) + " " + info.Mode().String()
		}
		return nil
	})
	if err != nil {
		t.Fatalf("checksums of %s: %v", root, err)
	}
	return out
}

// sameExcept fails unless after equals before, ignoring the paths in skip.
func sameExcept(t *testing.T, before, after map[string]string, skip ...string) {
	t.Helper()
	ignore := map[string]bool{}
	for _, s := range skip {
		ignore[s] = true
	}
	for p, sum := range before {
		if ignore[p] {
			continue
		}
		if after[p] != sum {
			t.Errorf("%s changed: %q → %q", p, sum, after[p])
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok && !ignore[p] {
			t.Errorf("unexpected new file %s", p)
		}
	}
}

func sum(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

func readInfo(t *testing.T, path string) (Info, string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read trashinfo: %v", err)
	}
	in, err := ParseInfo(data)
	if err != nil {
		t.Fatalf("parse %s: %v\n%s", path, err, data)
	}
	return in, string(data)
}

func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestMoveAndRestoreHomeTrash(t *testing.T) {
	others := map[string]string{
		"keep.jpg":           "keeper",
		"2008/keep.jpg":      "another keeper",
		"2008/neighbour.png": "neighbour",
	}
	tests := []struct {
		name    string
		rel     string // file to trash, relative to the photos folder
		escaped string // how Path= must spell its last element
	}{
		{"plain", "a.jpg", "a.jpg"},
		{"nested", "2008/deep/b.png", "b.png"},
		{"space and percent", "my 100% holiday.jpg", "my%20100%25%20holiday.jpg"},
		{"utf-8", "été à Nîmes.jpg", "%C3%A9t%C3%A9%20%C3%A0%20N%C3%AEmes.jpg"},
		{"invalid utf-8 and newline", "x\xff\ny.jpg", "x%FF%0Ay.jpg"},
		{"reserved characters", "a#b?c=d&e+f;g.jpg", "a%23b%3Fc%3Dd%26e%2Bf%3Bg.jpg"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr, photos := newTrash(t)
			root := filepath.Dir(photos)
			writeTree(t, photos, others)
			writeTree(t, photos, map[string]string{tc.rel: "content of " + tc.rel})
			target := filepath.Join(photos, tc.rel)
			want := sum(t, target)
			before := checksums(t, root)

			it, err := tr.Move(target)
			if err != nil {
				t.Fatalf("Move: %v", err)
			}
			home, _ := tr.HomeTrash()
			if it.Original != target || it.Size != int64(len("content of "+tc.rel)) || !it.Deleted.Equal(fixedNow) {
				t.Errorf("item = %+v", it)
			}
			if it.Trashed != filepath.Join(home, "files", filepath.Base(tc.rel)) ||
				it.Info != filepath.Join(home, "info", filepath.Base(tc.rel)+".trashinfo") {
				t.Errorf("trashed to %s / %s", it.Trashed, it.Info)
			}
			if _, err := os.Lstat(target); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("original still there: %v", err)
			}
			if got := sum(t, it.Trashed); got != want {
				t.Errorf("trashed content differs")
			}
			in, raw := readInfo(t, it.Info)
			if in.Path != target || !in.DeletionDate.Equal(fixedNow) {
				t.Errorf("info = %+v", in)
			}
			wantRaw := "[Trash Info]\nPath=" + EscapePath(filepath.Dir(target)) + "/" + tc.escaped +
				"\nDeletionDate=" + fixedNow.Format("2006-01-02T15:04:05") + "\n"
			if raw != wantRaw {
				t.Errorf("trashinfo =\n%q\nwant\n%q", raw, wantRaw)
			}
			for _, d := range []string{home, filepath.Join(home, "files"), filepath.Join(home, "info")} {
				if st, err := os.Lstat(d); err != nil || st.Mode().Perm() != 0o700 || !st.IsDir() {
					t.Errorf("%s: %v %v, want a 0700 folder", d, st.Mode(), err)
				}
			}
			back, err := ReadItem(it.Info)
			if err != nil || back != it {
				t.Errorf("ReadItem = %+v, %v; want %+v", back, err, it)
			}
			sameExcept(t, before, checksums(t, root), target, it.Trashed, it.Info)

			if err := tr.Restore(it); err != nil {
				t.Fatalf("Restore: %v", err)
			}
			if got := sum(t, target); got != want {
				t.Errorf("restored content differs")
			}
			if n := entries(t, filepath.Join(home, "info")); len(n) != 0 {
				t.Errorf("info left after restore: %v", n)
			}
			if n := entries(t, filepath.Join(home, "files")); len(n) != 0 {
				t.Errorf("files left after restore: %v", n)
			}
			sameExcept(t, before, checksums(t, root))
		})
	}
}

func TestMoveNameCollisions(t *testing.T) {
	tr, photos := newTrash(t)
	root := filepath.Dir(photos)
	writeTree(t, photos, map[string]string{
		"a/IMG_1.jpg": "one", "b/IMG_1.jpg": "two", "c/IMG_1.jpg": "three", "d/IMG_1.jpg": "four",
		"other.jpg": "untouched",
	})
	home, _ := tr.HomeTrash()
	// A stray files/IMG_1.jpg.3 without its info (left by some other
	// program) must be neither overwritten nor reused.
	writeTree(t, filepath.Join(home, "files"), map[string]string{"IMG_1.jpg.3": "stray"})
	before := checksums(t, root)

	var items []Item
	for _, d := range []string{"a", "b", "c", "d"} {
		it, err := tr.Move(filepath.Join(photos, d, "IMG_1.jpg"))
		if err != nil {
			t.Fatalf("Move %s: %v", d, err)
		}
		items = append(items, it)
	}
	wantNames := []string{"IMG_1.jpg", "IMG_1.jpg.2", "IMG_1.jpg.4", "IMG_1.jpg.5"}
	for i, it := range items {
		if filepath.Base(it.Trashed) != wantNames[i] || filepath.Base(it.Info) != wantNames[i]+".trashinfo" {
			t.Errorf("item %d trashed as %s / %s, want %s", i, it.Trashed, it.Info, wantNames[i])
		}
		in, _ := readInfo(t, it.Info)
		if in.Path != it.Original {
			t.Errorf("%s records %s, want %s", it.Info, in.Path, it.Original)
		}
	}
	if got := sum(t, filepath.Join(home, "files", "IMG_1.jpg.3")); got != before[filepath.Join(home, "files", "IMG_1.jpg.3")][:64] {
		t.Error("stray file changed")
	}
	// Restore in another order than trashed: each goes home with its content.
	for _, i := range []int{2, 0, 3, 1} {
		if err := tr.Restore(items[i]); err != nil {
			t.Fatalf("Restore %d: %v", i, err)
		}
	}
	sameExcept(t, before, checksums(t, root))
	if n := entries(t, filepath.Join(home, "info")); len(n) != 0 {
		t.Errorf("info left: %v", n)
	}
}

func TestMoveRefuses(t *testing.T) {
	tr, photos := newTrash(t)
	root := filepath.Dir(photos)
	writeTree(t, photos, map[string]string{"dir/inside.jpg": "x", "real.jpg": "real"})
	if err := os.Symlink(filepath.Join(photos, "real.jpg"), filepath.Join(photos, "link.jpg")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(photos, "fifo.jpg"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Something already in the trash cannot be trashed again.
	inTrash, err := tr.Move(filepath.Join(photos, "real.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	writeTree(t, photos, map[string]string{"real.jpg": "real"})
	before := checksums(t, root)

	tests := []struct {
		name, path, want string
	}{
		{"folder", filepath.Join(photos, "dir"), "not a regular file"},
		{"symlink", filepath.Join(photos, "link.jpg"), "not a regular file"},
		{"fifo", filepath.Join(photos, "fifo.jpg"), "not a regular file"},
		{"missing", filepath.Join(photos, "nope.jpg"), "no such file"},
		{"missing folder", filepath.Join(photos, "gone", "x.jpg"), "no such file"},
		{"already trashed", inTrash.Trashed, "already in the trash"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tr.Move(tc.path)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Move(%s) = %v, want an error containing %q", tc.path, err, tc.want)
			}
			sameExcept(t, before, checksums(t, root))
		})
	}
	if _, err := os.Lstat(filepath.Join(photos, "fifo.jpg")); err != nil {
		t.Errorf("fifo lost: %v", err)
	}
}

func TestRestoreRefusesToReplace(t *testing.T) {
	tr, photos := newTrash(t)
	root := filepath.Dir(photos)
	writeTree(t, photos, map[string]string{"a.jpg": "old"})
	it, err := tr.Move(filepath.Join(photos, "a.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	writeTree(t, photos, map[string]string{"a.jpg": "new file with the same name"})
	before := checksums(t, root)
	if err := tr.Restore(it); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("Restore over an existing file = %v, want ErrExist", err)
	}
	sameExcept(t, before, checksums(t, root))

	// A folder removed meanwhile is not recreated.
	writeTree(t, photos, map[string]string{"sub/b.jpg": "b"})
	it2, err := tr.Move(filepath.Join(photos, "sub", "b.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(photos, "sub")); err != nil {
		t.Fatal(err)
	}
	before = checksums(t, root)
	if err := tr.Restore(it2); err == nil || !strings.Contains(err.Error(), "folder is gone") {
		t.Fatalf("Restore into a removed folder = %v", err)
	}
	sameExcept(t, before, checksums(t, root))
}

// fsImmutable is FS_IMMUTABLE_FL from linux/fs.h.
const fsImmutable = 0x10

// readOnly makes dir unwritable for this process until the test ends:
// mode 0555 for a normal user; for root, whom modes do not stop, the
// immutable attribute.
func readOnly(t *testing.T, dir string) {
	t.Helper()
	if os.Geteuid() != 0 {
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(dir, 0o755) })
		return
	}
	f, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	flags, err := unix.IoctlGetUint32(int(f.Fd()), unix.FS_IOC_GETFLAGS)
	if err == nil {
		err = unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, int(flags|fsImmutable))
	}
	if err != nil {
		t.Skipf("running as root and %s cannot be made immutable here: %v", dir, err)
	}
	t.Cleanup(func() {
		f, err := os.Open(dir)
		if err != nil {
			t.Error(err)
			return
		}
		defer f.Close()
		if err := unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, int(flags)); err != nil {
			t.Errorf("clear immutable on %s: %v", dir, err)
		}
	})
}

func TestReadOnlyLosesNothing(t *testing.T) {
	t.Run("photo folder read-only", func(t *testing.T) {
		tr, photos := newTrash(t)
		root := filepath.Dir(photos)
		writeTree(t, photos, map[string]string{"locked/a.jpg": "a", "b.jpg": "b"})
		readOnly(t, filepath.Join(photos, "locked"))
		before := checksums(t, root)
		_, err := tr.Move(filepath.Join(photos, "locked", "a.jpg"))
		if !errors.Is(err, fs.ErrPermission) && !errors.Is(err, syscall.EPERM) {
			t.Fatalf("Move from a read-only folder = %v, want a permission error", err)
		}
		home, _ := tr.HomeTrash()
		if n := entries(t, filepath.Join(home, "info")); len(n) != 0 {
			t.Errorf("trashinfo left behind: %v", n)
		}
		sameExcept(t, before, checksums(t, root))
	})
	t.Run("trash read-only", func(t *testing.T) {
		tr, photos := newTrash(t)
		root := filepath.Dir(photos)
		writeTree(t, photos, map[string]string{"a.jpg": "a"})
		home, _ := tr.HomeTrash()
		for _, d := range []string{"files", "info"} {
			if err := os.MkdirAll(filepath.Join(home, d), 0o700); err != nil {
				t.Fatal(err)
			}
		}
		readOnly(t, filepath.Join(home, "info"))
		before := checksums(t, root)
		_, err := tr.Move(filepath.Join(photos, "a.jpg"))
		if !errors.Is(err, fs.ErrPermission) && !errors.Is(err, syscall.EPERM) {
			t.Fatalf("Move into a read-only trash = %v, want a permission error", err)
		}
		sameExcept(t, before, checksums(t, root))
	})
	t.Run("restore into read-only folder", func(t *testing.T) {
		tr, photos := newTrash(t)
		root := filepath.Dir(photos)
		writeTree(t, photos, map[string]string{"locked/a.jpg": "a"})
		it, err := tr.Move(filepath.Join(photos, "locked", "a.jpg"))
		if err != nil {
			t.Fatal(err)
		}
		readOnly(t, filepath.Join(photos, "locked"))
		before := checksums(t, root)
		if err := tr.Restore(it); err == nil {
			t.Fatal("Restore into a read-only folder succeeded")
		}
		sameExcept(t, before, checksums(t, root))
		if _, err := ReadItem(it.Info); err != nil {
			t.Errorf("trashinfo lost: %v", err)
		}
	})
}

// otherVolume returns a folder on a file system other than the temp
// folder's: a private tmpfs mounted for the test when the process may
// mount (root), else a folder in /dev/shm when that is another device.
// private says whether the folder is the volume's top directory and owned
// by this test alone.
func otherVolume(t *testing.T) (dir string, private bool) {
	t.Helper()
	base := t.TempDir()
	vol := filepath.Join(base, "vol")
	if err := os.Mkdir(vol, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("simili-trash-test", vol, "tmpfs", 0, "size=4m,mode=0755"); err == nil {
		t.Cleanup(func() {
			if err := unix.Unmount(vol, unix.MNT_DETACH); err != nil {
				t.Errorf("unmount %s: %v", vol, err)
			}
		})
		return vol, true
	}
	bst, err1 := os.Stat(base)
	sst, err2 := os.Stat("/dev/shm")
	if err1 != nil || err2 != nil || deviceOf(bst) == deviceOf(sst) {
		t.Skipf("no second file system: cannot mount a tmpfs, and /dev/shm is missing or on the temp folder's device")
	}
	d, err := os.MkdirTemp("/dev/shm", "simili-trash-test-")
	if err != nil {
		t.Skipf("no second file system: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d, false
}

func TestOtherVolume(t *testing.T) {
	uid := strconv.Itoa(os.Getuid())
	vol, private := otherVolume(t)
	top, err := topDir(vol, func() uint64 { st, _ := os.Stat(vol); return deviceOf(st) }())
	if err != nil {
		t.Fatal(err)
	}
	if private && top != vol {
		t.Fatalf("top dir of the mount at %s found as %s", vol, top)
	}
	tests := []struct {
		name      string
		prepare   func(t *testing.T) // makes $topdir/.Trash or not
		wantTrash string             // relative to top
		privateOK bool               // needs the volume to itself
	}{
		{"no .Trash: .Trash-uid", func(t *testing.T) {}, ".Trash-" + uid, false},
		{"sticky .Trash: .Trash/uid", func(t *testing.T) {
			mkSticky(t, filepath.Join(top, ".Trash"), 0o1777)
		}, filepath.Join(".Trash", uid), true},
		{".Trash without sticky bit is not used", func(t *testing.T) {
			mkSticky(t, filepath.Join(top, ".Trash"), 0o777)
		}, ".Trash-" + uid, true},
		{".Trash as a symlink is not used", func(t *testing.T) {
			target := filepath.Join(top, "elsewhere")
			mkSticky(t, target, 0o1777)
			if err := os.Symlink(target, filepath.Join(top, ".Trash")); err != nil {
				t.Fatal(err)
			}
		}, ".Trash-" + uid, true},
	}
	tr, photos := newTrash(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.privateOK && !private {
				t.Skip("needs a volume of its own (could not mount a tmpfs)")
			}
			tidy(top, uid)
			t.Cleanup(func() { tidy(top, uid) })
			tc.prepare(t)
			work, err := os.MkdirTemp(vol, "photos-")
			if err != nil {
				t.Fatal(err)
			}
			writeTree(t, work, map[string]string{"2009/x y.jpg": "on the other volume", "keep.jpg": "k"})
			writeTree(t, photos, map[string]string{"home.jpg": "on the home volume"})
			beforeVol, beforeHome := checksums(t, vol), checksums(t, filepath.Dir(photos))
			target := filepath.Join(work, "2009", "x y.jpg")

			it, err := tr.Move(target)
			if err != nil {
				t.Fatalf("Move: %v", err)
			}
			trashDir := filepath.Join(top, tc.wantTrash)
			if it.Trashed != filepath.Join(trashDir, "files", "x y.jpg") {
				t.Fatalf("trashed to %s, want inside %s", it.Trashed, trashDir)
			}
			if tc.wantTrash == ".Trash-"+uid {
				if st, err := os.Lstat(trashDir); err != nil || st.Mode().Perm() != 0o700 {
					t.Errorf("%s mode %v (%v), want 0700", trashDir, st.Mode(), err)
				}
			}
			in, raw := readInfo(t, it.Info)
			rel, _ := filepath.Rel(top, target)
			if in.Path != rel || filepath.IsAbs(in.Path) {
				t.Errorf("Path = %q, want %q relative to the top dir\n%s", in.Path, rel, raw)
			}
			back, err := ReadItem(it.Info)
			if err != nil || back.Original != target {
				t.Errorf("ReadItem original = %q, %v; want %q", back.Original, err, target)
			}
			home, _ := tr.HomeTrash()
			if n := entries(t, filepath.Join(home, "files")); len(n) != 0 {
				t.Errorf("home trash used for another volume: %v", n)
			}
			sameExcept(t, beforeVol, checksums(t, vol), target, it.Trashed, it.Info)
			sameExcept(t, beforeHome, checksums(t, filepath.Dir(photos)))

			if err := tr.Restore(it); err != nil {
				t.Fatalf("Restore: %v", err)
			}
			sameExcept(t, beforeVol, checksums(t, vol))
			os.RemoveAll(work)
			os.Remove(filepath.Join(photos, "home.jpg"))
		})
	}
}

// tidy removes the volume's trash folders if they are empty (and nothing
// else: on a shared /dev/shm they may hold someone's trash).
func tidy(top, uid string) {
	for _, p := range []string{
		".Trash-" + uid + "/files", ".Trash-" + uid + "/info", ".Trash-" + uid,
		".Trash/" + uid + "/files", ".Trash/" + uid + "/info", ".Trash/" + uid, ".Trash", "elsewhere",
	} {
		os.Remove(filepath.Join(top, p))
	}
}

func mkSticky(t *testing.T, dir string, mode fs.FileMode) {
	t.Helper()
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	m := mode.Perm()
	if mode&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	if err := os.Chmod(dir, m); err != nil {
		t.Fatal(err)
	}
}

// TestCrossMountFailsCleanly bind-mounts a folder of the home trash's file
// system elsewhere: same device id, so the home trash is chosen, but
// rename(2) across the mounts fails with EXDEV. The file must stay.
func TestCrossMountFailsCleanly(t *testing.T) {
	tr, photos := newTrash(t)
	src := filepath.Join(filepath.Dir(photos), "bind-src")
	writeTree(t, src, map[string]string{"a.jpg": "a", "b.jpg": "b"})
	mnt := filepath.Join(filepath.Dir(photos), "bind-mnt")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount(src, mnt, "", unix.MS_BIND, ""); err != nil {
		t.Skipf("cannot bind-mount here (needs root): %v", err)
	}
	t.Cleanup(func() { unix.Unmount(mnt, unix.MNT_DETACH) })
	root := filepath.Dir(photos)
	before := checksums(t, root)
	_, err := tr.Move(filepath.Join(mnt, "a.jpg"))
	if !errors.Is(err, ErrCrossDevice) || !errors.Is(err, syscall.EXDEV) {
		t.Fatalf("Move across mounts = %v, want ErrCrossDevice", err)
	}
	home, _ := tr.HomeTrash()
	if n := entries(t, filepath.Join(home, "info")); len(n) != 0 {
		t.Errorf("trashinfo left behind: %v", n)
	}
	sameExcept(t, before, checksums(t, root))
}

func TestParseInfo(t *testing.T) {
	date := time.Date(2004, 8, 31, 22, 32, 8, 0, time.Local)
	tests := []struct {
		name, in string
		want     Info
		err      string
	}{
		{"spec example", "[Trash Info]\nPath=foo/bar/meow.bow-wow\nDeletionDate=2004-08-31T22:32:08\n",
			Info{Path: "foo/bar/meow.bow-wow", DeletionDate: date}, ""},
		{"escaped absolute", "[Trash Info]\nPath=/home/u/My%20Photos/%C3%A9t%C3%A9.jpg\nDeletionDate=2004-08-31T22:32:08\n",
			Info{Path: "/home/u/My Photos/été.jpg", DeletionDate: date}, ""},
		{"comments, CRLF, other groups and keys", "# made by hand\r\n[Trash Info]\r\nPath=/a%2fb\r\nX-Other=1\r\nDeletionDate=2004-08-31T22:32:08\r\n[Other]\r\nPath=/ignored\r\n",
			Info{Path: "/a/b", DeletionDate: date}, ""},
		{"no date", "[Trash Info]\nPath=/a\n", Info{Path: "/a"}, ""},
		{"wrong first group", "[Desktop Entry]\nPath=/a\n", Info{}, "not [Trash Info]"},
		{"key before group", "Path=/a\n[Trash Info]\n", Info{}, "before the [Trash Info] group"},
		{"no path", "[Trash Info]\nDeletionDate=2004-08-31T22:32:08\n", Info{}, "no Path"},
		{"empty path", "[Trash Info]\nPath=\n", Info{}, "empty Path"},
		{"path twice", "[Trash Info]\nPath=/a\nPath=/b\n", Info{}, "twice"},
		{"bad escape", "[Trash Info]\nPath=/a%2\n", Info{}, "bad escape"},
		{"bad hex", "[Trash Info]\nPath=/a%zz\n", Info{}, "bad escape"},
		{"bad date", "[Trash Info]\nPath=/a\nDeletionDate=31/08/2004\n", Info{}, "DeletionDate"},
		{"no equals", "[Trash Info]\nPath\n", Info{}, "malformed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseInfo([]byte(tc.in))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("ParseInfo = %+v, %v; want error containing %q", got, err, tc.err)
				}
				return
			}
			if err != nil || got.Path != tc.want.Path || !got.DeletionDate.Equal(tc.want.DeletionDate) {
				t.Fatalf("ParseInfo = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestEscapeRoundTrip(t *testing.T) {
	var all []byte
	for b := 0; b < 256; b++ {
		all = append(all, byte(b))
	}
	for _, p := range []string{"/plain/path.jpg", "rel/a b.jpg", string(all), "/%41%", "/ü/\x00/\xfe"} {
		esc := EscapePath(p)
		for i := 0; i < len(esc); i++ {
			if c := esc[i]; c <= ' ' || c >= 0x7f || c == '=' || c == '#' || c == '\n' {
				t.Fatalf("EscapePath(%q) = %q keeps byte %q", p, esc, c)
			}
		}
		back, err := UnescapePath(esc)
		if err != nil || back != p {
			t.Errorf("round trip of %q: %q, %v", p, back, err)
		}
	}
	if got := EscapePath("/a b/%.jpg"); got != "/a%20b/%25.jpg" {
		t.Errorf("EscapePath = %q", got)
	}
}

// TestLongNames: a file name too long for NAME.trashinfo is shortened in
// the trash (keeping its end) while the .trashinfo keeps the full path, and
// Restore gives the file its full name back.
func TestLongNames(t *testing.T) {
	tr, photos := newTrash(t)
	root := filepath.Dir(photos)
	long := strings.Repeat("é", 120) + "-IMG_0001.jpg" // 253 bytes
	writeTree(t, photos, map[string]string{long: "long", "short.jpg": "s"})
	before := checksums(t, root)
	var items []Item
	for range 2 { // moved, restored, moved again
		it, err := tr.Move(filepath.Join(photos, long))
		if err != nil {
			t.Fatalf("Move: %v", err)
		}
		if n := len(filepath.Base(it.Info)); n > 255 || !strings.HasSuffix(it.Trashed, "-IMG_0001.jpg") {
			t.Errorf("trashed as %s (info name %d bytes)", filepath.Base(it.Trashed), n)
		}
		if !utf8.ValidString(filepath.Base(it.Trashed)) {
			t.Errorf("shortened name cut a character: %q", filepath.Base(it.Trashed))
		}
		in, _ := readInfo(t, it.Info)
		if in.Path != filepath.Join(photos, long) {
			t.Errorf("info Path %q, want the full original", in.Path)
		}
		items = append(items, it)
		if len(items) == 1 {
			if err := tr.Restore(it); err != nil {
				t.Fatal(err)
			}
			sameExcept(t, before, checksums(t, root))
		}
	}
	if filepath.Base(items[0].Trashed) != filepath.Base(items[1].Trashed) {
		t.Errorf("same file, different names after a restore: %s, %s", items[0].Trashed, items[1].Trashed)
	}
	if err := tr.Restore(items[1]); err != nil {
		t.Fatal(err)
	}
	sameExcept(t, before, checksums(t, root))
}
