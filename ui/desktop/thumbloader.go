package desktop

import (
	"context"
	"image"
	"sync"
	"time"
)

// thumbLoader decodes thumbnails off the UI goroutine and keeps them in an
// LRU. Requests are served newest first and the queue is bounded, so after
// a fast scroll the cells now on screen load first and the ones scrolled
// past are dropped rather than decoded for nothing.
type thumbLoader struct {
	load    func(hash string) (image.Image, error)
	deliver func(func()) // runs a function on the UI goroutine
	cache   *lru[string, image.Image]

	mu       sync.Mutex
	cond     *sync.Cond
	queue    []string // LIFO
	waiters  map[string][]func(image.Image)
	failed   map[string]time.Time // not in the cache yet (e.g. still scanning)
	inflight int
	closed   bool
}

const (
	thumbQueueMax   = 400
	thumbRetryAfter = 3 * time.Second
)

func newThumbLoader(ctx context.Context, workers, capacity int, load func(string) (image.Image, error), deliver func(func())) *thumbLoader {
	l := &thumbLoader{
		load:    load,
		deliver: deliver,
		cache:   newLRU[string, image.Image](capacity),
		waiters: map[string][]func(image.Image){},
		failed:  map[string]time.Time{},
	}
	l.cond = sync.NewCond(&l.mu)
	for range max(workers, 1) {
		go l.work()
	}
	go func() {
		<-ctx.Done()
		l.mu.Lock()
		l.closed = true
		l.queue, l.waiters = nil, map[string][]func(image.Image){}
		l.mu.Unlock()
		l.cond.Broadcast()
	}()
	return l
}

// Get returns the cached thumbnail, or nil after queueing a load that calls
// ready on the UI goroutine when it succeeds.
func (l *thumbLoader) Get(hash string, ready func(image.Image)) image.Image {
	if img, ok := l.cache.Get(hash); ok {
		return img
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if t, ok := l.failed[hash]; ok && time.Since(t) < thumbRetryAfter {
		return nil
	}
	if _, queued := l.waiters[hash]; !queued {
		l.queue = append(l.queue, hash)
		if len(l.queue) > thumbQueueMax {
			old := l.queue[0]
			l.queue = l.queue[1:]
			delete(l.waiters, old)
		}
	}
	l.waiters[hash] = append(l.waiters[hash], ready)
	l.cond.Signal()
	return nil
}

// Cached returns the thumbnail only if it is already decoded.
func (l *thumbLoader) Cached(hash string) image.Image {
	img, _ := l.cache.Get(hash)
	return img
}

// Idle reports whether nothing is queued or loading (for tests).
func (l *thumbLoader) Idle() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.queue) == 0 && l.inflight == 0
}

func (l *thumbLoader) work() {
	for {
		l.mu.Lock()
		for len(l.queue) == 0 && !l.closed {
			l.cond.Wait()
		}
		if l.closed {
			l.mu.Unlock()
			return
		}
		hash := l.queue[len(l.queue)-1]
		l.queue = l.queue[:len(l.queue)-1]
		l.inflight++
		l.mu.Unlock()

		img, err := l.load(hash)

		l.mu.Lock()
		waiters := l.waiters[hash]
		delete(l.waiters, hash)
		if err != nil || img == nil {
			l.failed[hash] = time.Now()
		} else {
			delete(l.failed, hash)
			l.cache.Put(hash, img)
		}
		l.mu.Unlock()
		if img != nil && err == nil && len(waiters) > 0 {
			l.deliver(func() {
				for _, w := range waiters {
					w(img)
				}
			})
		}
		l.mu.Lock()
		l.inflight--
		l.mu.Unlock()
	}
}
