package catalog

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// childEnv makes the test binary, run again as a child, begin a scan of
// the catalog it names and SIGKILL itself.
const childEnv = "SIMILI_TEST_KILLED_SCAN"

// TestKilledScanChild is the child of TestKilledScanIsInterrupted.
func TestKilledScanChild(t *testing.T) {
	path := os.Getenv(childEnv)
	if path == "" {
		t.Skip("child process of TestKilledScanIsInterrupted only")
	}
	c, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.BeginScan(context.Background(), []string{"/pics"}, "squeezenet"); err != nil {
		t.Fatal(err)
	}
	syscall.Kill(os.Getpid(), syscall.SIGKILL)
}

// TestKilledScanIsInterrupted reproduces issue 14 case 6: a scan whose
// process was killed stayed "running" for ever. The next scan (or stats)
// marks it interrupted; a scan whose process is alive, in this process or
// another catalog handle, stays running.
func TestKilledScanIsInterrupted(t *testing.T) {
	ctx := context.Background()
	c, path := openTest(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledScanChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+path)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child: %v, want killed by SIGKILL\n%s", err, out)
	}
	killed, ok, err := c.LastScan(ctx)
	if err != nil || !ok || killed.State != "running" {
		t.Fatalf("the killed scan: %+v, %v, %v; want it recorded as running", killed, ok, err)
	}

	// A live scan of this process, and one of another handle on the same
	// catalog (as another process would hold it).
	live, err := c.BeginScan(ctx, []string{"/pics"}, "squeezenet")
	if err != nil {
		t.Fatal(err)
	}
	other, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	otherLive, err := other.BeginScan(ctx, []string{"/more"}, "squeezenet")
	if err != nil {
		t.Fatal(err)
	}
	if n, err := c.ReapScans(ctx); err != nil || n != 0 { // BeginScan already reaped the killed one
		t.Fatalf("ReapScans = %d, %v; want 0 left to mark", n, err)
	}
	states := map[int64]string{}
	rows, err := c.db.QueryContext(ctx, "SELECT id, state, finished_at IS NOT NULL FROM scans")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var (
			id       int64
			state    string
			finished bool
		)
		if err := rows.Scan(&id, &state, &finished); err != nil {
			t.Fatal(err)
		}
		if state == "interrupted" && !finished {
			t.Errorf("scan %d interrupted without an end time", id)
		}
		states[id] = state
	}
	rows.Close()
	want := map[int64]string{killed.ID: "interrupted", live: "running", otherLive: "running"}
	for id, w := range want {
		if states[id] != w {
			t.Errorf("scan %d: %q, want %q (all: %v)", id, states[id], w, states)
		}
	}

	// A handle closed without ending its scan (its process exits) leaves
	// the scan to be marked interrupted by the next one that looks.
	other.Close()
	if n, err := c.ReapScans(ctx); err != nil || n != 1 {
		t.Fatalf("after the other handle closed: ReapScans = %d, %v; want 1", n, err)
	}
	if err := c.EndScan(ctx, ScanRecord{ID: live, State: "complete"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(path+".scans", "1.lock")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock file of the killed scan: %v, want removed", err)
	}
}
