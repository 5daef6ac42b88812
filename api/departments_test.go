package api

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slad-project/slad/api/wire"
	"github.com/slad-project/slad/config"
)

// getDepartment reads a scorecard from the JSON API.
func getDepartment(t *testing.T, base, id string) wire.Department {
	t.Helper()
	p := getPage(t, "GET", base+"/api/v1/departments/"+id)
	if p.status != http.StatusOK {
		t.Fatalf("GET /api/v1/departments/%s: %d %s", id, p.status, p.body)
	}
	var d wire.Department
	if err := json.Unmarshal([]byte(p.body), &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func findSLA(list []wire.DepartmentSLA, id string) *wire.DepartmentSLA {
	for i := range list {
		if list[i].SLA == id {
			return &list[i]
		}
	}
	return nil
}

func TestADepartmentScorecardListsWhatItGivesAndReceives(t *testing.T) {
	ts := newStatusServer(t)
	d := getDepartment(t, ts.URL, "sales")
	if d.Name != "Sales" || len(d.Provides) != 1 || d.Provides[0].SLA != "sales-it-quotes" {
		t.Fatalf("Sales should provide sales-it-quotes only: %+v", d.Provides)
	}
	var got []string
	for _, r := range d.Receives {
		got = append(got, r.SLA)
	}
	if strings.Join(got, " ") != "it-sales-incidents it-oncall hr-onboarding" {
		t.Errorf("Sales receives %v; want it-sales-incidents, it-oncall (every department) and hr-onboarding in configuration order", got)
	}
	it := getDepartment(t, ts.URL, "it")
	// it-oncall serves every department ("*") but IT raised no request
	// under it: a scorecard lists such an SLA only for a department with
	// requests under it, as Sales and HR have.
	if len(it.Provides) != 2 || len(it.Receives) != 2 {
		t.Errorf("IT provides %d SLAs (want 2) and receives %d (want 2: hr-onboarding, sales-it-quotes)", len(it.Provides), len(it.Receives))
	}
}

func TestAScorecardGivesTheMedianTimesFromEachSide(t *testing.T) {
	ts := newStatusServer(t)
	sales := findSLA(getDepartment(t, ts.URL, "sales").Receives, "it-sales-incidents")
	// Responses of Sales' requests on the office calendar: IT-5 5m, IT-3
	// 10m, IT-1 20m; resolutions: IT-1 in 1h.
	if sales == nil || sales.MedianResponseSeconds == nil || *sales.MedianResponseSeconds != 600 {
		t.Errorf("median response of Sales' incidents: %+v, want 600s", sales)
	}
	if sales == nil || sales.MedianResolutionSeconds == nil || *sales.MedianResolutionSeconds != 3600 {
		t.Errorf("median resolution of Sales' incidents: %+v, want 3600s", sales)
	}
	hr := findSLA(getDepartment(t, ts.URL, "hr").Receives, "it-oncall")
	// HR's only request, IT-4, was answered in 5 minutes.
	if hr == nil || hr.MedianResponseSeconds == nil || *hr.MedianResponseSeconds != 300 {
		t.Errorf("median response of HR's on-call requests: %+v, want 300s (IT-4 only)", hr)
	}
	if hr != nil && hr.MedianResolutionSeconds != nil {
		t.Errorf("it-oncall sets no resolution target, yet a median resolution of %d", *hr.MedianResolutionSeconds)
	}
}

func TestAScorecardCountsEscalatedRequests(t *testing.T) {
	ts := newStatusServer(t)
	// IT-2 breached at 11:00 in Berlin; by 13:00 (lunch) 1h30m of business
	// time has passed since, beyond the 1h escalation step.
	prov := findSLA(getDepartment(t, ts.URL, "it").Provides, "it-sales-incidents")
	if prov == nil || prov.Escalated != 1 {
		t.Errorf("IT's it-sales-incidents: %+v escalated, want 1 (IT-2)", prov)
	}
	recv := findSLA(getDepartment(t, ts.URL, "sales").Receives, "it-sales-incidents")
	if recv == nil || recv.Escalated != 1 {
		t.Errorf("Sales' it-sales-incidents: %+v escalated, want 1 (IT-2)", recv)
	}
	if oc := findSLA(getDepartment(t, ts.URL, "sales").Receives, "it-oncall"); oc == nil || oc.Escalated != 0 {
		t.Errorf("it-oncall has no escalation step, yet %+v", oc)
	}
}

func TestAScorecardListsTheRequestsTheDepartmentWaitsFor(t *testing.T) {
	ts := newStatusServer(t)
	d := getDepartment(t, ts.URL, "sales")
	var got []string
	for _, w := range d.Waiting {
		got = append(got, w.Provider+"/"+w.ID+" "+w.State)
	}
	// Breached first, then at risk by deadline, the paused one last; each
	// request once although IT-2 has three breached clocks.
	want := "it/IT-2 breached it/IT-3 at_risk it/IT-5 at_risk"
	if strings.Join(got, " ") != want || d.WaitingTotal != 3 {
		t.Errorf("waiting %q (total %d), want %q (3)", got, d.WaitingTotal, want)
	}
	if len(d.Waiting) > 0 && (d.Waiting[0].URL == "" || d.Waiting[0].Deadline == nil) {
		t.Errorf("IT-2 lacks its page or its deadline: %+v", d.Waiting[0])
	}
	if hr := getDepartment(t, ts.URL, "hr"); hr.WaitingTotal != 1 || len(hr.Waiting) != 1 || hr.Waiting[0].ID != "FAC-1" {
		t.Errorf("HR waits for FAC-1 (breached) only: %+v", hr.Waiting)
	}
}

// TestAnUnknownDepartmentIsA404ThatNamesTheKnownOnes: the JSON 404 lists
// the departments separated by commas, as every other 404 does (it wrote
// them Go's way, "[facilities hr it sales]"); the page links each.
func TestAnUnknownDepartmentIsA404ThatNamesTheKnownOnes(t *testing.T) {
	ts := newStatusServer(t)
	p := getPage(t, "GET", ts.URL+"/api/v1/departments/nope")
	if p.status != http.StatusNotFound || !strings.Contains(p.body, `no department \"nope\" in the configuration; known departments: facilities, hr, it, sales"`) {
		t.Errorf("%d %s", p.status, p.body)
	}
	page := getPage(t, "GET", ts.URL+"/departments/nope")
	if page.status != http.StatusNotFound || !strings.Contains(page.body, `href="/departments/sales"`) {
		t.Errorf("the page for an unknown department: %d, and it should link every scorecard:\n%s", page.status, text(page.body))
	}
}

func TestTheScorecardPageShowsTheKeyFigures(t *testing.T) {
	ts := newStatusServer(t)
	p := getPage(t, "GET", ts.URL+"/departments/sales")
	if p.status != http.StatusOK {
		t.Fatalf("status %d", p.status)
	}
	if p.header.Get("Content-Security-Policy") != statusCSP {
		t.Error("the page is served without the status page's Content-Security-Policy")
	}
	if strings.Contains(p.body, "<script") || strings.Contains(p.body, " style=") {
		t.Error("the page has a script or a style attribute, which its Content-Security-Policy refuses")
	}
	body := text(p.body)
	for _, want := range []string{
		"Sales",
		"What Sales provides", "sales-it-quotes",
		"What Sales receives", "it-sales-incidents from IT Service Desk",
		"median response 10m · median resolution 1h", "1 escalated",
		"Requests of Sales at risk or breached", "3 requests of Sales breached or at risk",
		"IT-2 Breached", "IT-3 At risk", "IT-5 At risk",
		"3 of its own requests breached or at risk",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q:\n%s", want, body)
		}
	}
	if !strings.Contains(body, "Received, from each customer") || !strings.Contains(body, "Given, to each provider") {
		t.Error("Sales gives and receives SLAs: its page should show the iNPS it received and gave")
	}
	if !strings.Contains(p.body, `<a href="/departments/it">IT Service Desk</a>`) {
		t.Error("the provider is not linked to its scorecard")
	}
}

func TestTheScorecardWithoutCredentialsKeepsTheFiguresAndHidesTheRequests(t *testing.T) {
	const title = "Payroll question of Jane Doe"
	base := newAuthServer(t, authSetup{tokens: true, readAccess: config.ReadAuthenticated})
	// IT-1, opened 2h ago with a 1h response target, is breached.
	for _, tc := range []struct {
		cred      credential
		wantTitle bool
	}{{none, false}, {sender, true}} {
		status, _, body := call(t, base, "GET", "/api/v1/departments/sales", tc.cred)
		var d wire.Department
		if err := json.Unmarshal([]byte(body), &d); status != http.StatusOK || err != nil {
			t.Fatalf("%d %v %s", status, err, body)
		}
		if d.WaitingTotal != 1 || strings.Contains(body, title) != tc.wantTitle {
			t.Errorf("credentials %q: %d waiting, title shown %v; want 1, %v", tc.cred, d.WaitingTotal, !tc.wantTitle, tc.wantTitle)
		}
		_, _, page := call(t, base, "GET", "/departments/sales", tc.cred)
		if strings.Contains(page, title) != tc.wantTitle {
			t.Errorf("credentials %q: the page shows the title: %v, want %v", tc.cred, !tc.wantTitle, tc.wantTitle)
		}
		if !tc.wantTitle && !strings.Contains(page, "read_access: authenticated") {
			t.Error("the page does not say why the requests are left out")
		}
	}
}

func TestAScorecardShowsEachCustomerItsOwnFigures(t *testing.T) {
	ts := newStatusServer(t)
	// it-oncall's responses this month: IT-1 late (20m), IT-2 past its
	// 15m, IT-3 and IT-5 in time for Sales; IT-4 in time for HR.
	oncall := findSLA(getDepartment(t, ts.URL, "it").Provides, "it-oncall")
	if oncall == nil || oncall.Compliance != 0.6 {
		t.Fatalf("it-oncall for every customer: %+v, want 60%% (3 of 5)", oncall)
	}
	by := map[string]float64{}
	for _, c := range oncall.ByCustomer {
		by[c.Customer] = c.Compliance
	}
	if by["sales"] != 0.5 || by["hr"] != 1 {
		t.Errorf("it-oncall per customer %v; want sales 50%% and hr 100%%", by)
	}
	if recv := findSLA(getDepartment(t, ts.URL, "sales").Receives, "it-oncall"); recv == nil || recv.Compliance != 0.5 || recv.Open != 3 {
		t.Errorf("it-oncall as Sales receives it: %+v; want Sales' own 50%% and 3 open, not every customer's 60%%", recv)
	}
}

func TestTheStatusPageLinksEachDepartmentToItsScorecardAndDrawsItsTrends(t *testing.T) {
	ts := newStatusServer(t)
	body := getPage(t, "GET", ts.URL+"/").body
	for _, id := range []string{"it", "hr", "facilities", "sales"} {
		if !strings.Contains(body, `<a href="/departments/`+id+`"`) {
			t.Errorf("no link to the scorecard of %s", id)
		}
	}
	row := rowOf(body, "it-sales-incidents")
	if !strings.Contains(row, `<svg class="spark" viewBox="0 0 120 28" role="img" aria-labelledby="trend-it-sales-incidents-t trend-it-sales-incidents-d"`) {
		t.Errorf("the it-sales-incidents row has no labelled trend chart:\n%s", row)
	}
	// The week of 23 Nov: IT-1 met both targets, IT-2 missed both (and IT-3,
	// IT-5 answered in time): the resolution target binds at 50%.
	if !strings.Contains(row, "latest 50% (week of 23 Nov)") {
		t.Errorf("the trend's description does not give this week's 50%%:\n%s", text(row))
	}
	sales := getPage(t, "GET", ts.URL+"/?department=sales").body
	if !strings.Contains(sales, `href="/departments/sales">Scorecard of Sales</a>`) {
		t.Error("the Sales view does not link the Sales scorecard")
	}
}

func TestTheScorecardChartsOnlyWeeksWithSomethingToShow(t *testing.T) {
	obj := 0.9
	empty := &wire.History{Objective: obj, Periods: []wire.HistoryPeriod{{From: "2026-11-16"}, {From: "2026-11-23"}}}
	if got := historyCharts(empty, "x", ""); got != nil {
		t.Errorf("charts of a history without a figure: %d, want none", len(got))
	}
	one := 0.5
	some := &wire.History{Objective: obj, Periods: []wire.HistoryPeriod{{From: "2026-11-16"}, {From: "2026-11-23", Compliance: &one, Breached: 1}}}
	got := historyCharts(some, "x", " of s")
	if len(got) != 2 {
		t.Fatalf("%d charts, want compliance and breaches (no resolution median: none resolved)", len(got))
	}
	if !strings.Contains(string(got[0]), "Compliance per week of s") || !strings.Contains(string(got[0]), "<th scope=\"row\">23 Nov</th><td>50%</td>") {
		t.Errorf("the compliance chart:\n%s", got[0])
	}
}

func TestTheScorecardShowsTheInternalNPSReceived(t *testing.T) {
	ts := newStatusServer(t)
	body := `[{"id":"q1","at":"2026-11-20T10:00:00Z","provider":"it","customer":"sales","score":10},
	          {"id":"q2","at":"2026-11-21T10:00:00Z","provider":"it","customer":"hr","score":4},
	          {"id":"q3","at":"2026-11-22T10:00:00Z","provider":"it","customer":"sales","score":9}]`
	resp, err := http.Post(ts.URL+"/api/v1/feedback", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /api/v1/feedback: %d", resp.StatusCode)
	}
	// Two promoters and a detractor of three answers: 67% − 33% = +33.
	d := getDepartment(t, ts.URL, "it")
	if r := d.Feedback.Received; r.INPS == nil || *r.INPS != 33 || r.Responses != 3 {
		t.Errorf("iNPS received by IT: %+v, want +33 of 3 answers", r)
	}
	page := text(getPage(t, "GET", ts.URL+"/departments/it").body)
	for _, want := range []string{"+33 internal NPS received (3 answers: 2 promoters, 0 passives, 1 detractor)", "Sales +100", "Human Resources -100"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q:\n%s", want, page)
		}
	}
}

