package desktop

import (
	"context"

	"github.com/simili/simili/library/catalog"
	"github.com/simili/simili/library/facet"
)

// pagedSource is the library grid's data: the count of photos passing the
// filter and pages of catalog rows fetched on demand, so a library of
// 100,000 photos opens as fast as one of 100 and only the rows scrolled to
// are ever read. All fields are owned by the UI goroutine; loads run on
// goroutines and hand their rows back through ui.do.
type pagedSource struct {
	u        *ui
	pageSize int

	filter  facet.Filter
	gen     int // bumped by every reload; late answers of older ones are dropped
	count   int
	pages   map[int][]catalog.Photo
	stale   map[int][]catalog.Photo // previous pages, shown until fresh ones arrive
	loading map[int]bool

	onChange func() // the data changed: refresh the grid
	onCount  func(n int)
}

func newPagedSource(u *ui, pageSize int) *pagedSource {
	return &pagedSource{u: u, pageSize: pageSize, pages: map[int][]catalog.Photo{}, loading: map[int]bool{}}
}

func (s *pagedSource) Len() int { return s.count }

func (s *pagedSource) At(i int) (gridItem, bool) {
	if i < 0 || i >= s.count {
		return gridItem{}, false
	}
	page, off := i/s.pageSize, i%s.pageSize
	if rows, ok := s.pages[page]; ok {
		if off < len(rows) {
			return gridItem{Photo: rows[off]}, true
		}
		return gridItem{}, false
	}
	s.load(page)
	if rows, ok := s.stale[page]; ok && off < len(rows) {
		return gridItem{Photo: rows[off]}, true
	}
	return gridItem{}, false
}

// Reload recounts with filter f. With keep, the rows on screen stay until
// their fresh page arrives (periodic refresh while scanning: no flicker);
// without, the grid empties at once (a new filter must not show old rows).
func (s *pagedSource) Reload(f facet.Filter, keep bool) {
	s.gen++
	gen := s.gen
	s.filter = f
	if keep {
		for p, rows := range s.pages {
			if s.stale == nil {
				s.stale = map[int][]catalog.Photo{}
			}
			s.stale[p] = rows
		}
	} else {
		s.stale = nil
		s.count = 0
	}
	s.pages = map[int][]catalog.Photo{}
	s.loading = map[int]bool{}
	if !keep {
		s.changed()
	}
	be := s.u.be
	s.u.goBackground(func(ctx context.Context) {
		n, err := be.Count(ctx, f)
		if err != nil {
			s.u.log.Warn("count photos", "err", err)
			s.u.do(func() { s.u.status.setError("Could not read the catalog: " + err.Error()) })
			return
		}
		s.u.do(func() {
			if gen != s.gen {
				return
			}
			s.count = n
			if s.onCount != nil {
				s.onCount(n)
			}
			s.changed()
		})
	})
}

func (s *pagedSource) load(page int) {
	if s.loading[page] {
		return
	}
	s.loading[page] = true
	gen, f := s.gen, s.filter
	q := catalog.Query{Filter: f, Offset: page * s.pageSize, Limit: s.pageSize}
	be := s.u.be
	s.u.goBackground(func(ctx context.Context) {
		rows, err := be.List(ctx, q)
		s.u.do(func() {
			if gen != s.gen {
				return
			}
			if err != nil {
				delete(s.loading, page) // try again on the next refresh
				s.u.log.Warn("list photos", "page", page, "err", err)
				return
			}
			s.pages[page] = rows
			delete(s.stale, page)
			s.changed()
		})
	})
}

func (s *pagedSource) changed() {
	if s.onChange != nil {
		s.onChange()
	}
}
