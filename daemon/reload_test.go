package daemon

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slad-project/slad/internal/testutil"
)

func TestReloadKeepsTheRunningConfigWhenTheNewOneIsBroken(t *testing.T) {
	dir := t.TempDir()
	cfgFile := copyConfig(t, dir)
	clock := testutil.NewClock(testNow)
	in := start(t, cfgFile, filepath.Join(dir, "data"), clock.Now)
	good, err := os.ReadFile(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(good), "objective: 95%", "objectve: 95%", 1)
	if err := os.WriteFile(cfgFile, []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	status, data := in.do("POST", "/-/reload", adminToken, "", nil)
	if status != 400 || !strings.Contains(string(data), "config.yaml:") || !strings.Contains(string(data), "objectve") {
		t.Fatalf("broken reload: %d %s", status, data)
	}
	if _, m := in.do("GET", "/metrics", "", "", nil); !strings.Contains(string(m), "slad_config_last_reload_successful 0") {
		t.Error("slad_config_last_reload_successful is not 0 after a failed reload")
	}
	if status, _ := in.do("GET", "/api/v1/slas/it-sales-incidents", "", "", nil); status != 200 {
		t.Errorf("the running SLA is gone after a failed reload (%d)", status)
	}
	if status, _ := in.do("POST", "/-/reload", itToken, "", nil); status != 403 {
		t.Errorf("a non-admin token may reload (%d)", status)
	}
	// A file that is not there at all is the admin's to fix too: 400.
	if err := os.Remove(cfgFile); err != nil {
		t.Fatal(err)
	}
	if status, data := in.do("POST", "/-/reload", adminToken, "", nil); status != 400 || !strings.Contains(string(data), "no such file") || !strings.Contains(string(data), "stays in force") {
		t.Errorf("a reload of a missing file: %d %s; want 400 saying the file is missing and the running configuration stays", status, data)
	}
	fixed := strings.Replace(string(good), "response: 30m", "response: 45m", 1)
	if err := os.WriteFile(cfgFile, []byte(fixed), 0o600); err != nil {
		t.Fatal(err)
	}
	in.post(itToken, event("r1", "IT-9", "opened", "2026-11-24T11:00:00Z", "provider", "it", "customer", "sales", "priority", "P1", "category", "incident"))
	if status, data := in.do("POST", "/-/reload", adminToken, "", nil); status != 200 {
		t.Fatalf("good reload: %d %s", status, data)
	}
	var r requestJSON
	in.getJSON("/api/v1/requests/IT-9", &r)
	if c := r.clock("it-sales-incidents", "response"); c.TargetS != 45*60 {
		t.Errorf("open request not re-matched: response target %ds, want 2700", c.TargetS)
	}
	if _, m := in.do("GET", "/metrics", "", "", nil); !strings.Contains(string(m), "slad_config_last_reload_successful 1") {
		t.Error("slad_config_last_reload_successful is not 1 after a good reload")
	}
}

// TestAReloadWhoseCallerGoesAwayStillRematchesEveryOpenRequest: POST
// /-/reload hands Reload the HTTP request's context. When the client goes
// away (curl --max-time, a proxy timeout) the re-match must not stop part
// way, with the new policy in force, some open requests still on the old
// clocks, and the reload reported a success.
func TestAReloadWhoseCallerGoesAwayStillRematchesEveryOpenRequest(t *testing.T) {
	dir := t.TempDir()
	cfgFile := copyConfig(t, dir)
	clock := testutil.NewClock(testNow)
	in := start(t, cfgFile, filepath.Join(dir, "data"), clock.Now)
	if status, body := in.post(adminToken, event("o", "IT-9", "opened", testNow.Add(-time.Hour).Format(time.RFC3339),
		"provider", "it", "customer", "sales", "priority", "P1", "category", "incident")); status != 200 {
		t.Fatalf("post: %d %v", status, body)
	}

	data, err := os.ReadFile(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfgFile, []byte(strings.Replace(string(data), "resolution: {P1: 4h, P2: 1d}", "resolution: {P1: 2h, P2: 1d}", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the HTTP client hung up
	reloadErr := in.d.Reload(ctx)
	var r requestJSON
	in.getJSON("/api/v1/requests/IT-9", &r)
	if c := r.clock("it-sales-incidents", "resolution"); c.TargetS != 7200 {
		t.Errorf("reload returned %v and reports success, but the open request still has a %ds limit (the new policy says 2h)", reloadErr, c.TargetS)
	}
}