// TestAScorecardsOwnRequestsAreThoseItWaitsForUnderEachSLA: the department
// that waits under a holding or waiting SLA is the request's provider, as
// the per-customer figures count it. Sales' scorecard listed IT-5001 under
// sales-answers (Sales owes the answer: IT waits) and IT-5000 under
// network-ola (Sales has no part in it); IT's said 0.
func TestAScorecardsOwnRequestsAreThoseItWaitsForUnderEachSLA(t *testing.T) {
	ts := newPartiesServer(t)
	waiting := func(d wire.Department) string {
		var got []string
		for _, w := range d.Waiting {
			got = append(got, w.ID+" "+w.SLA+" "+w.State)
		}
		return strings.Join(got, ", ")
	}
	sales := getDepartment(t, ts.URL, "sales")
	if got, want := waiting(sales), "IT-5000 desk breached"; got != want || sales.WaitingTotal != 1 {
		t.Errorf("Sales waits for %q (total %d), want %q (1)", got, sales.WaitingTotal, want)
	}
	it := getDepartment(t, ts.URL, "it")
	got := waiting(it)
	for _, w := range []string{"IT-5000 network-ola breached", "IT-5001 sales-answers breached", "IT-5002 network-ola breached"} {
		if !strings.Contains(got, w) {
			t.Errorf("IT's own requests %q lack %q", got, w)
		}
	}
	if len(it.Waiting) != 3 || it.WaitingTotal != 3 {
		t.Errorf("IT waits for %q (total %d), want its 3 requests each once", got, it.WaitingTotal)
	}
	if n := getDepartment(t, ts.URL, "network"); n.WaitingTotal != 0 || len(n.Waiting) != 0 {
		t.Errorf("Network waits for nothing: %q (total %d)", waiting(n), n.WaitingTotal)
	}
	if ola := findSLA(getDepartment(t, ts.URL, "network").Provides, "network-ola"); ola == nil || ola.Breached == 0 {
		t.Errorf("network-ola should count its breached clocks: %+v", ola)
	}
	page := text(getPage(t, "GET", ts.URL+"/departments/it").body)
	if !strings.Contains(page, "3 of its own requests breached or at risk") {
		t.Errorf("IT's scorecard does not count its 3 requests:\n%s", page)
	}
}

