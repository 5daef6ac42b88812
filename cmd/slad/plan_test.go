package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/slad-project/slad/api/wire"
	"github.com/slad-project/slad/internal/testutil"
)

const planAdminToken = "plan-admin-0123456789abcdef0123456789abcdef"

// writePlanConfig writes a configuration whose outage SLA resolves in
// resolution, and the admin token file beside it.
func writePlanConfig(t *testing.T, dir, name, resolution string) string {
	t.Helper()
	cfg := `global: {evaluation_schedule: "@every 1s"}
departments:
  ops: {name: IT Operations, notify: [console]}
  eng: {name: Engineering}
receivers:
  console: {type: log}
  boss: {type: log}
tokens:
  - {name: admin, token_file: admin-token, admin: true}
slas:
  - id: ops-outages
    description: IT operations fixes Engineering's outages, day and night
    provider: ops
    customers: [eng]
    calendar: 24x7
    resolution: ` + resolution + `
    objective: 99%
    window: 4w
    warn_at: [50%]
    escalate:
      - {after: 30m, notify: [boss]}
`
	if err := os.WriteFile(filepath.Join(dir, "admin-token"), []byte(planAdminToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// alertLines counts the alerts the log receivers wrote, per receiver.
func alertLines(logs *testutil.SyncBuffer) map[string]int {
	out := map[string]int{}
	for _, line := range strings.Split(logs.String(), "\n") {
		if !strings.Contains(line, "alert_id=") {
			continue
		}
		for _, f := range strings.Fields(line) {
			if r, ok := strings.CutPrefix(f, "receiver="); ok {
				out[r]++
			}
		}
	}
	return out
}

// runPlanBinary runs slad plan on the binary and decodes its JSON plan.
func runPlanBinary(t *testing.T, bin string, args ...string) (int, wire.Plan) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, append([]string{"plan", "--format", "json"}, args...)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := errors.AsType[*exec.ExitError](err); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	var pl wire.Plan
	if code != 1 {
		if err := json.Unmarshal(stdout.Bytes(), &pl); err != nil {
			t.Fatalf("slad plan %v: exit %d, not a plan: %v\n%s\n%s", args, code, err, stdout.String(), stderr.String())
		}
	}
	return code, pl
}

// TestPlanOnTheBinaryPredictsTheReload runs the binary with two open
// requests, plans a shorter target against it, reloads, and compares the
// plan with what happened: the alerts each receiver got, the clocks'
// states and the SLA's standing; then, the daemon stopped, plans against
// its data offline.
func TestPlanOnTheBinaryPredictsTheReload(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped with -short")
	}
	dir := t.TempDir()
	bin := buildSlad(t, dir)
	cfg := writePlanConfig(t, dir, "config.yaml", "4h")
	next := writePlanConfig(t, dir, "next.yaml", "1h")
	data := filepath.Join(dir, "data")
	cmd, url, logs := startSlad(t, bin, cfg, data)
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		_ = waitSlad(cmd)
	}()
	now := time.Now().UTC()
	// OPS-1 breaches the new 1h target 50 minutes ago (news: slad hears of
	// it now, less than an hour after) and escalates to the boss 20
	// minutes ago; OPS-2 stays within it.
	events := fmt.Sprintf(`{"id":"o1","request":"OPS-1","type":"opened","at":%q,"provider":"ops","customer":"eng","title":"build farm down"}
{"id":"o2","request":"OPS-2","type":"opened","at":%q,"provider":"ops","customer":"eng"}
`, now.Add(-110*time.Minute).Format(time.RFC3339), now.Add(-20*time.Minute).Format(time.RFC3339))
	req, _ := http.NewRequest("POST", url+"/api/v1/events", strings.NewReader(events))
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("Authorization", "Bearer "+planAdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("post events: %v %v", resp, err)
	}
	resp.Body.Close()

	tokenFile := filepath.Join(dir, "admin-token")
	if code, _ := runBinary(t, bin, "plan", "--config", next, "--server", url); code != 1 {
		t.Errorf("a plan without the admin token exits %d, want 1", code)
	}
	code, pl := runPlanBinary(t, bin, "--config", next, "--server", url, "--token-file", tokenFile)
	if code != 2 || !pl.Changes || pl.Requests.Changed != 2 {
		t.Fatalf("plan: exit %d, changes %v, %d requests changed; want exit 2 and both", code, pl.Changes, pl.Requests.Changed)
	}
	if code, table := runBinary(t, bin, "plan", "--config", next, "--server", url, "--token-file", tokenFile); code != 2 ||
		!strings.Contains(table, "4h → 1h") || !strings.Contains(table, "running → breached") || !strings.Contains(table, "boss") {
		t.Errorf("the table (exit %d) does not say what changes:\n%s", code, table)
	}
	want := map[string]int{}
	total := 0
	for _, a := range pl.Alerts {
		want[a.Receiver] = a.Notices - a.WithoutChange
		total += want[a.Receiver]
	}
	if want["boss"] != 1 || want["console"] != 2 {
		t.Errorf("planned alerts %v, want the breach and the escalation to console, the escalation to the boss", want)
	}
	before := alertLines(logs)

	// The reload: next.yaml replaces the file.
	edited, err := os.ReadFile(next)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, edited, 0o600); err != nil {
		t.Fatal(err)
	}
	req, _ = http.NewRequest("POST", url+"/-/reload", nil)
	req.Header.Set("Authorization", "Bearer "+planAdminToken)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("reload: %v %v", resp, err)
	}
	deadline := time.Now().Add(30 * time.Second)
	got := map[string]int{}
	for sum := 0; sum < total; {
		if time.Now().After(deadline) {
			t.Fatalf("the alerts after the reload did not all arrive within 30s: %v of %v\n%s", got, want, logs)
		}
		time.Sleep(50 * time.Millisecond)
		after := alertLines(logs)
		sum = 0
		for r := range after {
			got[r] = after[r] - before[r]
			sum += got[r]
		}
	}
	for r, n := range want {
		if got[r] != n {
			t.Errorf("%s got %d alerts after the reload; the plan said %d", r, got[r], n)
		}
	}
	for _, pr := range pl.Requests.Listed {
		var r struct {
			Clocks []struct {
				SLA     string `json:"sla"`
				Target  string `json:"target"`
				State   string `json:"state"`
				TargetS int64  `json:"target_seconds"`
			} `json:"clocks"`
		}
		getJSON(t, url+"/api/v1/requests/"+pr.ID, &r)
		for _, pc := range pr.Clocks {
			ok := false
			for _, c := range r.Clocks {
				ok = ok || c.SLA == pc.SLA && c.Target == string(pc.Target) && c.State == string(pc.After.State) && c.TargetS == pc.After.TargetSeconds
			}
			if !ok {
				t.Errorf("%s after the reload: %+v; the plan said %s/%s %+v", pr.ID, r.Clocks, pc.SLA, pc.Target, *pc.After)
			}
		}
	}
	var standing wire.SLAStanding
	getJSON(t, url+"/api/v1/slas/ops-outages", &standing)
	if p := pl.SLAs[0].After; standing.Compliance != p.Compliance || standing.Breached != p.Breached || standing.BreachesAffordable != p.BreachesAffordable || standing.AtRisk != p.AtRisk {
		t.Errorf("standing after the reload %+v; the plan said %+v", standing.Standing, *p)
	}

	// Offline, against the stopped daemon's data.
	cmd.Process.Signal(syscall.SIGTERM)
	_ = waitSlad(cmd)
	if code, pl := runPlanBinary(t, bin, "--config", cfg, "--data", data, "--current", cfg); code != 0 || pl.Changes {
		t.Errorf("offline plan of the configuration in force: exit %d, changes %v; want 0", code, pl.Changes)
	}
	old := writePlanConfig(t, dir, "old.yaml", "4h")
	code, back := runPlanBinary(t, bin, "--config", old, "--data", data, "--current", cfg)
	if code != 2 || back.Requests.Changed != 2 || back.Requests.BySLA[0].Transitions[0].From != "breached" && back.Requests.BySLA[0].Transitions[1].From != "breached" {
		t.Errorf("offline plan back to 4h: exit %d, %+v", code, back.Requests)
	}
}

// TestPlanFlagsFailWithExit1: 2 means "changes", so a bad flag is 1.
func TestPlanFlagsFailWithExit1(t *testing.T) {
	for _, args := range [][]string{
		{"plan", "--format", "yaml"},
		{"plan", "--list", "0"},
		{"plan", "--data", "somewhere"},
		{"plan", "--current", "old.yaml"},
		{"plan", "--data", "d", "--current", "c", "--server", "http://x"},
		{"plan", "--nope"},
		{"plan", "extra"},
	} {
		code, _, stderr := slad(t, args...)
		if code != 1 || !strings.Contains(stderr, "slad plan: ") {
			t.Errorf("%v: exit %d, %q; want 1 and a sentence", args, code, stderr)
		}
	}
	if code, _, _ := slad(t, "plan", "-h"); code != 0 {
		t.Errorf("plan -h exits %d", code)
	}
}
