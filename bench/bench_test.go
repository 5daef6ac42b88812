package main

import (
	"bytes"
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
		"GET /metrics", "GET /api/v1/slas", "GET /  ",
		"tick with 100 due", "outbox delivery to a log receiver", "status page (GET /) with every request breached",
		"of history | import, ~1,000-event NDJSON", "tick an hour after the import", "GET /metrics, gzip",
		"GET /api/v1/report, its first page (100 SLAs)", "GET /departments/d01",
	} {
		if !strings.Contains(out, what) {
			t.Errorf("the table has no row %q:\n%s", what, out)
		}
	}
	if n := strings.Count(out, "| MISS") + strings.Count(out, "| PASS"); n != 17 {
		t.Errorf("%d rows were judged against a target, want 17:\n%s", n, out)
	}
}

func TestFlagsRefuseWhatCannotBeMeasured(t *testing.T) {
	for name, args := range map[string][]string{
		"an unknown scenario":            {"-scenario", "example,nope"},
		"events not in whole batches":    {"-events", "1500"},
		"no clients":                     {"-clients", "0"},
		"an argument that is not a flag": {"example"},
	} {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(args, &stdout, &stderr); code != 2 {
				t.Errorf("bench %s exited %d, want 2; stderr: %s", strings.Join(args, " "), code, &stderr)
			}
		})
	}
}
