package desktop

import "fyne.io/fyne/v2"

// prefs are the window's own settings, kept in Fyne's app preferences; the
// engine's settings (store, model) live in the engine's config file.
type prefs struct {
	store    fyne.Preferences
	cellSize int // thumbnail cell width in the grids, in Fyne units
	results  int // number of similar photos shown
}

const (
	prefCellSize = "grid.cell_size"
	prefResults  = "search.results"
)

func loadPrefs(p fyne.Preferences) prefs {
	return prefs{
		store:    p,
		cellSize: clampInt(p.IntWithFallback(prefCellSize, 150), 80, 320),
		results:  clampInt(p.IntWithFallback(prefResults, 30), 5, 500),
	}
}

func (p *prefs) setCellSize(v int) {
	p.cellSize = clampInt(v, 80, 320)
	p.store.SetInt(prefCellSize, p.cellSize)
}

func (p *prefs) setResults(v int) {
	p.results = clampInt(v, 5, 500)
	p.store.SetInt(prefResults, p.results)
}

func clampInt(v, lo, hi int) int { return min(max(v, lo), hi) }
