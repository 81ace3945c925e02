package catalog

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestOpenInFolderWithURICharacters: a data folder whose name holds the
// characters SQLite URIs give a meaning to ('?', '#', '%', space) keeps
// its catalog where it belongs, across a reopen, and creates nothing
// beside it.
func TestOpenInFolderWithURICharacters(t *testing.T) {
	ctx := context.Background()
	parent := t.TempDir()
	for _, name := range []string{"a?b#c%d", "50%25 off", "x#y"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(parent, name)
			path := filepath.Join(dir, "catalog.db")
			c, err := Open(ctx, path)
			if err != nil {
				t.Fatalf("open %s: %v", path, err)
			}
			if err := c.AddRoot(ctx, "/photos/"+name); err != nil {
				t.Fatal(err)
			}
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
			if st, err := os.Stat(path); err != nil || st.Size() == 0 {
				t.Fatalf("catalog file %s: %v (the database went elsewhere)", path, err)
			}
			c, err = Open(ctx, path)
			if err != nil {
				t.Fatalf("reopen %s: %v", path, err)
			}
			defer c.Close()
			roots, err := c.Roots(ctx)
			if err != nil || !slices.Contains(roots, "/photos/"+name) {
				t.Fatalf("roots after reopen: %v, %v", roots, err)
			}
		})
	}
	ents, err := os.ReadDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	if want := []string{"50%25 off", "a?b#c%d", "x#y"}; !slices.Equal(names, want) {
		t.Fatalf("the parent folder holds %q, want only %q", names, want)
	}
}
