package desktop

// history is the Back/Forward list of the detail pane, like a browser's:
// visiting a new place drops everything ahead of the current position.
type history[T any] struct {
	items []T
	pos   int // index of the current item; -1 when empty
}

func newHistory[T any]() *history[T] { return &history[T]{pos: -1} }

// Visit makes x the current item.
func (h *history[T]) Visit(x T) {
	h.items = append(h.items[:h.pos+1], x)
	h.pos = len(h.items) - 1
}

// Current returns the current item.
func (h *history[T]) Current() (T, bool) {
	if h.pos < 0 {
		var zero T
		return zero, false
	}
	return h.items[h.pos], true
}

func (h *history[T]) CanBack() bool    { return h.pos > 0 }
func (h *history[T]) CanForward() bool { return h.pos >= 0 && h.pos < len(h.items)-1 }

// Back moves one step back and returns the new current item.
func (h *history[T]) Back() (T, bool) {
	if !h.CanBack() {
		var zero T
		return zero, false
	}
	h.pos--
	return h.items[h.pos], true
}

// Forward moves one step forward and returns the new current item.
func (h *history[T]) Forward() (T, bool) {
	if !h.CanForward() {
		var zero T
		return zero, false
	}
	h.pos++
	return h.items[h.pos], true
}
