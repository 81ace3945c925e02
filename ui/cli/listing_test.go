package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/simili/simili/library/catalog"
)

// TestModelListHidesBenchmarkModels: `simili model list` shows the models
// a user can pick, not the random-weight ResNet50 that exists for
// `simili bench` (nor its int8 variant).
func TestModelListHidesBenchmarkModels(t *testing.T) {
	isolate(t)
	var out, errOut bytes.Buffer
	if err := Run(context.Background(), Env{Stdout: &out, Stderr: &errOut}, []string{"model", "list"}); err != nil {
		t.Fatalf("model list: %v\n%s", err, errOut.String())
	}
	names := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n")[1:] {
		names[strings.Fields(line)[0]] = true
	}
	for _, want := range []string{"resnet50", "squeezenet", "resnet50-int8", "squeezenet-int8"} {
		if !names[want] {
			t.Errorf("model list lacks %s:\n%s", want, out.String())
		}
	}
	for _, hidden := range []string{"resnet50-random", "resnet50-random-int8"} {
		if names[hidden] {
			t.Errorf("model list shows the benchmark-only %s:\n%s", hidden, out.String())
		}
	}
}

// TestStatsJSONListsFailures: `stats --failures N --json` carries the
// failed files, as the text output does.
func TestStatsJSONListsFailures(t *testing.T) {
	tmp := isolate(t)
	ctx := context.Background()
	cat, err := catalog.Open(ctx, filepath.Join(tmp, "data", "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	for i, reason := range []string{"decode", "too-large", "permission"} {
		f := catalog.Failure{Path: filepath.Join("/photos", reason+".jpg"), Size: int64(i + 1), ModTime: time.Unix(1e9, 0), Reason: reason, Message: "because " + reason}
		if err := cat.PutFailure(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	cat.Close()
	run := func(args ...string) map[string]json.RawMessage {
		t.Helper()
		var out, errOut bytes.Buffer
		if err := Run(ctx, Env{Stdout: &out, Stderr: &errOut}, args); err != nil {
			t.Fatalf("simili %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(out.Bytes(), &m); err != nil {
			t.Fatalf("simili %s: %v\n%s", strings.Join(args, " "), err, out.String())
		}
		return m
	}
	m := run("stats", "--model", "squeezenet", "--json", "--failures", "2")
	var failed []catalog.Failure
	if err := json.Unmarshal(m["FailedFiles"], &failed); err != nil {
		t.Fatalf("FailedFiles: %v in %s", err, m["FailedFiles"])
	}
	if len(failed) != 2 {
		t.Fatalf("--failures 2 --json listed %d files: %+v", len(failed), failed)
	}
	for _, f := range failed {
		if f.Reason == "" || !strings.HasPrefix(f.Path, "/photos/") || f.Message != "because "+f.Reason {
			t.Errorf("failed file %+v", f)
		}
	}
	if _, ok := run("stats", "--model", "squeezenet", "--json")["FailedFiles"]; ok {
		t.Errorf("without --failures the JSON lists failed files")
	}
}
