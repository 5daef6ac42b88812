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

// TestThePlanOfAnOLAEditSaysWhereTheTimeGoesAsTheReloadDoes: three open
// requests Network held for 90 minutes and handed back; shortening the
// OLA to 1h breaches Network's clocks. The plan says where the window's
// time goes before and after (held_before, held_after), and after the
// reload GET /api/v1/report says exactly what the plan said; an SLA whose
// holders the edit does not touch carries neither.
func TestThePlanOfAnOLAEditSaysWhereTheTimeGoesAsTheReloadDoes(t *testing.T) {
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgFile, []byte(olaConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	clock := testutil.NewClock(lifeStart)
	in := start(t, cfgFile, filepath.Join(dir, "data"), clock.Now)
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
