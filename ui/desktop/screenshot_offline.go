//go:build screenshot

package desktop

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"fyne.io/fyne/v2"

	"github.com/simili/simili/library/catalog"
)

// offlineShotPhotos is how many of the newest photos go on the "disk"
// that is then unplugged: enough to fill the grid's first rows, where each
// offline copy sits beside its online original (same date taken).
const offlineShotPhotos = 6

// prepareOfflineShot stages a disk that went away, for the "offline"
// view: it copies the newest photos of the library into
// SIMILI_SCREENSHOT_OFFLINE, scans that folder, renames it away (as
// unplugging a disk does to its path), scans it again and shows the
// library grid, where those photos wear the offline badge and the scan
// summary names the folder. It runs on the screenshot goroutine, not the
// UI's, because it waits for scans.
func (u *ui) prepareOfflineShot() error {
	dir := os.Getenv("SIMILI_SCREENSHOT_OFFLINE")
	if dir == "" {
		return errors.New("screenshot of offline needs SIMILI_SCREENSHOT_OFFLINE (a folder to create, scan and take away)")
	}
	newest, err := u.be.List(context.Background(), catalog.Query{Limit: offlineShotPhotos})
	if err != nil {
		return fmt.Errorf("offline screenshot: %w", err)
	}
	if len(newest) == 0 {
		return errors.New("offline screenshot: the library is empty (scan SIMILI_SCREENSHOT_SCAN first)")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("offline screenshot: %w", err)
	}
	for _, p := range newest {
		data, err := os.ReadFile(p.Path)
		if err != nil {
			return fmt.Errorf("offline screenshot: %w", err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(p.Path)), data, 0o644); err != nil {
			return fmt.Errorf("offline screenshot: %w", err)
		}
	}
	scanOnce := func() error {
		fyne.DoAndWait(func() { u.scanner.start([]string{dir}) })
		_, err := u.scanner.wait()
		return err
	}
	if err := scanOnce(); err != nil {
		return fmt.Errorf("offline screenshot: scan %s: %w", dir, err)
	}
	if err := os.Rename(dir, dir+".unplugged"); err != nil {
		return fmt.Errorf("offline screenshot: %w", err)
	}
	if err := scanOnce(); err != nil {
		return fmt.Errorf("offline screenshot: scan of the folder that went away: %w", err)
	}
	u.settle()
	fyne.DoAndWait(func() {
		for top := u.win.Canvas().Overlays().Top(); top != nil; top = u.win.Canvas().Overlays().Top() {
			u.win.Canvas().Overlays().Remove(top)
		}
		u.detail.hide()
		// The scan summary that names the offline folder (settle waited
		// out the timer that hides it).
		u.scanner.content.Show()
		u.tabs.SelectIndex(0)
		u.library.grid.grid.ScrollToTop()
	})
	return nil
}
