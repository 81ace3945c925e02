//go:build !screenshot

package desktop

import (
	"errors"
	"os"
)

// The screenshot mode (screenshot.go) and its X11 window grabber are
// test tooling: the product binary is built without them, and
// scripts/gui-screenshot.sh builds its own binary with -tags screenshot.
type screenshotPlan struct{}

func screenshotFromEnv() (*screenshotPlan, error) {
	if os.Getenv("SIMILI_SCREENSHOT_DIR") != "" {
		return nil, errors.New("this build has no screenshot mode: build with -tags screenshot (scripts/gui-screenshot.sh does)")
	}
	return nil, nil
}

func (*screenshotPlan) failure() error { return nil }

func (*ui) runScreenshots(*screenshotPlan) {}
