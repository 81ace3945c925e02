package milvus

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/simili/simili/search/vector"
)

// Milvus answers with its internal messages (query-node delegators,
// channel names, Go stack-trace paths of the server's build). serverError
// turns the ones a user meets into one plain sentence; the raw text stays
// in the chain (errors.Is/As still see it) and in the debug log.

var (
	// metricMismatch is Milvus 2.3's answer to a search whose metric is not
	// the one the collection's index was built for.
	metricMismatch = regexp.MustCompile(`metric type not match: invalid parameter\[expected=(\w+)\]\[actual=(\w+)\]`)

	// restarting lists what Milvus says while it is up but still coming
	// back after a restart: its query node registers again ("node not
	// match"), then reloads the collections ("collection not loaded", "not
	// serviceable").
	restarting = []string{
		"node not match",
		"collection not loaded",
		"channel distribution is not serviceable",
		"no available shard delegator",
		"channel not available",
		"service not ready",
		"not healthy",
	}
)

// slowCall is how long a call runs before the store says what it waits
// for. After a restart Milvus 2.3.5 took 22 s to answer the first query of
// a collection (its "Query slow" log, duration=22.2s), the query node
// catching up before it serves the collection again.
const slowCall = 3 * time.Second

// serverError is a Milvus failure in one plain sentence.
type serverError struct {
	msg         string
	unavailable bool // wraps vector.ErrUnavailable: keep the work, retry later
	restarting  bool // the server is up but still starting
	raw         error
}

func (e *serverError) Error() string { return e.msg }

func (e *serverError) Unwrap() []error {
	if e.unavailable {
		return []error{e.raw, vector.ErrUnavailable}
	}
	return []error{e.raw}
}

// describe explains err, returned by call op on the server addr for
// collection coll, in one sentence.
func describe(op, addr, coll string, err error) error {
	msg := err.Error()
	if m := metricMismatch.FindStringSubmatch(msg); m != nil {
		return &serverError{raw: err, msg: fmt.Sprintf(
			"%s: Milvus collection %s at %s is indexed for the %s metric but this store asks for %s; add ?metric=%s to the store address, or run `simili sync --rebuild` to re-create the collection for %s",
			op, coll, addr, m[1], m[2], m[1], m[2])}
	}
	for _, r := range restarting {
		if strings.Contains(msg, r) {
			return &serverError{raw: err, unavailable: true, restarting: true, msg: fmt.Sprintf(
				"%s: Milvus at %s is still starting up after a restart and does not serve collection %s yet; nothing is lost, try again in a minute",
				op, addr, coll)}
		}
	}
	if unavailable(err) {
		return &serverError{raw: err, unavailable: true, msg: fmt.Sprintf("%s on %s: %s: %v", op, addr, plain(msg), vector.ErrUnavailable)}
	}
	return &serverError{raw: err, msg: fmt.Sprintf("%s on %s: %s", op, addr, plain(msg))}
}

// plain shortens a message describe has no sentence for: its first line,
// without the server's stack trace.
func plain(msg string) string {
	msg = firstLine(msg)
	if i := strings.Index(msg, "stack trace:"); i >= 0 {
		msg = strings.TrimRight(msg[:i], " :,")
	}
	if msg == "" {
		msg = "Milvus failed without saying why"
	}
	return msg
}

// isRestarting reports whether err says the server is still starting up.
func isRestarting(err error) bool {
	var se *serverError
	return errors.As(err, &se) && se.restarting
}
