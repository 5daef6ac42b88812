package daemon

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slad-project/slad/internal/testutil"
)

// TestTheRetentionSweepRunsAtStartAndKeepsTheFigures: a request closed
// longer than global.retention ago (400 days by default) is gone after
// the sweep slad runs once it starts, and its resolution still counts.
func TestTheRetentionSweepRunsAtStartAndKeepsTheFigures(t *testing.T) {
	dir := t.TempDir()
	clock := testutil.NewClock(testNow)
	cfgFile := copyConfig(t, dir)
	data := filepath.Join(dir, "data")
	in := start(t, cfgFile, data, clock.Now)
	if status, body := in.post(adminToken,
		event("old-o", "IT-1", "opened", "2026-11-24T09:00:00Z", "provider", "it", "customer", "sales", "priority", "P1", "category", "incident"),
		event("old-x", "IT-1", "resolved", "2026-11-24T10:00:00Z"),
		event("open-o", "IT-2", "opened", "2026-11-24T09:00:00Z", "provider", "it", "customer", "sales", "priority", "P1", "category", "incident"),
	); status != 200 {
		t.Fatalf("post: %d %v", status, body)
	}
	// Two hours on, a tick has settled the stops of IT-1 (history slad
	// learnt of is counted an hour after): the figures to keep.
	clock.Set(testNow.Add(2 * time.Hour))
	const resolutionMet = `slad_requests_stopped_total{outcome="met",sla="it-sales-incidents",target="resolution"}`
	stopped := waitFor(t, in, resolutionMet, func(line string) bool { return !strings.HasSuffix(line, " 0") })
	if err := in.stop(); err != nil {
		t.Fatal(err)
	}

	clock.Set(testNow.Add(401 * 24 * time.Hour))
	in = start(t, cfgFile, data, clock.Now)
	waitFor(t, in, "slad_retention_removed_total", func(line string) bool { return line == "slad_retention_removed_total 1" })
	if status, _ := in.do("GET", "/api/v1/requests/it/IT-1", adminToken, "", nil); status != 404 {
		t.Errorf("GET the removed request: %d, want 404", status)
	}
	if status, _ := in.do("GET", "/api/v1/requests/it/IT-2", adminToken, "", nil); status != 200 {
		t.Errorf("GET the open request: %d, want 200 (open requests are never removed)", status)
	}
	if got := metricLine(t, in, resolutionMet); got != stopped {
		t.Errorf("after the sweep %q, before %q: removing history must not change a counter", got, stopped)
	}
	if !strings.Contains(in.logs.String(), "retention sweep removed closed requests") {
		t.Errorf("no log line says what the sweep removed:\n%s", in.logs)
	}
}

// metricLine returns the first line of /metrics that starts with prefix.
func metricLine(t *testing.T, in *instance, prefix string) string {
	t.Helper()
	_, body := in.do("GET", "/metrics", "", "", nil)
	for line := range strings.Lines(string(body)) {
		if strings.HasPrefix(line, prefix) {
			return strings.TrimSpace(line)
		}
	}
	return ""
}

// waitFor waits up to 10 s for the first /metrics line that starts with
// prefix to pass ok, and returns it.
func waitFor(t *testing.T, in *instance, prefix string, ok func(line string) bool) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		line := metricLine(t, in, prefix)
		if ok(line) {
			return line
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 10 s /metrics still says %q", line)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
