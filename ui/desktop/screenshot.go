//go:build screenshot

package desktop

import (
	"errors"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"github.com/disintegration/imaging"
)

// Screenshot mode renders the real window, drives it through a few views
// and saves each as PNG, then quits: scripts/gui-screenshot.sh uses it to
// check under xvfb that the window draws, and to refresh docs/screenshots.
// It is set up by environment variables so the command line stays clean:
//
//	SIMILI_SCREENSHOT_DIR    where <view>.png files go (enables the mode)
//	SIMILI_SCREENSHOT_VIEWS  comma list of library,results,detail,groups,settings,duplicates (default the first four)
//	SIMILI_SCREENSHOT_SCAN   a folder to add and scan first
//	SIMILI_SCREENSHOT_QUERY  the image file "dropped" for results and detail
//	SIMILI_SCREENSHOT_WIDTH  scale the saved PNGs down to this width
//	SIMILI_SCREENSHOT_TIER   the Duplicates view's tier (identical, same, burst, similar)
//	SIMILI_SCREENSHOT_OFFLINE  for the offline view: a folder to fill, scan and take away (screenshot_offline.go)
//
// A view whose pixels are near-uniform (grey standard deviation below
// blankStdDev) counts as blank: the run then fails.
type screenshotPlan struct {
	dir   string
	views []string
	scan  string
	query string
	width int

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
	width, _ := strconv.Atoi(os.Getenv("SIMILI_SCREENSHOT_WIDTH"))
	return &screenshotPlan{dir: dir, views: strings.Split(views, ","), scan: os.Getenv("SIMILI_SCREENSHOT_SCAN"),
		query: os.Getenv("SIMILI_SCREENSHOT_QUERY"), width: width}, nil
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
		img, err := grabWindow(u.win.Title())
		if err != nil {
			u.log.Info("X window grab failed, using the canvas capture", "err", err)
			fyne.DoAndWait(func() { img = u.win.Canvas().Capture() })
		}
		if img == nil {
			s.fail(fmt.Errorf("screenshot %s: the window could not be captured", view))
			return
		}
		sd := greyStdDev(img)
		if s.width > 0 && img.Bounds().Dx() > s.width {
			img = imaging.Resize(img, s.width, 0, imaging.Lanczos)
		}
		file := filepath.Join(s.dir, view+".png")
		if err := savePNG(file, img); err != nil {
			s.fail(err)
			return
		}
		u.log.Info("screenshot saved", "view", view, "file", file, "grey_stddev", fmt.Sprintf("%.3f", sd))
		if sd < blankStdDev {
			s.fail(fmt.Errorf("screenshot %s looks blank (grey standard deviation %.3f)", view, sd))
		}
	}
}

func (u *ui) prepareView(s *screenshotPlan, view string) error {
	if view == "offline" {
		return u.prepareOfflineShot() // waits for scans: not on the UI goroutine
	}
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
			// Walk one step: the best match that is not the query itself.
			m := u.results.matches[0]
			if len(u.results.matches) > 1 && m.Score > 0.999 {
				m = u.results.matches[1]
			}
			u.openPhoto(m.Photo, true)
		case "groups":
			u.detail.hide()
			u.tabs.SelectIndex(2)
		case "settings":
			u.detail.hide()
			u.showSettings()
		case "duplicates":
			u.detail.hide()
			err = u.dups.showForScreenshot(os.Getenv("SIMILI_SCREENSHOT_TIER"))
		default:
			err = fmt.Errorf("unknown screenshot view %q", view)
		}
	})
	return err
}

// blankStdDev separates a blank window from a drawn one: real views are
// well above 0.1 on the 0..1 grey scale.
const blankStdDev = 0.04

// greyStdDev is the standard deviation of the luminance, 0..1.
func greyStdDev(img image.Image) float64 {
	b := img.Bounds()
	var sum, sq, n float64
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			l := (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(bl)) / 65535
			sum += l
			sq += l * l
			n++
		}
	}
	if n == 0 {
		return 0
	}
	mean := sum / n
	return math.Sqrt(max(sq/n-mean*mean, 0))
}

func savePNG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("screenshot: %w", err)
	}
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(f, img); err != nil {
		f.Close()
		return fmt.Errorf("screenshot %s: %w", path, err)
	}
	return f.Close()
}
