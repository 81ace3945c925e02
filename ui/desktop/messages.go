package desktop

import (
	"errors"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/simili/simili/search/vector"
)

// explain turns an error into a sentence that says what to do. The engine's
// errors already carry the fix (command to run, file to install); this adds
// the window's way of doing it where there is one.
func explain(err error) string {
	msg := err.Error()
	switch {
	case errors.Is(err, vector.ErrUnavailable):
		return msg + "\n\nThe vector store cannot be reached. Browsing and filtering still work; check the address in Settings (Test connection), or switch to the embedded store."
	case strings.Contains(msg, "ONNX Runtime"):
		return msg + "\n\nWithout ONNX Runtime Simili cannot compute embeddings. Photos already indexed remain searchable."
	case strings.Contains(msg, "not installed") || strings.Contains(msg, "model file"):
		return msg + "\n\nOpen Settings to download the model, or choose SqueezeNet."
	}
	return msg
}

// showMessage shows a dialog whose text wraps instead of widening the window.
func showMessage(w fyne.Window, title, text string) {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustom(title, "OK", l, w)
	d.Resize(fyne.NewSize(520, 220))
	d.Show()
}

func folderAddIcon() fyne.Resource { return theme.FolderNewIcon() }
func folderIcon() fyne.Resource    { return theme.FolderIcon() }
func searchIcon() fyne.Resource    { return theme.SearchIcon() }
func settingsIcon() fyne.Resource  { return theme.SettingsIcon() }
