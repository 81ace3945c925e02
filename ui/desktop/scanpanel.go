package desktop

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/simili/simili/library/scan"
)

// scanPanel runs the background scan of the library folders and shows its
// progress (counts, rate, ETA) with a Cancel button. While a scan runs it
// refreshes the library grid every refreshEvery, so the grid fills in.
type scanPanel struct {
	u        *ui
	bar      *widget.ProgressBar
	infinite *widget.ProgressBarInfinite
	label    *widget.Label
	stop     *widget.Button
	details  *widget.Button
	content  *fyne.Container

	// Owned by the UI goroutine.
	running  bool
	stopScan context.CancelFunc
	queued   []string // folders to scan once the running scan ends
	lastDraw time.Time
	lastGrid time.Time
	problems []scan.Problem // of the current scan, capped at maxProblems

	mu     sync.Mutex // guards done for tests
	done   chan struct{}
	result scan.Result
	err    error
}

const (
	progressEvery = 200 * time.Millisecond
	refreshEvery  = 1500 * time.Millisecond
)

func newScanPanel(u *ui) *scanPanel {
	p := &scanPanel{u: u, bar: widget.NewProgressBar(), infinite: widget.NewProgressBarInfinite(), label: widget.NewLabel("")}
	p.label.Truncation = fyne.TextTruncateEllipsis
	p.stop = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), p.cancel)
	p.details = widget.NewButtonWithIcon("Problems", theme.WarningIcon(), p.showProblems)
	p.details.Hide()
	p.infinite.Hide()
	p.content = container.NewBorder(nil, nil, nil, container.NewHBox(p.details, p.stop), container.NewVBox(container.NewStack(p.bar, p.infinite), p.label))
	p.content.Hide()
	return p
}

// chooseFolder asks for a folder, remembers it and scans it.
func (p *scanPanel) chooseFolder() {
	d := dialog.NewFolderOpen(func(dir fyne.ListableURI, err error) {
		if err != nil {
			p.u.showError("Cannot open the folder", err)
			return
		}
		if dir == nil {
			return
		}
		if dir.Scheme() != "file" {
			showMessage(p.u.win, "Not a local folder", "Simili indexes folders on this computer only.")
			return
		}
		p.start([]string{dir.Path()})
	}, p.u.win)
	d.Resize(fyne.NewSize(760, 520))
	d.Show()
}

// scanSavedFolders resumes the library: an incremental scan of every folder.
func (p *scanPanel) scanSavedFolders() {
	be := p.u.be
	p.u.goBackground(func(ctx context.Context) {
		roots, err := be.Roots(ctx)
		p.u.do(func() {
			if err != nil {
				p.u.showError("Cannot read the library folders", err)
				return
			}
			if len(roots) > 0 {
				p.start(roots)
			}
		})
	})
}

// start scans roots now, or after the running scan.
func (p *scanPanel) start(roots []string) {
	if p.running {
		for _, r := range roots {
			if !slices.Contains(p.queued, r) {
				p.queued = append(p.queued, r)
			}
		}
		p.label.SetText(fmt.Sprintf("Scanning… %d more folder(s) queued", len(p.queued)))
		return
	}
	ctx, cancel := context.WithCancel(p.u.ctx)
	p.running, p.stopScan = true, cancel
	done := make(chan struct{})
	p.mu.Lock()
	p.done = done
	p.mu.Unlock()
	p.content.Show()
	p.stop.Enable()
	p.problems = nil
	p.details.Hide()
	p.bar.Hide()
	p.infinite.Show()
	p.infinite.Start()
	p.label.SetText("Looking for photos in " + describeRoots(roots) + "…")
	be := p.u.be
	p.u.goBackground(func(context.Context) {
		defer close(done)
		res, err := be.Index(ctx, roots, p.progress, p.problem)
		p.mu.Lock()
		p.result, p.err = res, err
		p.mu.Unlock()
		p.u.do(func() { p.finished(res, err) })
	})
}

