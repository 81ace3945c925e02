package desktop

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/simili/simili/search/engine"
)

// models offered in Settings: the default and the small fast one.
var settingsModels = []string{"resnet50", "resnet50-int8", "squeezenet", "squeezenet-int8"}

const (
	storeEmbedded = "Embedded (no server)"
	storeMilvus   = "Milvus server"
)

// milvusURL builds the store setting from the form; parseMilvus reads it.
func milvusURL(addr, token string, tls bool) string {
	u := url.URL{Scheme: "milvus", Host: strings.TrimSpace(addr)}
	q := url.Values{}
	if token != "" {
		q.Set("token", token)
	}
	if tls {
		q.Set("tls", "true")
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func parseMilvus(store string) (addr, token string, tls bool) {
	u, err := url.Parse(store)
	if err != nil || !strings.HasPrefix(u.Scheme, "milvus") {
		return "localhost:19530", "", false
	}
	tls, _ = strconv.ParseBool(u.Query().Get("tls"))
	return u.Host, u.Query().Get("token"), tls || u.Scheme == "milvuss"
}

// showSettings edits the store, the model, the number of results and the
// thumbnail size. Store and model go to the engine's config file and apply
// on the next start; the rest applies at once.
func (u *ui) showSettings() {
	cfg := u.be.Config()
	addr, token, tls := parseMilvus(cfg.Store)

	storeKind := widget.NewRadioGroup([]string{storeEmbedded, storeMilvus}, nil)
	storeKind.Selected = storeEmbedded
	if strings.HasPrefix(cfg.Store, "milvus") {
		storeKind.Selected = storeMilvus
	}
	addrE := widget.NewEntry()
	addrE.SetText(addr)
	tokenE := widget.NewPasswordEntry()
	tokenE.SetText(token)
	tokenE.SetPlaceHolder("user:password or API key (optional)")
	tlsC := widget.NewCheck("TLS", nil)
	tlsC.SetChecked(tls)
	storeValue := func() string {
		if storeKind.Selected == storeMilvus {
			return milvusURL(addrE.Text, tokenE.Text, tlsC.Checked)
		}
		return "embedded"
	}
	testResult := widget.NewLabel("")
	testResult.Wrapping = fyne.TextWrapWord
	var testB *widget.Button
	testB = widget.NewButtonWithIcon("Test connection", theme.ConfirmIcon(), func() {
		store := storeValue()
		testB.Disable()
		testResult.SetText("Connecting…")
		be := u.be
		u.goBackground(func(ctx context.Context) {
			ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
			defer cancel()
			err := be.TestStore(ctx, store)
			u.do(func() {
				testB.Enable()
				if err != nil {
					testResult.SetText("✗ " + err.Error())
					return
				}
				testResult.SetText("✓ Connected")
			})
		})
	})
	milvusBox := container.NewVBox(
		widget.NewForm(widget.NewFormItem("Address", addrE), widget.NewFormItem("Token", tokenE)),
		container.NewHBox(tlsC, testB), testResult)
	storeKind.OnChanged = func(s string) {
		if s == storeMilvus {
			milvusBox.Show()
		} else {
			milvusBox.Hide()
		}
	}
	storeKind.OnChanged(storeKind.Selected)

	modelSel := widget.NewSelect(settingsModels, nil)
	modelStatus := widget.NewLabel("")
	modelStatus.Wrapping = fyne.TextWrapWord
	progress := widget.NewProgressBar()
	progress.Hide()
	var download, makeInt8 *widget.Button
	refreshModel := func(name string) {
		st, err := u.be.ModelStatus(name)
		download.Hide()
		makeInt8.Hide()
		switch {
		case err != nil:
			modelStatus.SetText(err.Error())
		case st.Installed:
			modelStatus.SetText("✓ Installed: " + st.Path)
		case st.Base != "":
			modelStatus.SetText(fmt.Sprintf("Not made yet. It is made here from %s and %d of your photos, then checked against %s. Its convolutions run in int8: up to 3× faster (ResNet50) on processors with int8 instructions.",
				st.Base, engine.QuantizePhotos, st.Base))
			makeInt8.Show()
		case st.CanFetch:
			text := "Not installed yet."
			if st.UsingInstead != "" {
				text = fmt.Sprintf("Not downloaded yet: Simili uses %s meanwhile (its own vectors, nothing mixed). Download it here; it is used when Simili starts again.",
					engine.ModelDisplayName(st.UsingInstead))
			}
			modelStatus.SetText(text)
			download.Show()
		default:
			modelStatus.SetText("Not installed, and it cannot be downloaded: import it with `simili model import " + name + " FILE`.")
		}
	}
	makeInt8 = widget.NewButtonWithIcon("Make from my photos", theme.MediaPlayIcon(), func() {
		name := modelSel.Selected
		st, err := u.be.ModelStatus(name)
		if err != nil || st.Base == "" {
			return
		}
		makeInt8.Disable()
		progress.Show()
		progress.SetValue(0)
		be := u.be
		u.goBackground(func(ctx context.Context) {
			_, fid, err := be.QuantizeModel(ctx, st.Base, nil, engine.QuantizePhotos, func(done, total int) {
				u.do(func() { progress.SetValue(float64(done) / float64(total)) })
			})
			u.do(func() {
				makeInt8.Enable()
				progress.Hide()
				if err != nil {
					modelStatus.SetText("✗ Not made: " + err.Error())
					return
				}
				refreshModel(name)
				modelStatus.SetText(fmt.Sprintf("%s (its embeddings of %d held-out photos match %s's with mean cosine %.4f)",
					modelStatus.Text, fid.Photos, st.Base, fid.MeanCosine))
			})
		})
	})
	download = widget.NewButtonWithIcon("Download", theme.DownloadIcon(), func() {
		name := modelSel.Selected
		download.Disable()
		progress.Show()
		progress.SetValue(0)
		be := u.be
		u.goBackground(func(ctx context.Context) {
			var last time.Time
			err := be.FetchModel(ctx, name, func(done, total int64) {
				if total <= 0 || time.Since(last) < 100*time.Millisecond {
					return
				}
				last = time.Now()
				u.do(func() { progress.SetValue(float64(done) / float64(total)) })
			})
			u.do(func() {
				download.Enable()
				progress.Hide()
				if err != nil {
					modelStatus.SetText("✗ Download failed: " + err.Error())
					return
				}
				refreshModel(name)
			})
		})
	})
	download.Hide()
	makeInt8.Hide()
	modelSel.OnChanged = refreshModel
	modelSel.SetSelected(cfg.Model)
	if modelSel.Selected == "" {
		modelSel.Selected = cfg.Model
		refreshModel(cfg.Model)
	}

	results := widget.NewSelect([]string{"10", "20", "30", "50", "100", "200"}, nil)
	results.SetSelected(strconv.Itoa(u.prefs.results))
	if results.Selected == "" {
		results.PlaceHolder = strconv.Itoa(u.prefs.results)
	}
	size := widget.NewSlider(80, 320)
	size.Step = 10
	size.SetValue(float64(u.prefs.cellSize))
	sizeLabel := widget.NewLabel(fmt.Sprintf("%d", u.prefs.cellSize))
	size.OnChanged = func(v float64) { sizeLabel.SetText(fmt.Sprintf("%.0f", v)) }
	rescan := newRescanSelect(cfg) // watch.go

	form := widget.NewForm(
		widget.NewFormItem("Vector store", container.NewVBox(storeKind, milvusBox)),
		widget.NewFormItem("Model", container.NewVBox(modelSel, modelStatus, container.NewHBox(download, makeInt8), progress)),
		widget.NewFormItem("Results", results),
		widget.NewFormItem("Thumbnail size", container.NewBorder(nil, nil, nil, sizeLabel, size)),
		widget.NewFormItem("Rescan unwatched folders every", rescan),
	)
	d := dialog.NewCustomConfirm("Settings", "Save", "Cancel", container.NewVScroll(form), func(ok bool) {
		if !ok {
			return
		}
		if n, err := strconv.Atoi(results.Selected); err == nil {
			u.prefs.setResults(n)
		}
		if int(size.Value) != u.prefs.cellSize {
			u.prefs.setCellSize(int(size.Value))
			u.library.grid.refresh()
			u.results.grid.refresh()
			u.groups.list.Refresh()
		}
		next := cfg
		next.Store = storeValue()
		if modelSel.Selected != "" {
			next.Model = modelSel.Selected
		}
		if m := rescanMinutes(rescan); m > 0 {
			next.RescanMinutes = m
		}
		if next.Store == cfg.Store && next.Model == cfg.Model && next.RescanMinutes == cfg.RescanMinutes {
			return
		}
		if next.Model != cfg.Model {
			next.ModelFile = "" // a model file belongs to the old model
		}
		if err := u.be.SaveConfig(next); err != nil {
			u.showError("Cannot save the settings", err)
			return
		}
		showMessage(u.win, "Settings saved", "The new settings are used when Simili starts again.")
	}, u.win)
	d.Resize(fyne.NewSize(620, 560))
	d.Show()
}

// checkModel tells the user up front when search cannot work yet.
func (u *ui) checkModel() {
	be := u.be
	u.goBackground(func(ctx context.Context) {
		rtErr := be.RuntimeStatus()
		st, stErr := be.ModelStatus("")
		u.do(func() {
			switch {
			case rtErr != nil:
				u.status.setError("ONNX Runtime missing: new photos cannot be embedded (run `make onnxruntime`).")
			case stErr != nil:
				u.status.setError(stErr.Error())
			case !st.Installed && st.UsingInstead != "":
				// Not an error: search works with the installed model.
				u.status.setNotice(engine.ModelChoice{Configured: st.Name, Active: st.UsingInstead}.Notice("Settings → Download"))
			case !st.Installed:
				u.status.setError(fmt.Sprintf("Model %s is not installed: open Settings to download it.", st.Name))
			}
		})
	})
}
