package desktop

import (
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
)

// Screenshot mode renders the real window, drives it through a few views
// and saves each as PNG, then quits: scripts/gui-screenshot.sh uses it to
// check under xvfb that the window draws, and to refresh docs/screenshots.
// It is set up by environment variables so the command line stays clean:
//
//	SIMILI_SCREENSHOT_DIR    where <view>.png files go (enables the mode)
//	SIMILI_SCREENSHOT_VIEWS  comma list of library,results,detail,groups (default all)
//	SIMILI_SCREENSHOT_SCAN   a folder to add and scan first
//	SIMILI_SCREENSHOT_QUERY  the image file "dropped" for results and detail
type screenshotPlan struct {
	dir   string
	views []string
	scan  string
	query string

	mu  sync.Mutex
	err error
}

func screenshotFromEnv() (*screenshotPlan, error) {
	dir := os.Getenv("SIMILI_SCREENSHOT_DIR")
	if dir == "" {
		return nil, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("screenshot folder: %w", err)
	}
	views := "library,results,detail,groups"
	if v := os.Getenv("SIMILI_SCREENSHOT_VIEWS"); v != "" {
		views = v
	}
	return &screenshotPlan{dir: dir, views: strings.Split(views, ","), scan: os.Getenv("SIMILI_SCREENSHOT_SCAN"), query: os.Getenv("SIMILI_SCREENSHOT_QUERY")}, nil
}

func (s *screenshotPlan) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = errors.Join(s.err, err)
}

func (s *screenshotPlan) failure() error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// runScreenshots runs on its own goroutine.
func (u *ui) runScreenshots(s *screenshotPlan) {
	defer fyne.Do(u.app.Quit)
	time.Sleep(500 * time.Millisecond) // the window maps
	if s.scan != "" {
		fyne.DoAndWait(func() { u.scanner.start([]string{s.scan}) })
		if _, err := u.scanner.wait(); err != nil {
			s.fail(fmt.Errorf("scan %s: %w", s.scan, err))
			return
		}
	}
	u.settle()
	for _, view := range s.views {
		view = strings.TrimSpace(view)
		if err := u.prepareView(s, view); err != nil {
			s.fail(err)
			return
		}
		u.settle()
		time.Sleep(800 * time.Millisecond) // a few frames with the last thumbnails
		var img image.Image
		fyne.DoAndWait(func() { img = u.win.Canvas().Capture() })
		if err := savePNG(filepath.Join(s.dir, view+".png"), img); err != nil {
			s.fail(err)
			return
		}
		u.log.Info("screenshot saved", "view", view, "file", filepath.Join(s.dir, view+".png"))
	}
}

func (u *ui) prepareView(s *screenshotPlan, view string) error {
	var err error
	fyne.DoAndWait(func() {
		switch view {
		case "library":
			u.scanner.content.Hide()
			u.detail.hide()
			u.tabs.SelectIndex(0)
		case "results":
			if s.query == "" {
				err = errors.New("screenshot of results needs SIMILI_SCREENSHOT_QUERY")
				return
			}
			u.handleDrop([]fyne.URI{fileURI(s.query)})
		case "detail":
			if len(u.results.matches) == 0 {
				err = errors.New("screenshot of detail needs results first")
				return
			}
			u.openPhoto(u.results.matches[0].Photo, true)
		case "groups":
			u.detail.hide()
			u.tabs.SelectIndex(2)
		default:
			err = fmt.Errorf("unknown screenshot view %q", view)
		}
	})
	return err
}

func savePNG(path string, img image.Image) error {
	if img == nil {
		return fmt.Errorf("screenshot %s: the window could not be captured", path)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("screenshot: %w", err)
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return fmt.Errorf("screenshot %s: %w", path, err)
	}
	return f.Close()
}