// progress is called on the scanner's goroutines: it forwards a snapshot
// at most every progressEvery.
func (p *scanPanel) progress(pr scan.Progress) {
	p.u.do(func() {
		now := time.Now()
		if !pr.Done && now.Sub(p.lastDraw) < progressEvery {
			return
		}
		p.lastDraw = now
		p.draw(pr)
		if now.Sub(p.lastGrid) >= refreshEvery {
			p.lastGrid = now
			p.u.library.reload(true)
		}
	})
}

const maxProblems = 500

// problem is called on the scanner's goroutines for each skipped or failed
// file. An unreadable folder (unplugged disk, permissions) gets a dialog at
// once; the rest are listed behind the Problems button.
func (p *scanPanel) problem(pr scan.Problem) {
	if !pr.Failed && pr.Reason != "unreadable-folder" {
		return // plain skips (not an image, ...) are expected
	}
	p.u.do(func() {
		if len(p.problems) < maxProblems {
			p.problems = append(p.problems, pr)
		}
		p.details.Show()
		if pr.Reason == "unreadable-folder" {
			msg := pr.Path + " cannot be read"
			if pr.Err != nil {
				msg += ": " + pr.Err.Error()
			}
			showMessage(p.u.win, "Folder unreadable", msg+"\n\nCheck that the disk is connected and that you may read the folder. Its photos stay in the library; they are checked again on the next scan.")
		}
	})
}

func (p *scanPanel) showProblems() {
	var lines []string
	for _, pr := range p.problems {
		line := pr.Reason + "  " + pr.Path
		if pr.Err != nil {
			line += "\n    " + pr.Err.Error()
		}
		lines = append(lines, line)
	}
	text := widget.NewLabel(strings.Join(lines, "\n"))
	text.Wrapping = fyne.TextWrapBreak
	d := dialog.NewCustom(fmt.Sprintf("%d files could not be indexed", len(p.problems)), "Close", container.NewVScroll(text), p.u.win)
	d.Resize(fyne.NewSize(760, 420))
	d.Show()
}

func (p *scanPanel) draw(pr scan.Progress) {
	if pr.Found > 0 && !pr.Walking {
		p.infinite.Stop()
		p.infinite.Hide()
		p.bar.Show()
		p.bar.Max = float64(pr.Found)
		p.bar.SetValue(float64(pr.Handled()))
	}
	p.label.SetText(describeProgress(pr))
}

func describeProgress(pr scan.Progress) string {
	s := fmt.Sprintf("Scanning: %d found · %d done · %d unchanged · %d skipped · %d failed", pr.Found, pr.Processed, pr.Unchanged, pr.Skipped, pr.Failed)
	if pr.Rate > 0 {
		s += fmt.Sprintf(" · %.1f photos/s", pr.Rate)
	}
	if pr.ETA > 0 && !pr.Walking {
		s += " · ETA " + pr.ETA.Round(time.Second).String()
	}
	return s
}

func describeRoots(roots []string) string {
	if len(roots) == 1 {
		return filepath.Base(roots[0])
	}
	return fmt.Sprintf("%d folders", len(roots))
}

