package milvus

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/milvus-io/milvus-sdk-go/v2/client"
	"github.com/simili/simili/search/vector"
)

// TestServerErrorsInPlainWords: the messages Milvus 2.3.5 really sent
// (captured from the server at 127.0.0.1:19530 and from its log across a
// restart) reach the user as one plain sentence without delegators,
// channels or the server's Go stack-trace paths; a server still starting
// up keeps the work pending (vector.ErrUnavailable), a metric mismatch
// does not.
func TestServerErrorsInPlainWords(t *testing.T) {
	restart, err := os.ReadFile("testdata/restart-node-not-match.txt")
	if err != nil {
		t.Fatal(err)
	}
	s := &Store{cfg: Config{Address: "127.0.0.1:19530", CollectionPrefix: "simili"}, name: "simili_squeezenet_512", log: slog.New(slog.DiscardHandler)}
	tests := []struct {
		name        string
		raw         string
		want        []string
		unavailable bool
	}{
		{
			name: "metric mismatch",
			// A search with metric L2 on a collection indexed for IP.
			raw:  "failed to search/query delegator 3 for channel by-dev-rootcoord-dml_8_470856795758928657v0: fail to Search, QueryNode ID=3, reason=collection:470856795758928657, metric type not match: invalid parameter[expected=IP][actual=L2]",
			want: []string{"simili_squeezenet_512", "indexed for the IP metric", "asks for L2", "?metric=IP", "simili sync --rebuild"},
		},
		{
			name:        "restart: node not match with stack trace",
			raw:         string(restart),
			want:        []string{"still starting up after a restart", "try again in a minute"},
			unavailable: true,
		},
		{
			name: "restart: collection not loaded",
			// The first query after the restart, before the reload.
			raw:         "failed to query: collection not loaded[collection=470856628099228589]",
			want:        []string{"still starting up after a restart"},
			unavailable: true,
		},
		{
			name: "unknown message keeps its first line, not the stack trace",
			raw:  "index not found[collection=x]: stack trace: /__w/milvus-lite/milvus-lite/milvus_binary/milvus/pkg/tracer/stack_trace.go:51 github.com/milvus-io/milvus/pkg/tracer.StackTrace\n/__w/milvus-lite/x.go:1 y",
			want: []string{"index not found[collection=x]"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := errors.New(tt.raw)
			err := s.wrap("search "+s.name, raw)
			msg := err.Error()
			for _, leak := range []string{"delegator", "by-dev-rootcoord", "stack trace", "/__w/", "stack_trace.go", "QueryNode ID", "\n"} {
				if strings.Contains(msg, leak) {
					t.Errorf("message leaks %q:\n%s", leak, msg)
				}
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message lacks %q:\n%s", w, msg)
				}
			}
			if got := errors.Is(err, vector.ErrUnavailable); got != tt.unavailable {
				t.Errorf("errors.Is(ErrUnavailable) = %v, want %v (%s)", got, tt.unavailable, msg)
			}
			if !errors.Is(err, raw) {
				t.Errorf("the raw error left the chain: %v", err)
			}
		})
	}
}

// TestSlowCallSaysWhatItWaitsFor: a call that takes longer than the
// threshold logs what it is waiting for while it waits.
func TestSlowCallSaysWhatItWaitsFor(t *testing.T) {
	var buf syncBuffer
	s := &Store{cfg: Config{Address: "127.0.0.1:19530", Timeout: time.Minute}, name: "simili_squeezenet_512",
		log: slog.New(slog.NewTextHandler(&buf, nil)), cl: idleClient{}, slowLog: 20 * time.Millisecond}
	logged := make(chan bool, 1)
	err := s.call(context.Background(), "search simili_squeezenet_512", func(ctx context.Context, _ client.Client) error {
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) && !strings.Contains(buf.String(), "waiting for Milvus") {
			time.Sleep(5 * time.Millisecond)
		}
		logged <- strings.Contains(buf.String(), "waiting for Milvus")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !<-logged {
		t.Fatalf("nothing logged while the call waited:\n%s", buf.String())
	}
	if out := buf.String(); !strings.Contains(out, "restart") || !strings.Contains(out, "simili_squeezenet_512") {
		t.Fatalf("the log does not say what it waits for:\n%s", out)
	}

	buf.Reset()
	if err := s.call(context.Background(), "count", func(context.Context, client.Client) error { return nil }); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if out := buf.String(); out != "" {
		t.Fatalf("a fast call logged:\n%s", out)
	}
}

// idleClient stands in for the SDK client in calls that do not use it.
type idleClient struct{ client.Client }

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *syncBuffer) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Reset()
}
