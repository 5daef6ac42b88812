package api

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slad-project/slad/api/wire"
)

// TestReportComplianceCountsOpenBreachedClocksLikeTheSLAView: for the same
// SLA and window, GET /api/v1/report and GET /api/v1/slas give the same
// compliance, both counting open clocks already breached (the README's
// definition). A review found the report counting stopped clocks only, so
// an SLA whose every request was overdue reported 100%.
func TestReportComplianceCountsOpenBreachedClocksLikeTheSLAView(t *testing.T) {
	ts, _ := newIngestServer(t)
	ev := fmt.Sprintf(`{"id":"late","request":"late","type":"opened","at":%q,"provider":"it","customer":"sales"}`,
		time.Now().UTC().Add(-2*time.Hour).Format(time.RFC3339))
	resp, err := http.Post(ts.URL+"/api/v1/events", "application/json", strings.NewReader(ev))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var standing struct {
		Targets []struct {
			Compliance float64 `json:"compliance"`
			Counted    int64   `json:"counted"`
		} `json:"targets"`
	}
	getJSON(t, ts.URL+"/api/v1/slas/it-sales", &standing)
	var report struct {
		SLAs []struct {
			Targets []struct {
				Compliance float64 `json:"compliance"`
				Counted    int64   `json:"counted"`
			} `json:"targets"`
		} `json:"slas"`
	}
	getJSON(t, ts.URL+"/api/v1/report?sla=it-sales", &report)
	s, r := standing.Targets[0], report.SLAs[0].Targets[0]
	if s.Compliance != r.Compliance || s.Counted != r.Counted {
		t.Errorf("same SLA, same window: /api/v1/slas says compliance %v over %d, /api/v1/report says %v over %d", s.Compliance, s.Counted, r.Compliance, r.Counted)
	}
}

// TestAReportWithOnlyAnEarlyToIsNotAnEmptyReversedPeriod: a report with
// only "to", earlier than the current window's start, takes its period from
// the window that ends on "to". A review found it taking "from" from the
// current window instead, answering 200 with "from" after "to" and an
// empty, 100% compliant period.
func TestAReportWithOnlyAnEarlyToIsNotAnEmptyReversedPeriod(t *testing.T) {
	ts, _ := newIngestServer(t)
	resp, err := http.Get(ts.URL + "/api/v1/report?to=2020-01-31")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		SLAs []struct{ From, To string } `json:"slas"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("the %d answer is not JSON: %v", resp.StatusCode, err)
	}
	if resp.StatusCode == http.StatusOK && len(out.SLAs) > 0 && out.SLAs[0].From > out.SLAs[0].To {
		t.Errorf("GET /api/v1/report?to=2020-01-31 answered 200 with from=%s to=%s", out.SLAs[0].From, out.SLAs[0].To)
	}
}

func getJSON(t *testing.T, url string, out any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		data, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, data)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
}

// TestAReportOfAnSLAForEveryDepartmentListsTheCustomersItServed: an SLA
// for "*" lists, per customer, only the departments with a request
// counted, breached and open, or a rating in the period; not a row of
// zeros per target for each department of the configuration.
func TestAReportOfAnSLAForEveryDepartmentListsTheCustomersItServed(t *testing.T) {
	const cfg = `
departments:
  it: {name: IT}
  sales: {name: Sales}
  hr: {name: HR}
  finance: {name: Finance}
slas:
  - id: it-access
    description: IT grants access requests from every department
    provider: it
    customers: ["*"]
    resolution: 1h
    objective: 90%
    window: 30d
`
	srv, _ := newTestAPI(t, cfg, "", nil)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	at := time.Now().UTC().Add(-2 * time.Hour)
	for _, e := range []string{
		fmt.Sprintf(`{"id":"o1","request":"A1","type":"opened","at":%q,"provider":"it","customer":"sales"}`, at.Format(time.RFC3339)),
		fmt.Sprintf(`{"id":"o2","request":"A2","type":"opened","at":%q,"provider":"it","customer":"hr"}`, at.Format(time.RFC3339)),
		fmt.Sprintf(`{"id":"r2","request":"A2","type":"resolved","at":%q}`, at.Add(30*time.Minute).Format(time.RFC3339)),
	} {
		if status, data := postEvents(t, ts.URL, "application/json", e); status != http.StatusOK {
			t.Fatalf("%s: %d %s", e, status, data)
		}
	}
	var report wire.Report
	getJSON(t, ts.URL+"/api/v1/report", &report)
	var got []string
	for _, c := range report.SLAs[0].ByCustomer {
		got = append(got, c.Customer)
	}
	if want := []string{"hr", "sales"}; !slices.Equal(got, want) {
		t.Errorf("by_customer lists %v, want %v (finance and it asked nothing)", got, want)
	}
}