// TestAScorecardCountsBreachedRequestsNotClocks: the page's Breached sits
// beside Open and its tile speaks of requests, so both count requests,
// each once per SLA; the API's breached counts clocks. IT-5000 is past
// both targets of desk and of network-ola.
func TestAScorecardCountsBreachedRequestsNotClocks(t *testing.T) {
	ts := newPartiesServer(t)
	if desk := findSLA(getDepartment(t, ts.URL, "it").Provides, "desk"); desk == nil || desk.Breached != 2 {
		t.Errorf("the API counts desk's 2 breached clocks (IT-5000's response and resolution): %+v", desk)
	}
	breached := regexp.MustCompile(`data-label="Breached"[^>]*>(\d+)<`)
	for dept, want := range map[string]struct {
		tile string
		rows []string // every row's Breached, in page order
	}{
		"it":      {"1 open request it owes past its target", []string{"1", "1", "2", "1"}}, // desk (all, Sales); received: network-ola, sales-answers
		"network": {"2 open requests it owes past their target", []string{"2", "2"}},        // network-ola (all, IT)
	} {
		body := getPage(t, "GET", ts.URL+"/departments/"+dept).body
		if !strings.Contains(text(body), want.tile) {
			t.Errorf("%s's scorecard lacks %q", dept, want.tile)
		}
		var got []string
		for _, m := range breached.FindAllStringSubmatch(body, -1) {
			got = append(got, m[1])
		}
		if !slices.Equal(got, want.rows) {
			t.Errorf("%s's Breached column %v, want %v", dept, got, want.rows)
		}
	}
}

