package daemon

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Regression (found in review):  a configuration changed while slad is down (the usual
// deploy: edit, restart) is never applied to open requests. Run opens the
// store with the new policy but never calls Rematch, so open requests keep
// the clocks, limits and deadlines of the old policy until their next event
// — and GET ?explain=1 (which re-folds with the policy in force) then
// contradicts the plain GET of the same request.
func TestARestartWithAChangedConfigurationRematchesOpenRequests(t *testing.T) {
	dir := t.TempDir()
	clock := &testClock{t: testNow}
	cfgFile := copyConfig(t, dir)
	data := filepath.Join(dir, "data")
	in := start(t, cfgFile, data, clock.Now)
	if status, body := in.post(adminToken,
		event("z1", "IT-9", "opened", "2026-11-24T08:00:00Z", "provider", "it", "customer", "sales", "priority", "P1", "category", "incident"),
	); status != 200 {
		t.Fatalf("post: %d %v", status, body)
	}
	if err := in.stop(); err != nil {
		t.Fatal(err)
	}
	cfg, err := os.ReadFile(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(cfg), "resolution: {P1: 4h, P2: 1d}", "resolution: {P1: 2h, P2: 1d}", 1)
	if changed == string(cfg) {
		t.Fatal("test config changed shape")
	}
	if err := os.WriteFile(cfgFile, []byte(changed), 0o600); err != nil {
		t.Fatal(err)
	}
	in2 := start(t, cfgFile, data, clock.Now)
	var plain, explained requestJSON
	in2.getJSON("/api/v1/requests/IT-9", &plain)
	in2.getJSON("/api/v1/requests/IT-9?explain=1", &explained)
	got := plain.clock("it-sales-incidents", "resolution").TargetS
	exp := explained.clock("it-sales-incidents", "resolution").TargetS
	if got != 7200 {
		t.Errorf("after a restart with P1 resolution 2h, the open request's clock still has target_seconds=%d (explain=1 says %d)", got, exp)
	}
}