func (p *scanPanel) finished(res scan.Result, err error) {
	p.running = false
	p.infinite.Stop()
	p.stop.Disable()
	switch {
	case res.Cancelled || errors.Is(err, context.Canceled):
		p.label.SetText(fmt.Sprintf("Scan cancelled after %d photos; it resumes where it stopped next time.", res.Handled()))
	case err != nil:
		p.content.Hide()
		p.u.showError("The scan stopped", err)
	default:
		p.infinite.Hide() // a scan that found nothing never swapped it for the bar
		p.bar.Show()
		p.bar.Max = 1
		p.bar.SetValue(1)
		text := fmt.Sprintf("Scan done: %d new, %d unchanged, %d failed in %s", res.Processed, res.Unchanged, res.Failed, res.Elapsed.Round(100*time.Millisecond))
		if res.Pending > 0 {
			text += fmt.Sprintf(" · %d photos wait for the vector store", res.Pending)
		}
		for _, o := range res.Offline {
			text += fmt.Sprintf(" · %s is offline (disk not connected?): its %d photos are kept and shown offline", filepath.Base(o.Root), o.Photos)
		}
		if res.StoreOffline != nil {
			p.u.status.setError("Vector store offline: " + res.StoreOffline.Error() + " (the photos are kept and pushed later)")
		}
		p.label.SetText(text)
	}
	p.u.library.reload(true)
	p.u.filters.loadFacets()
	p.u.status.refresh()
	p.u.groups.invalidate()
	p.u.dups.invalidate()
	// The folder list may have changed. After a cancelled or failed scan
	// the watcher does not rescan on its own: the user stopped scanning.
	p.u.watcher.ensure(err == nil && !res.Cancelled)
	if len(p.queued) > 0 {
		next := p.queued
		p.queued = nil
		p.start(next)
		return
	}
	if err == nil && len(p.problems) == 0 {
		// Leave the summary up a moment, then give the room back.
		p.u.goBackground(func(ctx context.Context) {
			select {
			case <-time.After(6 * time.Second):
			case <-ctx.Done():
				return
			}
			p.u.do(func() {
				if !p.running {
					p.content.Hide()
				}
			})
		})
	}
}

// cancel stops the running scan (the Cancel button, closing the window).
func (p *scanPanel) cancel() {
	p.queued = nil
	if p.stopScan != nil {
		p.stopScan()
	}
}

// wait blocks until the current scan ends and returns its outcome (tests).
func (p *scanPanel) wait() (scan.Result, error) {
	p.mu.Lock()
	done := p.done
	p.mu.Unlock()
	if done == nil {
		return scan.Result{}, nil
	}
	<-done
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.result, p.err
}

// manageFolders lists the library folders with Remove and Rescan.
func (p *scanPanel) manageFolders() {
	be := p.u.be
	p.u.goBackground(func(ctx context.Context) {
		roots, err := be.Roots(ctx)
		p.u.do(func() {
			if err != nil {
				p.u.showError("Cannot read the library folders", err)
				return
			}
			p.showFolders(roots)
		})
	})
}

func (p *scanPanel) showFolders(roots []string) {
	var d dialog.Dialog
	rows := container.NewVBox()
	if len(roots) == 0 {
		rows.Add(widget.NewLabel("No folders yet."))
	}
	for _, r := range roots {
		root := r
		remove := widget.NewButtonWithIcon("Remove", theme.DeleteIcon(), func() {
			dialog.ShowConfirm("Remove folder", "Remove "+root+" from the library?\nIts photos leave Simili; the files themselves are not touched.", func(ok bool) {
				if ok {
					p.removeRoot(root)
					d.Hide()
				}
			}, p.u.win)
		})
		label := widget.NewLabel(root)
		label.Truncation = fyne.TextTruncateEllipsis
		rows.Add(container.NewBorder(nil, nil, nil, remove, label))
	}
	add := widget.NewButtonWithIcon("Add folder…", theme.FolderNewIcon(), func() { d.Hide(); p.chooseFolder() })
	rescan := widget.NewButtonWithIcon("Rescan all", theme.ViewRefreshIcon(), func() { d.Hide(); p.scanSavedFolders() })
	body := container.NewBorder(nil, container.NewHBox(add, rescan), nil, nil, container.NewVScroll(rows))
	d = dialog.NewCustom("Library folders", "Close", body, p.u.win)
	d.Resize(fyne.NewSize(640, 360))
	d.Show()
}

func (p *scanPanel) removeRoot(root string) {
	be := p.u.be
	p.u.goBackground(func(ctx context.Context) {
		n, err := be.RemoveFolder(ctx, root)
		p.u.do(func() {
			if err != nil {
				p.u.showError("Cannot remove the folder", err)
			}
			p.u.log.Info("library folder removed", "folder", root, "photos", n)
			p.u.library.reload(false)
			p.u.filters.loadFacets()
			p.u.groups.invalidate()
			p.u.dups.invalidate()
			p.u.status.refresh()
			p.u.watcher.ensure(true)
		})
	})
}
