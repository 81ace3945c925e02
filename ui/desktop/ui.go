package desktop

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	fdesktop "fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"github.com/simili/simili/library/facet"
)

// ui is the main window's state. Widgets and view state are touched only
// on the UI goroutine; background work goes through goBackground and hands
// its results back with do.
type ui struct {
	app fyne.App
	win fyne.Window
	be  Backend
	log *slog.Logger

	ctx    context.Context // the window's lifetime
	cancel context.CancelFunc
	tasks  atomic.Int64 // background goroutines running
	uiMu   sync.Mutex   // serialises UI updates from goroutines (see do)

	thumbs *thumbLoader
	prefs  prefs

	filter  facet.Filter
	filters *filterBar
	library *libraryView
	results *resultsView
	detail  *detailPane
	groups  *groupsView
	dups    *duplicatesView
	scanner *scanPanel
	watcher *folderWatch
	status  *statusBar
	tabs    *container.AppTabs
	split   *container.Split // tabs | detail pane, while the pane is open
	body    *fyne.Container  // holds the tabs alone, or the split
	content fyne.CanvasObject
	nav     *history[navEntry]
}

// newUI builds the window's content. It does no I/O on the calling
// goroutine: counts, rows and thumbnails arrive asynchronously.
func newUI(a fyne.App, w fyne.Window, be Backend, log *slog.Logger) *ui {
	ctx, cancel := context.WithCancel(context.Background())
	u := &ui{app: a, win: w, be: be, log: log, ctx: ctx, cancel: cancel, nav: newHistory[navEntry]()}
	u.prefs = loadPrefs(a.Preferences())
	u.thumbs = newThumbLoader(ctx, 3, 600, be.Thumb, u.do)

	u.status = newStatusBar(u)
	u.scanner = newScanPanel(u)
	u.watcher = newFolderWatch(u)
	u.filters = newFilterBar(u)
	u.library = newLibraryView(u)
	u.results = newResultsView(u)
	u.detail = newDetailPane(u)
	u.groups = newGroupsView(u)
	u.dups = newDuplicatesView(u)

	u.tabs = container.NewAppTabs(
		container.NewTabItem("Library", u.library.content),
		container.NewTabItem("Similar", u.results.content),
		container.NewTabItem("Visual groups", u.groups.content),
		container.NewTabItem("Duplicates", u.dups.content),
	)
	u.tabs.OnSelected = func(t *container.TabItem) {
		if t.Content == u.groups.content {
			u.groups.ensure()
		}
		if t.Content == u.dups.content {
			u.dups.ensure()
		}
	}
	u.split = container.NewHSplit(widget.NewLabel(""), u.detail.content)
	u.split.Offset = 0.68
	u.body = container.NewStack(u.tabs)

	top := container.NewVBox(newToolbar(u), u.scanner.content, u.filters.content)
	u.content = container.NewBorder(top, u.status.content, nil, nil, u.body)
	w.SetContent(u.content)
	w.SetOnDropped(func(_ fyne.Position, uris []fyne.URI) { u.handleDrop(uris) })
	// Alt+Left / Alt+Right walk the history, as in a browser.
	w.Canvas().AddShortcut(&fdesktop.CustomShortcut{KeyName: fyne.KeyLeft, Modifier: fyne.KeyModifierAlt}, func(fyne.Shortcut) { u.back() })
	w.Canvas().AddShortcut(&fdesktop.CustomShortcut{KeyName: fyne.KeyRight, Modifier: fyne.KeyModifierAlt}, func(fyne.Shortcut) { u.forward() })
	return u
}

// start loads the library and resumes scanning the saved folders.
func (u *ui) start(scanOnStart bool) {
	u.library.reload(false)
	u.filters.loadFacets()
	u.status.refresh()
	u.checkModel()
	if scanOnStart {
		u.scanner.scanSavedFolders()
	}
}

// close stops background work when the window goes away.
func (u *ui) close() {
	u.scanner.cancel()
	u.cancel()
}

// goBackground runs fn on a goroutine bound to the window's lifetime.
func (u *ui) goBackground(fn func(ctx context.Context)) {
	u.tasks.Add(1)
	go func() {
		defer u.tasks.Add(-1)
		fn(u.ctx)
	}()
}

// do runs fn on the UI goroutine. Only goroutines may call it. The mutex
// costs nothing on the real driver (everything runs on one goroutine
// there) and keeps the test driver, which runs fn at once on the caller's
// goroutine, free of data races.
func (u *ui) do(fn func()) {
	fyne.Do(func() {
		u.uiMu.Lock()
		defer u.uiMu.Unlock()
		if u.ctx.Err() == nil {
			fn()
		}
	})
}

// settle waits until no background work or thumbnail load is pending. For
// tests and the screenshot mode.
// It must not be called on the UI goroutine.
func (u *ui) settle() {
	quiet := 0
	for quiet < 3 {
		time.Sleep(15 * time.Millisecond)
		fyne.DoAndWait(func() {}) // let queued UI updates run (they may queue more work)
		if u.tasks.Load() == 0 && u.thumbs.Idle() {
			quiet++
		} else {
			quiet = 0
		}
	}
}

func (u *ui) cellSize() fyne.Size {
	s := float32(u.prefs.cellSize)
	return fyne.NewSize(s, s*0.75)
}

// setDetailVisible opens or closes the detail pane beside the tabs. A
// closed pane is taken out of the layout, so it costs no width.
func (u *ui) setDetailVisible(show bool) {
	if show == (u.split.Leading == u.tabs) {
		return
	}
	if show {
		u.split.Leading = u.tabs
		u.body.Objects = []fyne.CanvasObject{u.split}
	} else {
		u.split.Leading = widget.NewLabel("")
		u.body.Objects = []fyne.CanvasObject{u.tabs}
	}
	u.split.Refresh()
	u.body.Refresh()
}

// applyFilter is called by the filter bar: every view follows the filters.
func (u *ui) applyFilter(f facet.Filter) {
	if f == u.filter {
		return
	}
	u.filter = f
	u.library.reload(false)
	u.results.rerun()
	u.groups.invalidate()
}

// showError puts a problem in a dialog with what to do about it.
func (u *ui) showError(title string, err error) {
	u.log.Warn(title, "err", err)
	showMessage(u.win, title, explain(err))
}

// newToolbar holds the app-wide actions.
func newToolbar(u *ui) fyne.CanvasObject {
	return container.NewHBox(
		widget.NewButtonWithIcon("Add folder…", folderAddIcon(), u.scanner.chooseFolder),
		widget.NewButtonWithIcon("Folders", folderIcon(), u.scanner.manageFolders),
		widget.NewButtonWithIcon("Open image…", searchIcon(), u.results.chooseFile),
		widget.NewButtonWithIcon("Settings", settingsIcon(), u.showSettings),
	)
}
