package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
	"github.com/slad-project/slad/store"
)

// retainedDatabase writes 2,000 requests of which the 1,500 closed are
// then removed by retention, and returns the data directory: a file full
// of free pages.
func retainedDatabase(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	s, err := store.Open(store.Options{Dir: dir, Policy: slatest.DeskPolicy()})
	if err != nil {
		t.Fatal(err)
	}
	for b := range 4 {
		var batch []sla.Event
		for i := range 500 {
			id := fmt.Sprintf("R%d-%d", b, i)
			batch = append(batch, slatest.Event(id+"-o", id, sla.Opened, slatest.T0, func(e *sla.Event) { e.Title = strings.Repeat("x", 500) }))
			if b > 0 {
				batch = append(batch, slatest.Event(id+"-x", id, sla.Resolved, slatest.T0.Add(time.Hour)))
			}
		}
		if _, err := s.Append(context.Background(), batch); err != nil {
			t.Fatal(err)
		}
	}
	// Resolved long before slad heard of them, they settle an hour later
	// (the deadline index's history lane); retention removes them then.
	settled := time.Now().Add(lifecycle.HistoryAge + time.Minute)
	for res := (store.EvalResult{HistoryLeft: true}); res.HistoryLeft; {
		if res, err = s.Evaluate(settled); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.RemoveClosed(context.Background(), time.Now().Add(time.Hour)); err != nil || n != 1500 {
		t.Fatalf("RemoveClosed = %d, %v; want the 1500 closed requests removed", n, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// slad compact, run as the real binary, gives back the space retention
// freed, keeps every request, and refuses to run while slad serves.
func TestCompactGivesTheSpaceBackOffline(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped with -short")
	}
	bin := buildSlad(t, t.TempDir())
	data := retainedDatabase(t)
	path := filepath.Join(data, store.FileName)
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}

	srv, _, _ := startSlad(t, bin, writeCrashConfig(t, t.TempDir()), data)
	out, err := exec.Command(bin, "compact", "--data", data).CombinedOutput()
	if code := exitCode(err); code != 1 || !strings.Contains(string(out), "a slad is running on "+data) {
		t.Errorf("compact while slad runs: exit %d, want 1 saying slad runs:\n%s", code, out)
	}
	if err := srv.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := srv.Wait(); err != nil {
		t.Fatalf("slad serve: %v", err)
	}
	if st, err := os.Stat(path); err != nil || st.Size() < before.Size() {
		t.Fatalf("the refused compaction changed the file: %v, %v", st, err)
	}

	out, err = exec.Command(bin, "compact", "--data", data).CombinedOutput()
	if err != nil {
		t.Fatalf("compact: %v\n%s", err, out)
	}
	after, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if after.Size() >= before.Size()/2 {
		t.Errorf("compaction left %d of %d bytes; the 1500 removed requests' pages should be given back", after.Size(), before.Size())
	}
	for _, want := range []string{path + " compacted in ", fmt.Sprintf("(%d bytes) before", before.Size()), fmt.Sprintf("(%d bytes) after", after.Size())} {
		if !strings.Contains(string(out), want) {
			t.Errorf("compact printed %q; want it to say %q", out, want)
		}
	}
	if after.Mode().Perm() != before.Mode().Perm() {
		t.Errorf("the compacted file has mode %v, the database had %v", after.Mode().Perm(), before.Mode().Perm())
	}
	if left, _ := filepath.Glob(filepath.Join(data, "*.tmp")); len(left) > 0 {
		t.Errorf("temporary files left beside the database: %v", left)
	}
	out, err = exec.Command(bin, "check", "--data", data).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "500 events, 500 requests") {
		t.Errorf("check after compaction: %v\n%s", err, out)
	}
}

// exitCode is the exit code of a command that ran, 0 on success.
func exitCode(err error) int {
	if ee, ok := errors.AsType[*exec.ExitError](err); ok {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}
