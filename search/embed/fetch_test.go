package embed

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// fetchServer serves body at /model.onnx and 404 elsewhere. With block set
// it sends half the body and then waits for the request to be cancelled.
func fetchServer(t *testing.T, body []byte, block bool) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/model.onnx" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		if block {
			w.Write(body[:len(body)/2])
			w.(http.Flusher).Flush()
			<-r.Context().Done()
			return
		}
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// dirEntries lists dir, to prove no temporary file is left behind.
func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestFetch(t *testing.T) {
	body := make([]byte, 300_000)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range body {
		body[i] = byte(rng.Uint32())
	}
	good := sha256Hex(body)
	srv := fetchServer(t, body, false)
	blocked := fetchServer(t, body, true)
	half := int64(len(body) / 2)

	tests := []struct {
		name     string
		url, sum string
		cancelAt int64    // cancel the context once this many bytes arrived; 0 never, -1 before starting
		errHas   []string // nil: success
	}{
		{name: "good", url: srv.URL + "/model.onnx", sum: good},
		{name: "bad sum", url: srv.URL + "/model.onnx", sum: strings.Repeat("0", 64),
			errHas: []string{"checksum mismatch", good, strings.Repeat("0", 64)}},
		{name: "404", url: srv.URL + "/missing.onnx", sum: good, errHas: []string{"404", "--model-file"}},
		{name: "offline", url: "http://127.0.0.1:1/model.onnx", sum: good, errHas: []string{"are you offline?", "--model-file"}},
		{name: "cancelled before", url: srv.URL + "/model.onnx", sum: good, cancelAt: -1, errHas: []string{"cancelled"}},
		{name: "cancelled during", url: blocked.URL + "/model.onnx", sum: good, cancelAt: half, errHas: []string{"cancelled"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "models")
			spec := Spec{Name: "test", File: "model.onnx", URL: tt.url, SHA256: tt.sum}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.cancelAt < 0 {
				cancel()
			}
			var last, total int64
			progress := func(done, tot int64) {
				last, total = done, tot
				if tt.cancelAt > 0 && done >= tt.cancelAt {
					cancel()
				}
			}
			path, err := Fetch(ctx, spec, dir, progress)
			if tt.errHas == nil {
				if err != nil {
					t.Fatal(err)
				}
				got, err := os.ReadFile(path)
				if err != nil || !bytes.Equal(got, body) {
					t.Fatalf("installed file differs (%v)", err)
				}
				if last != int64(len(body)) || total != int64(len(body)) {
					t.Errorf("last progress %d/%d, want %d/%d", last, total, len(body), len(body))
				}
				// A second Fetch keeps the verified file: no server needed.
				spec.URL = "http://127.0.0.1:1/model.onnx"
				if p2, err := Fetch(ctx, spec, dir, nil); err != nil || p2 != path {
					t.Errorf("second Fetch = %q, %v", p2, err)
				}
				return
			}
			if err == nil {
				t.Fatal("Fetch succeeded")
			}
			for _, s := range tt.errHas {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
			if got, want := errors.Is(err, context.Canceled), tt.cancelAt != 0; got != want {
				t.Errorf("errors.Is(context.Canceled) = %v: %v", got, err)
			}
			if names := dirEntries(t, dir); len(names) != 0 {
				t.Errorf("files left in the model directory: %v", names)
			}
		})
	}
}

func TestFetchNoURL(t *testing.T) {
	s, _ := Builtin("squeezenet")
	if _, err := Fetch(context.Background(), s, t.TempDir(), nil); err == nil || !strings.Contains(err.Error(), "cannot be downloaded") {
		t.Errorf("error = %v", err)
	}
}

func TestImport(t *testing.T) {
	body := []byte("pretend model")
	src := filepath.Join(t.TempDir(), "download.onnx")
	if err := os.WriteFile(src, body, 0o644); err != nil {
		t.Fatal(err)
	}
	tiny := filepath.Join(t.TempDir(), "tiny.onnx")
	if err := os.WriteFile(tiny, tinyModel(), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		spec   Spec
		file   string
		errHas string
	}{
		{"verified", Spec{Name: "m", File: "m.onnx", SHA256: sha256Hex(body)}, src, ""},
		{"wrong sum", Spec{Name: "m", File: "m.onnx", SHA256: sha256Hex([]byte("other"))}, src, "checksum mismatch"},
		{"missing file", Spec{Name: "m", File: "m.onnx", SHA256: sha256Hex(body)}, src + ".nope", "no such file"},
		{"no sum, tensors checked", func() Spec { s := tinySpec("a", PoolGAP, 3); s.File = "t.onnx"; return s }(), tiny, ""},
		{"no sum, wrong tensors", func() Spec { s := tinySpec("zz", PoolGAP, 3); s.File = "t.onnx"; return s }(), tiny, `"zz"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "models")
			path, err := Import(tt.spec, tt.file, dir)
			if tt.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("error = %v, want %q", err, tt.errHas)
				}
				if names := dirEntries(t, dir); len(names) != 0 {
					t.Errorf("files left: %v", names)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if path != filepath.Join(dir, tt.spec.File) {
				t.Errorf("path = %s", path)
			}
			// Importing the installed file onto itself is a no-op.
			if p2, err := Import(tt.spec, path, dir); err != nil || p2 != path {
				t.Errorf("re-import = %q, %v", p2, err)
			}
		})
	}
}
