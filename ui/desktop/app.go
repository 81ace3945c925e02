// Package desktop is Simili's Fyne window. It shows what the engine knows
// and forwards what the user does; it holds no library or search logic.
package desktop

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/simili/simili/assets"
	"github.com/simili/simili/search/engine"
)

// AppID identifies Simili to the desktop (preferences, storage).
const AppID = "io.github.simili"

// Run opens the main window and blocks until it is closed.
func Run() error {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	cfg, err := engine.Load()
	if err != nil {
		return err
	}
	eng, err := engine.Open(context.Background(), cfg, log)
	if err != nil {
		return fmt.Errorf("open the library: %w", err)
	}
	defer eng.Close()

	a := app.NewWithID(AppID)
	a.SetIcon(fyne.NewStaticResource("simili.png", assets.Icon))
	w := a.NewWindow("Simili")
	w.Resize(fyne.NewSize(1280, 820))
	u := newUI(a, w, NewBackend(eng), log)

	shot, err := screenshotFromEnv()
	if err != nil {
		return err
	}
	u.start(shot == nil)
	if shot != nil {
		go u.runScreenshots(shot)
	}
	w.SetMaster()
	w.ShowAndRun()

	u.close()
	deadline := time.Now().Add(10 * time.Second)
	for u.tasks.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond) // let a cancelled scan record where it stopped
	}
	return shot.failure()
}
