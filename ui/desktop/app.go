// Package desktop is Simili's Fyne window. It shows what the engine knows
// and forwards what the user does; it holds no library or search logic.
package desktop

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/simili/simili/search/engine"
)

// AppID identifies Simili to the desktop (preferences, storage).
const AppID = "io.github.simili"

// Run opens the main window and blocks until it is closed.
func Run() error {
	cfg, err := engine.Load()
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx := context.Background()
	eng, err := engine.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer eng.Close()

	a := app.NewWithID(AppID)
	w := a.NewWindow("Simili")
	status := widget.NewLabel("loading…")
	w.SetContent(container.NewBorder(nil, status, nil, nil,
		widget.NewLabelWithStyle("Simili — drop a photo to find similar ones", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})))
	w.Resize(fyne.NewSize(1024, 720))
	go func() {
		st, err := eng.Stats(ctx)
		text := fmt.Sprintf("%d photos · model %s · store %s", st.Photos, st.Model, st.Store)
		if err != nil {
			text = "error: " + err.Error()
		}
		fyne.Do(func() { status.SetText(text) })
	}()
	w.ShowAndRun()
	return nil
}
