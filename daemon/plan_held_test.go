package daemon

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/slad-project/slad/api/wire"
	"github.com/slad-project/slad/internal/testutil"
)

// olaConfig has IT's SLA for Sales and Network's OLA over IT's requests,
// both on 24x7.
const olaConfig = `departments:
  it: {name: IT}
  sales: {name: Sales}
  network: {name: Network}
slas:
  - id: it-sales
    description: IT fixes Sales' incidents within a day
    provider: it
    customers: [sales]
    resolution: 1d
    objective: 90%
    window: 30d
  - id: network-ola
    description: Network hands IT's requests back within 2h
    provider: network
    customers: [it]
    measures: holding
    resolution: 2h
    objective: 90%
    window: 30d
`

// startOLA starts slad on olaConfig in a new directory, its clock at
// lifeStart, and returns it with its configuration file and its clock.
func startOLA(t *testing.T) (*instance, string, *testutil.Clock) {
	t.Helper()
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgFile, []byte(olaConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	clock := testutil.NewClock(lifeStart)
	return start(t, cfgFile, filepath.Join(dir, "data"), clock.Now), cfgFile, clock
}

// TestThePlanOfAnOLAEditSaysWhereTheTimeGoesAsTheReloadDoes: three open
// requests Network held for 90 minutes and handed back; shortening the
// OLA to 1h breaches Network's clocks. The plan says where the window's
// time goes before and after (held_before, held_after), and after the
// reload GET /api/v1/report says exactly what the plan said; an SLA whose
// holders the edit does not touch carries neither.
func TestThePlanOfAnOLAEditSaysWhereTheTimeGoesAsTheReloadDoes(t *testing.T) {
	in, cfgFile, clock := startOLA(t)
	at := func(d time.Duration) string { return lifeStart.Add(d).Format(time.RFC3339) }
	clock.Set(lifeStart.Add(2 * time.Hour))
	for i := range 3 {
		id := fmt.Sprintf("IT-%d", i)
		for _, e := range []map[string]any{
			event("o-"+id, id, "opened", at(0), "provider", "it", "customer", "sales", "priority", "P2"),
			event("a-"+id, id, "assigned", at(10*time.Minute), "department", "network"),
			event("b-"+id, id, "assigned", at(100*time.Minute), "department", "it"),
		} {
			if status, body := in.post("", e); status != 200 {
				t.Fatalf("%s: %d %v", id, status, body)
			}
		}
	}
	clock.Set(lifeStart.Add(3 * time.Hour))
	edited := strings.Replace(olaConfig, "resolution: 2h", "resolution: 1h", 1)
	if err := os.WriteFile(cfgFile, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	pl := in.dryRun("", "", nil)
	var ola, desk wire.PlanStanding
	for _, s := range pl.SLAs {
		switch s.SLA {
		case "network-ola":
			ola = s
		case "it-sales":
			desk = s
		}
	}
	// it-sales, whose requests the edit does not touch, is not listed:
	// counted among the SLAs whose figures stay as they are.
	if desk.SLA != "" || pl.SLAsUnchanged != 1 {
		t.Errorf("it-sales is listed (%+v) or the SLAs unchanged are %d, want 1", desk, pl.SLAsUnchanged)
	}
	if ola.HeldBefore == nil || ola.HeldAfter == nil || ola.HeldBefore.Requests != 3 || ola.HeldBefore.Breached != 0 || ola.HeldAfter.Breached != 3 {
		t.Fatalf("network-ola held %+v → %+v; want 3 requests, 0 → 3 breached", ola.HeldBefore, ola.HeldAfter)
	}

	if status, body := in.do("POST", "/-/reload", "", "", nil); status != 200 {
		t.Fatalf("reload: %d %s", status, body)
	}
	in.waitRematched()
	var report wire.Report
	in.getJSON("/api/v1/report?sla=network-ola", &report)
	if len(report.SLAs) != 1 || !reflect.DeepEqual(report.SLAs[0].Held, ola.HeldAfter) {
		t.Errorf("after the reload the report says %+v; the plan said %+v", report.SLAs[0].Held, ola.HeldAfter)
	}
}

// TestThePlanListsAnOLAClockThatStopsBreached: Network holds a request
// past its OLA's 2h and pauses it for approval; adding that reason to
// customer_reasons puts the request in Sales' hands, so Network's clock
// stops, still breached. The plan lists the request with that clock
// ("stopped"), and its transition says the clocks stop: the state alone,
// "breached" before and after, hid it.
func TestThePlanListsAnOLAClockThatStopsBreached(t *testing.T) {
	in, cfgFile, clock := startOLA(t)
	at := func(d time.Duration) string { return lifeStart.Add(d).Format(time.RFC3339) }
	clock.Set(lifeStart.Add(4 * time.Hour))
	for _, e := range []map[string]any{
		event("o", "IT-1", "opened", at(0), "provider", "it", "customer", "sales", "priority", "P2"),
		event("a", "IT-1", "assigned", at(10*time.Minute), "department", "network"),
		event("p", "IT-1", "paused", at(3*time.Hour), "reason", "waiting_for_approval"),
	} {
		if status, body := in.post("", e); status != 200 {
			t.Fatalf("%v: %d %v", e, status, body)
		}
	}
	edited := "customer_reasons: [waiting_for_customer, waiting_for_approval]\n" + olaConfig
	if err := os.WriteFile(cfgFile, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	pl := in.dryRun("", "", nil)
	var stops int
	for _, s := range pl.Requests.BySLA {
		for _, tr := range s.Transitions {
			if s.SLA == "network-ola" && tr.Stops && tr.From == "breached" && tr.To == "breached" {
				stops += tr.Clocks
			}
		}
	}
	if stops != 1 {
		t.Errorf("network-ola transitions %+v; want one breached clock that stops", pl.Requests.BySLA)
	}
	var clocks []wire.PlanClock
	for _, r := range pl.Requests.Listed {
		if r.ID == "IT-1" {
			clocks = r.Clocks
		}
	}
	found := false
	for _, c := range clocks {
		if c.SLA == "network-ola" && c.Before != nil && c.After != nil {
			found = !c.Before.Stopped && c.After.Stopped && c.After.State == "breached"
		}
	}
	if !found {
		t.Errorf("IT-1's clocks in the plan: %+v; want network-ola breached, then stopped", clocks)
	}
}
