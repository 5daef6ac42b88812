package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The bench is not run by CI (a real run takes minutes); its smoke run
// is, so that it keeps compiling against the daemon and measuring every
// row. The figures of a smoke run mean nothing and are not checked.
func TestSmokeRunPrintsEveryRowOfTheTable(t *testing.T) {
	var stdout, stderr bytes.Buffer
	args := []string{"-short", "-repo", "..", "-dir", t.TempDir(), "-clients", "8", "-duration", "100ms", "-storm", "100"}
	if code := run(args, &stdout, &stderr); code != 0 {
		t.Fatalf("bench %s exited %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, &stdout, &stderr)
	}
	out := stdout.String()
	for _, what := range []string{
		"bare bbolt drain-loop writer", "bare append-only file", "bare net/http handler", "bare bbolt puts",
		"single-event durable ingest", "its group commits, from slad's metrics", "batch ingest, 1,000-event NDJSON (2 clocks", "batch ingest, 1,000-event NDJSON (10 clocks",
		"bytes on disk per open request", "start-up to ready, after a restart", "start-up to ready, after a comment-only",
		"plan of that edit", "background re-match after its reload", "plan of an edit of what that SLA matches", "start-up to ready, after an edit of what one SLA matches", "background re-match after that restart", "background re-match after a restart with an OLA added",
		"GET /metrics", "GET /api/v1/slas", "GET /  ", "tick with 100 or more of them due (10 clocks",
		"tick with 100 due", "outbox delivery to a log receiver", "status page (GET /) with every request breached",
		"of history | import as slad import sends it", "tick an hour after the import", "GET /metrics, gzip",
		"GET /api/v1/report, its first page (100 SLAs)", "GET /departments/d01", "GET /?department=d01",
	} {
		if !strings.Contains(out, what) {
			t.Errorf("the table has no row %q:\n%s", what, out)
		}
	}
	if n := strings.Count(out, "| MISS") + strings.Count(out, "| PASS"); n != 22 {
		t.Errorf("%d rows were judged against a target, want 22:\n%s", n, out)
	}
}

func TestFlagsRefuseWhatCannotBeMeasured(t *testing.T) {
	for name, args := range map[string][]string{
		"an unknown scenario":            {"-scenario", "example,nope"},
		"events not in whole batches":    {"-events", "1500"},
		"no clients":                     {"-clients", "0"},
		"an argument that is not a flag": {"example"},
		"two CPU profiles at once":       {"-cpuprofile", "a.prof", "-tickprofile", "b.prof"},
		"a saved import, no history":     {"-scenario", "example", "-imported", "dir"},
		"a tick profile, no history":     {"-scenario", "storm", "-tickprofile", "t.prof"},
	} {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(args, &stdout, &stderr); code != 2 {
				t.Errorf("bench %s exited %d, want 2; stderr: %s", strings.Join(args, " "), code, &stderr)
			}
		})
	}
}

// TestASavedImportIsTickedAgainAsItWasImported: the history scenario saves
// its import in -imported, and a second run starts from a copy of it:
// without importing, its first tick finds the same requests due and
// queues the same alerts, and -tickprofile profiles it. An import of
// other sizes is refused rather than measured under the wrong name.
func TestASavedImportIsTickedAgainAsItWasImported(t *testing.T) {
	saved, profile := t.TempDir(), filepath.Join(t.TempDir(), "tick.prof")
	firstTick := regexp.MustCompile(`tick an hour after the import[^|]*\|[^|]*for ([0-9,]+ due \([0-9,]+ alerts queued\))`)
	runHistory := func(extra ...string) (string, int, string) {
		var stdout, stderr bytes.Buffer
		args := append([]string{"-short", "-repo", "..", "-dir", t.TempDir(), "-scenario", "history", "-imported", saved}, extra...)
		code := run(args, &stdout, &stderr)
		return stdout.String(), code, stderr.String()
	}
	out, code, errs := runHistory()
	first := firstTick.FindStringSubmatch(out)
	if code != 0 || first == nil || !strings.Contains(out, "| import as slad import sends it") {
		t.Fatalf("the run that imports exited %d, first tick %q:\n%s\n%s", code, first, out, errs)
	}
	out, code, errs = runHistory("-tickprofile", profile)
	again := firstTick.FindStringSubmatch(out)
	if code != 0 || again == nil || again[1] != first[1] {
		t.Fatalf("the run from the saved import exited %d, first tick %q, want %q:\n%s\n%s", code, again, first[1], out, errs)
	}
	if strings.Contains(out, "| import as slad import sends it") {
		t.Errorf("the run from the saved import has an import row:\n%s", out)
	}
	if fi, err := os.Stat(profile); err != nil || fi.Size() == 0 {
		t.Errorf("no profile of the first tick: %v", err)
	}
	if _, code, errs = runHistory("-history", "500"); code != 1 || !strings.Contains(errs, "holds an import made with -history 1000 -short") {
		t.Errorf("a saved import of other sizes: exit %d, %s; want 1 and why", code, errs)
	}
}
