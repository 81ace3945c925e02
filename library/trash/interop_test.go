package trash

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/simili/simili/internal/testenv"
)

// trashCLI returns an environment in which trash-cli (an independent
// implementation of the spec, Debian package trash-cli) uses home's trash
// only, or skips the test when trash-cli is not installed.
func trashCLI(t *testing.T, home string) []string {
	t.Helper()
	for _, tool := range []string{"trash-list", "trash-put"} {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.Skipf(t, "%s not installed (Debian package trash-cli): %v", tool, err)
		}
	}
	return append(os.Environ(), "HOME="+home, "XDG_DATA_HOME="+filepath.Join(home, "xdg-data"))
}

// TestTrashCLIReadsOurTrash: what Move writes is listed by trash-cli with
// the original path decoded, as a file manager would show it.
func TestTrashCLIReadsOurTrash(t *testing.T) {
	tr, photos := newTrash(t)
	env := trashCLI(t, filepath.Dir(photos))
	names := []string{"été à Nîmes.jpg", "100% #1.jpg", "plain.jpg"}
	writeTree(t, photos, map[string]string{names[0]: "a", names[1]: "b", names[2]: "c"})
	for _, n := range names {
		if _, err := tr.Move(filepath.Join(photos, n)); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("trash-list")
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("trash-list: %v\n%s", err, out)
	}
	for _, n := range names {
		want := fixedNow.Format("2006-01-02 15:04:05") + " " + filepath.Join(photos, n)
		if !strings.Contains(string(out), want+"\n") {
			t.Errorf("trash-list does not show %q:\n%s", want, out)
		}
	}
}

// TestRestoreWhatTrashCLITrashed: a file trashed by trash-put is read back
// by ReadItem and restored by Restore, content intact.
func TestRestoreWhatTrashCLITrashed(t *testing.T) {
	tr, photos := newTrash(t)
	env := trashCLI(t, filepath.Dir(photos))
	target := filepath.Join(photos, "sub dir", "ß 1.jpg")
	writeTree(t, photos, map[string]string{"sub dir/ß 1.jpg": "put by trash-cli", "other.jpg": "stays"})
	before := checksums(t, filepath.Dir(photos))
	cmd := exec.Command("trash-put", target)
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("trash-put: %v\n%s", err, out)
	}
	home, _ := tr.HomeTrash()
	it, err := ReadItem(filepath.Join(home, "info", "ß 1.jpg.trashinfo"))
	if err != nil {
		t.Fatal(err)
	}
	if it.Original != target || it.Trashed != filepath.Join(home, "files", "ß 1.jpg") || it.Size != int64(len("put by trash-cli")) {
		t.Fatalf("ReadItem = %+v", it)
	}
	if err := tr.Restore(it); err != nil {
		t.Fatal(err)
	}
	after := checksums(t, filepath.Dir(photos))
	// trash-put may leave bookkeeping of its own; the photos are as before.
	for p, s := range before {
		if after[p] != s {
			t.Errorf("%s: %q after the round trip, was %q", p, after[p], s)
		}
	}
}
