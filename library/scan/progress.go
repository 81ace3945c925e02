package scan

import (
	"time"
)

// Progress is a snapshot of a running scan, sent to Options.Progress.
type Progress struct {
	Found     int // image candidates found so far by the walk
	Walking   bool
	Processed int           // files read and catalogued in this run (new or changed)
	Unchanged int           // files skipped because size and mtime did not change
	Skipped   int           // files skipped for a reason (not an image, failed before, ...)
	Failed    int           // files that could not be indexed
	Moved     int           // files recognised by content at a new path
	Deleted   int           // catalogued files that left the disk
	Embedded  int           // model runs
	Pending   int           // photos the vector store has not received yet
	Rate      float64       // processed files per second
	ETA       time.Duration // 0 when unknown
	Elapsed   time.Duration
	Current   string // last file handled
	Done      bool
}

// Remaining is the number of found files not handled yet.
func (p Progress) Remaining() int {
	r := p.Found - p.Processed - p.Unchanged - p.Skipped - p.Failed
	if r < 0 {
		return 0
	}
	return r
}

// Handled is the number of found files dealt with in any way.
func (p Progress) Handled() int { return p.Processed + p.Unchanged + p.Skipped + p.Failed }

func (p *Progress) update(start time.Time) {
	p.Elapsed = time.Since(start)
	if secs := p.Elapsed.Seconds(); secs > 0 {
		p.Rate = float64(p.Processed) / secs
	}
	p.ETA = 0
	if p.Rate > 0 {
		p.ETA = time.Duration(float64(p.Remaining()) / p.Rate * float64(time.Second))
	}
}