// TestTheStatusPageLinksADepartmentThatOnlyReceives: a department that
// provides no SLA heads no table; its name in an SLA's customers links to
// its scorecard, as every provider's heading does (Purchasing was plain
// text).
func TestTheStatusPageLinksADepartmentThatOnlyReceives(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "status.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	yaml := strings.Replace(string(data), "departments:\n", "departments:\n  purchasing: {name: Purchasing}\n", 1) + `
  - id: it-purchasing
    description: IT buys for Purchasing
    provider: it
    customers: [purchasing]
    resolution: 2d
    objective: 90%
    window: 30d
`
	cfg, err := config.LoadBytes("testdata/status.yaml", []byte(yaml), "testdata")
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return statusNow }
	_, ts := serveAPI(t, storeEvaluated(t, cfg, now, statusEvents()), cfg, now, nil)
	body := getPage(t, "GET", ts.URL+"/").body
	if row := rowOf(body, "it-purchasing"); !strings.Contains(row, `For <a href="/departments/purchasing">Purchasing</a>:`) {
		t.Errorf("Purchasing, which only receives, is not linked to its scorecard:\n%s", row)
	}
	if row := rowOf(body, "it-oncall"); !strings.Contains(row, "For every department:") {
		t.Errorf("an SLA for every department no longer says so:\n%s", text(row))
	}
}
