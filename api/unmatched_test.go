package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	promtest "github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/slad-project/slad/sla"
)

// unmatchedConfig has an SLA with per-priority targets and no priority
// filter: a P4 request falls under it and gets no clock.
const unmatchedConfig = `
departments:
  it: {name: IT}
  sales: {name: Sales}
slas:
  - id: it-incidents
    description: IT answers Sales' incidents
    provider: it
    customers: [sales]
    match: {category: [incident]}
    resolution: {P1: 4h, P2: 1d}
    objective: 95%
    window: 30d
`

func getRequestView(t *testing.T, url string) RequestView {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	var v RequestView
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestExplainSaysWhyARequestHasNoClock (issue 13): ?explain=1 on a request
// without clocks names, per SLA of its provider, the attribute refused,
// its value and what was expected; without explain the answer has no
// "unmatched".
func TestExplainSaysWhyARequestHasNoClock(t *testing.T) {
	srv, st := newTestAPI(t, unmatchedConfig, "", nil)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	at := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	for _, e := range []string{
		fmt.Sprintf(`{"id":"o1","request":"TYPO","type":"opened","at":%q,"provider":"it","customer":"sales","priority":"P1","category":"incidnet"}`, at),
		fmt.Sprintf(`{"id":"o2","request":"P4","type":"opened","at":%q,"provider":"it","customer":"sales","priority":"P4","category":"incident"}`, at),
		fmt.Sprintf(`{"id":"o3","request":"OK","type":"opened","at":%q,"provider":"it","customer":"sales","priority":"P1","category":"incident"}`, at),
	} {
		if status, data := postEvents(t, ts.URL, "application/json", e); status != http.StatusOK {
			t.Fatalf("%s: %d %s", e, status, data)
		}
	}
	tests := map[string]sla.Mismatch{
		"TYPO": {SLA: "it-incidents", Field: "category", Value: "incidnet", Expected: []string{"incident"},
			Reason: `SLA "it-incidents" takes category "incident"; the request has "incidnet"`},
		"P4": {SLA: "it-incidents", Target: sla.Resolution, Field: "priority", Value: "P4", Expected: []string{"P1", "P2"},
			Reason: `SLA "it-incidents" sets a resolution target for priority P1, P2 and no default; the request has "P4", so it gets no resolution clock`},
	}
	for id, want := range tests {
		v := getRequestView(t, ts.URL+"/api/v1/requests/it/"+id+"?explain=1")
		if len(v.Clocks) != 0 || len(v.Unmatched) != 1 || fmt.Sprint(v.Unmatched[0]) != fmt.Sprint(want) {
			t.Errorf("%s: clocks %v, unmatched %+v; want no clock and %+v", id, v.Clocks, v.Unmatched, want)
		}
		if v := getRequestView(t, ts.URL+"/api/v1/requests/it/"+id); v.Unmatched != nil {
			t.Errorf("%s without explain lists unmatched %+v", id, v.Unmatched)
		}
	}
	if v := getRequestView(t, ts.URL+"/api/v1/requests/it/OK?explain=1"); len(v.Clocks) != 1 || v.Unmatched == nil || len(v.Unmatched) != 0 {
		t.Errorf("OK: clocks %v, unmatched %+v; want its clock and an empty unmatched list", v.Clocks, v.Unmatched)
	}

	// The request's page says why, for a person.
	if page := getPage(t, "GET", ts.URL+"/requests/it/TYPO"); !strings.Contains(page.body, `<li>SLA &#34;it-incidents&#34; takes category &#34;incident&#34;; the request has &#34;incidnet&#34;</li>`) {
		t.Errorf("the request page does not say why TYPO has no clock:\n%s", page.body)
	}

	// The status page counts them, for every department and in IT's view.
	for _, path := range []string{"/", "/?department=it"} {
		page := getPage(t, "GET", ts.URL+path)
		if want := "2 open requests of <strong>IT</strong> have no clock of any SLA"; page.status != http.StatusOK || !strings.Contains(page.body, want) {
			t.Errorf("%s: %d, the page does not say %q:\n%s", path, page.status, want, page.body)
		}
	}
	if page := getPage(t, "GET", ts.URL+"/?department=sales"); strings.Contains(page.body, "no clock of any SLA") {
		t.Error("Sales' view counts IT's requests without a clock")
	}

	// Counted per provider: it opened 3, 2 without a clock; sales, a
	// provider of no SLA with no request, has no series.
	c := NewCollector(st, srv.opts.Config, time.Now, nil)
	want := `
# HELP slad_requests_unmatched_open Open requests with no clock of any SLA now, per provider.
# TYPE slad_requests_unmatched_open gauge
slad_requests_unmatched_open{provider="it"} 2
# HELP slad_requests_opened_total Requests opened, per provider (once each).
# TYPE slad_requests_opened_total counter
slad_requests_opened_total{provider="it"} 3
`
	if err := promtest.CollectAndCompare(c, strings.NewReader(want), "slad_requests_opened_total", "slad_requests_unmatched_open"); err != nil {
		t.Error(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() == "slad_requests_unmatched_total" {
			if m := f.GetMetric(); len(m) != 1 || m[0].GetCounter().GetValue() != 2 || m[0].GetLabel()[0].GetValue() != "it" {
				t.Errorf("slad_requests_unmatched_total = %v, want 2 for provider it alone", m)
			}
			return
		}
	}
	t.Error("no slad_requests_unmatched_total")
}

// TestExplainSaysWhyAHolderGotNoClock (issues 12, 13): a request handed
// to Network whose OLA does not take its priority says so under
// "unmatched" (with the measure), beside the clock of its provider's SLA;
// the request's page says it for a person; a request never handed to
// Network is not explained away under the OLA.
func TestExplainSaysWhyAHolderGotNoClock(t *testing.T) {
	const cfg = `
departments:
  it: {name: IT}
  sales: {name: Sales}
  network: {name: Network}
slas:
  - id: it-incidents
    description: IT answers Sales' incidents
    provider: it
    customers: [sales]
    resolution: 1d
    objective: 95%
    window: 30d
  - id: network-ola
    description: Network hands IT's P1 incidents back within 2h
    provider: network
    customers: [it]
    measures: holding
    match: {priority: [P1]}
    resolution: 2h
    objective: 90%
    window: 30d
`
	srv, _ := newTestAPI(t, cfg, "", nil)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	at := time.Now().UTC().Add(-time.Hour)
	for _, e := range []string{
		fmt.Sprintf(`{"id":"o1","request":"P3","type":"opened","at":%q,"provider":"it","customer":"sales","priority":"P3"}`, at.Format(time.RFC3339)),
		fmt.Sprintf(`{"id":"a1","request":"P3","type":"assigned","at":%q,"department":"network"}`, at.Add(time.Minute).Format(time.RFC3339)),
		fmt.Sprintf(`{"id":"o2","request":"KEPT","type":"opened","at":%q,"provider":"it","customer":"sales","priority":"P3"}`, at.Format(time.RFC3339)),
	} {
		if status, data := postEvents(t, ts.URL, "application/json", e); status != http.StatusOK {
			t.Fatalf("%s: %d %s", e, status, data)
		}
	}
	want := sla.Mismatch{SLA: "network-ola", Field: "priority", Value: "P3", Expected: []string{"P1"}, Measures: sla.MeasureHolding,
		Reason: `SLA "network-ola" takes priority "P1"; the request has "P3"`}
	v := getRequestView(t, ts.URL+"/api/v1/requests/it/P3?explain=1")
	if len(v.Clocks) != 1 || len(v.Unmatched) != 1 || fmt.Sprint(v.Unmatched[0]) != fmt.Sprint(want) {
		t.Errorf("P3 handed to Network: clocks %v, unmatched %+v; want it-incidents' clock and %+v", v.Clocks, v.Unmatched, want)
	}
	if v := getRequestView(t, ts.URL+"/api/v1/requests/it/KEPT?explain=1"); v.Unmatched == nil || len(v.Unmatched) != 0 {
		t.Errorf("a request IT kept lists unmatched %+v; Network never held it", v.Unmatched)
	}
	page := getPage(t, "GET", ts.URL+"/requests/it/P3")
	if !strings.Contains(page.body, `<li>SLA &#34;network-ola&#34; takes priority &#34;P1&#34;; the request has &#34;P3&#34;</li>`) {
		t.Errorf("the request page does not say why Network has no clock of P3:\n%s", page.body)
	}
}

// TestTheOpenRequestsWithoutAClockAreNamed: the status page names the
// first five of a provider's open requests without a clock, linked to
// their pages, and links to the API's list of the rest, which pages
// through them all in id order.
func TestTheOpenRequestsWithoutAClockAreNamed(t *testing.T) {
	srv, _ := newTestAPI(t, unmatchedConfig, "", nil)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	at := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	var body strings.Builder
	for i := 7; i >= 1; i-- {
		fmt.Fprintf(&body, `{"id":"o%d","request":"TYPO-%d","type":"opened","at":%q,"provider":"it","customer":"sales","priority":"P1","category":"incidnet"}`+"\n", i, i, at)
	}
	fmt.Fprintf(&body, `{"id":"ok","request":"OK","type":"opened","at":%q,"provider":"it","customer":"sales","priority":"P1","category":"incident"}`+"\n", at)
	if status, data := postEvents(t, ts.URL, "application/x-ndjson", body.String()); status != http.StatusOK {
		t.Fatalf("%d %s", status, data)
	}

	page := getPage(t, "GET", ts.URL+"/")
	want := `7 open requests of <strong>IT</strong> have no clock of any SLA, so no figure counts them: <a href="/requests/it/TYPO-1">TYPO-1</a>, <a href="/requests/it/TYPO-2">TYPO-2</a>, <a href="/requests/it/TYPO-3">TYPO-3</a>, <a href="/requests/it/TYPO-4">TYPO-4</a>, <a href="/requests/it/TYPO-5">TYPO-5</a> and <a href="/api/v1/departments/it/unmatched">2 more</a>; each request's page says why, SLA by SLA.`
	if !strings.Contains(page.body, want) {
		t.Errorf("the status page does not say\n%s\n%s", want, page.body)
	}

	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		var l struct {
			Department    string `json:"department"`
			OpenUnmatched int64  `json:"open_unmatched"`
			Requests      []struct {
				ID, URL, Page string
			} `json:"requests"`
			NextCursor string `json:"next_cursor"`
		}
		getJSON(t, ts.URL+"/api/v1/departments/it/unmatched?limit=3&cursor="+cursor, &l)
		if l.Department != "it" || l.OpenUnmatched != 7 || pages > 3 {
			t.Fatalf("page %d: department %q, open_unmatched %d; want it, 7, in 3 pages", pages, l.Department, l.OpenUnmatched)
		}
		for _, r := range l.Requests {
			if r.URL != "/api/v1/requests/it/"+r.ID+"?explain=1" || r.Page != "/requests/it/"+r.ID {
				t.Errorf("%s: url %q, page %q", r.ID, r.URL, r.Page)
			}
			got = append(got, r.ID)
		}
		if cursor = l.NextCursor; cursor == "" {
			break
		}
	}
	if want := "TYPO-1 TYPO-2 TYPO-3 TYPO-4 TYPO-5 TYPO-6 TYPO-7"; strings.Join(got, " ") != want {
		t.Errorf("listed %q, want %s", got, want)
	}

	for path, want := range map[string]string{
		"/api/v1/departments/hr/unmatched":         `no department "hr" in the configuration; known departments: it, sales`,
		"/api/v1/departments/it/unmatched?limit=0": `parameter "limit": "0" is not a number from 1 to 1000`,
	} {
		if resp, msg := errorAnswer(t, http.DefaultClient, "GET", ts.URL+path, "", nil); resp.StatusCode/100 != 4 || msg != want {
			t.Errorf("%s: %d %q, want %q", path, resp.StatusCode, msg, want)
		}
	}
}
