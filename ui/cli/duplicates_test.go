package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/disintegration/imaging"

	"github.com/simili/simili/internal/testenv"
	"github.com/simili/simili/search/embed"
)

// TestDuplicatesListThenMoveToTrash: a byte copy and a half-size re-encode
// of a holidays photo are found with their tiers, keeper and reasons,
// another shot of the scene is not; --move-to-trash asks first, and with
// --yes moves the non-keepers into the (test's own) trash, after which the
// catalog no longer lists them.
func TestDuplicatesListThenMoveToTrash(t *testing.T) {
	if _, err := embed.FindRuntime(); err != nil {
		testenv.Skipf(t, "ONNX Runtime not installed (run `make onnxruntime`): %v", err)
	}
	holidays := testenv.Holidays(t)
	model := testenv.SqueezeNet(t)
	tmp := isolate(t)
	t.Setenv("XDG_DATA_HOME", filepath.Join(tmp, "xdg"))
	lib := filepath.Join(tmp, "lib")
	if err := os.MkdirAll(lib, 0o755); err != nil {
		t.Fatal(err)
	}
	orig, err := os.ReadFile(filepath.Join(holidays, "100001.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	other, err := os.ReadFile(filepath.Join(holidays, "100002.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"a.jpg": orig, "a-copy.jpg": orig, "b.jpg": other} {
		if err := os.WriteFile(filepath.Join(lib, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	img, err := imaging.Decode(bytes.NewReader(orig), imaging.AutoOrientation(true))
	if err != nil {
		t.Fatal(err)
	}
	small, err := os.Create(filepath.Join(lib, "a-small.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	if err := jpeg.Encode(small, imaging.Resize(img, img.Bounds().Dx()/2, 0, imaging.Lanczos), &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	small.Close()

	ctx := context.Background()
	run := func(stdin string, args ...string) (string, string, error) {
		t.Helper()
		var out, errOut bytes.Buffer
		err := Run(ctx, Env{Stdout: &out, Stderr: &errOut, Stdin: strings.NewReader(stdin)},
			append(args, "--model", "squeezenet", "--model-file", model))
		return out.String(), errOut.String(), err
	}
	if out, errOut, err := run("", "index", lib); err != nil {
		t.Fatalf("index: %v\n%s%s", err, out, errOut)
	}
	out, _, err := run("", "duplicates", "--tier", "identical,same", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var groups []groupJSON
	if err := json.Unmarshal([]byte(out), &groups); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	names := func(g groupJSON) string {
		var s []string
		for _, m := range g.Members {
			s = append(s, filepath.Base(m.Path))
		}
		return strings.Join(s, " ")
	}
	if len(groups) != 2 || groups[0].Tier != "identical" || groups[1].Tier != "same" {
		t.Fatalf("groups: %+v", groups)
	}
	// Identical: equal in everything but the path, so the keeper goes by path.
	if got := names(groups[0]); got != "a-copy.jpg a.jpg" && got != "a.jpg a-copy.jpg" {
		t.Errorf("identical group %q", got)
	}
	if !strings.Contains(groups[0].Members[1].Reason, "same bytes") {
		t.Errorf("identical reason %q", groups[0].Members[1].Reason)
	}
	same := groups[1]
	keeper, copyName := filepath.Base(same.Members[0].Path), filepath.Base(same.Members[1].Path)
	if len(same.Members) != 2 || !same.Members[0].Keeper || copyName != "a-small.jpg" || !strings.HasPrefix(keeper, "a") {
		t.Fatalf("same-picture group %q (keeper first)", names(same))
	}
	if !strings.HasPrefix(same.KeeperReason, "most pixels") || !strings.Contains(same.Members[1].Reason, "pHash distance") {
		t.Errorf("reasons: keeper %q, member %q", same.KeeperReason, same.Members[1].Reason)
	}

	// Look-alikes go through the vector store: the other shot of the scene
	// joins the picture's keeper at a low threshold, not at 0.999.
	out, _, err = run("", "duplicates", "--tier", "similar", "--threshold", "0.5", "--json")
	if err != nil {
		t.Fatal(err)
	}
	groups = nil
	if err := json.Unmarshal([]byte(out), &groups); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(groups) != 1 || groups[0].Tier != "similar" || !strings.Contains(names(groups[0]), "b.jpg") ||
		!strings.Contains(groups[0].Members[1].Reason, "look-alike: cosine") {
		t.Fatalf("look-alikes at 0.5: %+v", groups)
	}
	if out, _, err = run("", "duplicates", "--tier", "similar", "--threshold", "0.999"); err != nil || !strings.Contains(out, "no duplicates found") {
		t.Fatalf("look-alikes at 0.999: %v\n%s", err, out)
	}
	// Usage errors say what is wrong.
	for _, bad := range [][]string{{"--tier", "copies"}, {"--yes"}, {"--threshold", "1.5"}, {"extra-arg"}} {
		if _, _, err := run("", append([]string{"duplicates"}, bad...)...); !errors.Is(err, ErrUsage) {
			t.Errorf("duplicates %v: %v, want a usage error", bad, err)
		}
	}

	// Asked and refused: nothing moves.
	_, errOut, err := run("n\n", "duplicates", "--move-to-trash")
	if err != nil || !strings.Contains(errOut, "Move 2 photos") || !strings.Contains(errOut, "nothing moved") {
		t.Fatalf("refused move: %v\n%s", err, errOut)
	}
	for _, n := range []string{"a.jpg", "a-copy.jpg", "a-small.jpg", "b.jpg"} {
		if _, err := os.Stat(filepath.Join(lib, n)); err != nil {
			t.Fatalf("%s after a refused move: %v", n, err)
		}
	}
	// With --yes the two non-keepers go to the trash.
	if _, errOut, err = run("", "duplicates", "--move-to-trash", "--yes"); err != nil {
		t.Fatalf("move: %v\n%s", err, errOut)
	}
	left, _ := filepath.Glob(filepath.Join(lib, "*.jpg"))
	trashed, _ := filepath.Glob(filepath.Join(tmp, "xdg", "Trash", "files", "*"))
	if len(left) != 2 || len(trashed) != 2 {
		t.Fatalf("left %v, trashed %v", left, trashed)
	}
	out, _, err = run("", "duplicates", "--tier", "identical,same")
	if err != nil || !strings.Contains(out, "no duplicates found") {
		t.Fatalf("after the move: %v\n%s", err, out)
	}
	out, _, err = run("", "photos")
	if err != nil || strings.Count(out, lib) != 2 {
		t.Fatalf("catalog after the move: %v\n%s", err, out)
	}
}
