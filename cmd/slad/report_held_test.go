package main

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slad-project/slad/api/wire"
	"github.com/slad-project/slad/internal/testutil"
)

// heldFixture is a report with held figures: the desk's requests went
// through Network and waited on Sales; nothing of the hr SLA stopped.
func heldFixture(t *testing.T) string {
	t.Helper()
	i := func(v int64) *int64 { return &v }
	f := func(v float64) *float64 { return &v }
	r := wire.Report{SLAs: []wire.ReportSLA{
		{ID: "desk", Provider: "it", Customers: []string{"sales"}, From: "2026-10-27", To: "2026-11-25", Held: &wire.Held{
			Target: "resolution", Requests: 2, Breached: 1, HandoffsPerRequest: 2, MedianSeconds: i(3600), P90Seconds: i(109800),
			Holders: []wire.Holder{
				{Department: "sales", Name: "Sales", Waiting: true, Requests: 1, MedianHeldSeconds: i(93600), P90HeldSeconds: i(93600), HandoffsPerRequest: 1, BreachedShare: f(0)},
				{Department: "network", Name: "Network", Requests: 1, MedianHeldSeconds: i(11400), P90HeldSeconds: i(11400), HandoffsPerRequest: 1, BreachedShare: f(0.7037)},
				{Department: "it", Name: "Service Desk", Requests: 2, MedianHeldSeconds: i(3600), P90HeldSeconds: i(4800), HandoffsPerRequest: 1, BreachedShare: f(0.2963)},
			},
		}},
		{ID: "hr-onboarding", Provider: "hr", Customers: []string{"*"}, From: "2026-11-01", To: "2026-11-25", Held: &wire.Held{Target: "response", Holders: []wire.Holder{}}},
	}}
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestReportByHolderMatchesTheGoldenFiles(t *testing.T) {
	for _, format := range []string{"table", "csv"} {
		t.Run(format, func(t *testing.T) {
			_, srv := newFakeReport(t, http.StatusOK, heldFixture(t))
			code, stdout, stderr := slad(t, "report", "--server", srv, "--by", "holder", "--format", format)
			if code != 0 || stderr != "" {
				t.Fatalf("exit %d, stderr:\n%s", code, stderr)
			}
			testutil.Golden(t, filepath.Join("testdata", "report.held."+format+".golden"), []byte(stdout), *updateGolden)
		})
	}
}

func TestReportByHolderCSVRowsStandAlone(t *testing.T) {
	_, srv := newFakeReport(t, http.StatusOK, heldFixture(t))
	_, stdout, _ := slad(t, "report", "--server", srv, "--by", "holder", "--format", "csv")
	rows, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// Header, the desk as a whole and its 3 holders, hr-onboarding as a whole.
	if len(rows) != 6 {
		t.Fatalf("%d rows, want 6:\n%s", len(rows), stdout)
	}
	if got := strings.Join(rows[2], ","); got != "desk,it,2026-10-27,2026-11-25,resolution,sales,true,1,,93600,93600,1.0000,0.0000" {
		t.Errorf("Sales' row = %s", got)
	}
}

func TestReportByHolderSendsThePeriodAndRefusesACustomer(t *testing.T) {
	fake, srv := newFakeReport(t, http.StatusOK, heldFixture(t))
	if code, _, stderr := slad(t, "report", "--server", srv, "--by", "holder", "--from", "2026-11-01", "--to", "2026-11-30"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if reqs := fake.requests(); len(reqs) != 1 || reqs[0].URL.Query().Get("from") != "2026-11-01" || reqs[0].URL.Query().Get("to") != "2026-11-30" {
		t.Errorf("asked %v; want one report of 2026-11-01 to 2026-11-30", reqs)
	}
	code, _, stderr := slad(t, "report", "--server", srv, "--by", "holder", "--customer", "sales")
	if code != 2 || !strings.Contains(stderr, "not per customer: leave out --customer") {
		t.Errorf("--by holder --customer: exit %d, %q; want 2 and why", code, stderr)
	}
}
