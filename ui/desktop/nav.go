package desktop

import (
	"fmt"
	"net/url"
	"path/filepath"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"

	"github.com/simili/simili/library/catalog"
	"github.com/simili/simili/library/imagefile"
)

// navEntry is one place in the Back/Forward history: a catalogued photo or
// an outside image file, with or without its similarity results.
type navEntry struct {
	Photo   catalog.Photo // zero for a file outside the catalog
	File    string
	Results bool
}

func (e navEntry) title() string {
	if e.File != "" {
		return filepath.Base(e.File)
	}
	return filepath.Base(e.Photo.Path)
}

// openPhoto shows a photo in the detail pane; with results it also lists
// its neighbours (clicking a result walks from neighbour to neighbour).
func (u *ui) openPhoto(p catalog.Photo, results bool) {
	e := navEntry{Photo: p, Results: results}
	u.nav.Visit(e)
	u.showEntry(e)
}

// searchFile looks for photos like an image file anywhere on disk.
func (u *ui) searchFile(path string) {
	e := navEntry{File: path, Results: true}
	u.nav.Visit(e)
	u.showEntry(e)
}

func (u *ui) back() {
	if e, ok := u.nav.Back(); ok {
		u.showEntry(e)
	}
}

func (u *ui) forward() {
	if e, ok := u.nav.Forward(); ok {
		u.showEntry(e)
	}
}

func (u *ui) showEntry(e navEntry) {
	u.detail.show(e)
	if e.Results {
		u.results.search(e)
		u.tabs.Select(u.tabs.Items[1])
	}
}

// handleDrop runs a similarity search with the first dropped image file.
func (u *ui) handleDrop(uris []fyne.URI) {
	if len(uris) == 0 {
		return
	}
	uri := uris[0]
	if uri.Scheme() != "file" {
		showMessage(u.win, "Not a file", fmt.Sprintf("%s is not a file on this computer. Drop a photo file (%s).", uri.String(), imagefile.Names))
		return
	}
	if ok, err := storage.CanList(uri); err == nil && ok {
		showMessage(u.win, "That is a folder", "Drop a single photo to find similar ones. To add a folder to the library, use Add folder….")
		return
	}
	if _, ok := imagefile.SniffFile(uri.Path()); !ok {
		showMessage(u.win, "Not an image", fmt.Sprintf("%s is not an image Simili can read.\nDrop a photo file (%s).", filepath.Base(uri.Path()), imagefile.Names))
		return
	}
	if len(uris) > 1 {
		u.status.setError(fmt.Sprintf("%d files dropped: searching with the first one, %s.", len(uris), filepath.Base(uri.Path())))
	}
	u.searchFile(uri.Path())
}

// imageFiles lets the Open dialog list the files Simili can read, judged
// by their first bytes as the scanner judges them: a HEIC named .jpg, or a
// photo without an extension, is still a photo.
type imageFiles struct{}

func (imageFiles) Matches(uri fyne.URI) bool {
	if uri.Scheme() != "file" {
		return false
	}
	_, ok := imagefile.SniffFile(uri.Path())
	return ok
}

// openInViewer opens a file or folder with the desktop's default app.
func (u *ui) openInViewer(path string) {
	abs, err := filepath.Abs(path)
	if err != nil {
		u.showError("Cannot open", err)
		return
	}
	if err := u.app.OpenURL(&url.URL{Scheme: "file", Path: abs}); err != nil {
		u.showError("Cannot open "+filepath.Base(abs), err)
	}
}

func fileURI(path string) fyne.URI {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	return storage.NewFileURI(abs)
}
