package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/slad-project/slad/api/wire"
	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
)

// historyConfig is one SLA of IT for Sales and HR on a calendar open day
// and night in Berlin, so that weeks begin at Monday 00:00 Berlin time.
const historyConfig = `
global: {timezone: UTC}
calendars:
  allday:
    timezone: Europe/Berlin
    hours:
      mon-sun: ["00:00-24:00"]
departments:
  it: {notify: [console]}
  sales: {notify: [console]}
  hr: {notify: [console]}
  facilities: {notify: [console]}
receivers:
  console: {type: log}
slas:
  - id: desk
    provider: it
    customers: [sales, hr]
    calendar: allday
    response: 1h
    resolution: 4h
    objective: 90%
    window: 30d
`

// historyNow is Wednesday 25 November 2026, 12:00 UTC: in ISO week
// 2026-W48 (Monday 23 to Sunday 29 November).
var historyNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// historyEvents are four requests; in Berlin time (UTC+1):
//   - A (Sales), Monday 16 Nov: answered in 30m, resolved in 2h: both met.
//   - B (HR), Tuesday 17 Nov: answered in 2h, resolved in 6h: both breached.
//   - C (Sales), opened Sunday 22 Nov 23:00, answered 23:20 (still Sunday,
//     week 47), resolved Monday 23 Nov 00:30 (week 48) in 1h30m: met. In
//     UTC both stops would be on Sunday.
//   - D (HR), Tuesday 24 Nov 11:00, not answered: both targets breached
//     and open now.
func historyEvents() []sla.Event {
	it := func(customer string) func(*sla.Event) { return opened("it", customer, "", "", "") }
	return []sla.Event{
		ev("a1", "A", sla.Opened, "2026-11-16T09:00:00Z", it("sales")),
		ev("a2", "A", sla.Responded, "2026-11-16T09:30:00Z"),
		ev("a3", "A", sla.Resolved, "2026-11-16T11:00:00Z", csat(5)),
		ev("b1", "B", sla.Opened, "2026-11-17T09:00:00Z", it("hr")),
		ev("b2", "B", sla.Responded, "2026-11-17T11:00:00Z"),
		ev("b3", "B", sla.Resolved, "2026-11-17T15:00:00Z", csat(2)),
		ev("c1", "C", sla.Opened, "2026-11-22T22:00:00Z", it("sales")),
		ev("c2", "C", sla.Responded, "2026-11-22T22:20:00Z"),
		ev("c3", "C", sla.Resolved, "2026-11-22T23:30:00Z"),
		ev("d1", "D", sla.Opened, "2026-11-24T10:00:00Z", it("hr")),
	}
}

// newTrendServer serves historyEvents as of historyNow.
func newTrendServer(t *testing.T) (*Server, *httptest.Server) {
	t.Helper()
	cfg, err := config.LoadBytes("history.yaml", []byte(historyConfig), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	clock := testutil.NewClock(historyNow)
	st := storeEvaluated(t, cfg, clock.Now, historyEvents()) // D's breaches
	return serveAPI(t, st, cfg, clock.Now, nil)
}

func period(t *testing.T, h wire.History, label string) wire.HistoryPeriod {
	t.Helper()
	for _, p := range h.Periods {
		if p.Period == label {
			return p
		}
	}
	t.Fatalf("no period %s in %+v", label, h.Periods)
	return wire.HistoryPeriod{}
}

func TestHistoryMatchesAHandComputedWeek(t *testing.T) {
	srv, _ := newTrendServer(t)
	p := srv.opts.Config().Policy
	h, err := srv.history(p, p.SLA("desk"), "", sla.ByWeek, historyNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Periods) != 12 || h.Periods[0].Period != "2026-W37" || h.Periods[11].Period != "2026-W48" {
		t.Fatalf("weeks %s..%s (%d), want the 12 from 2026-W37 to 2026-W48", h.Periods[0].Period, h.Periods[len(h.Periods)-1].Period, len(h.Periods))
	}
	// Week 47 by hand: responses A and C met, B breached (2 of 3);
	// resolutions A met, B breached (1 of 2). The resolution binds (budget
	// 1 - 1/(0.1*2) = -4 against -2.33), so compliance is 50%; two clocks
	// breached; the median of resolutions 2h and 6h is 2h (nearest rank).
	w47 := period(t, h, "2026-W47")
	if w47.From != "2026-11-16" || w47.To != "2026-11-22" || w47.Current {
		t.Errorf("week 47 runs %s..%s (current %v), want 2026-11-16..2026-11-22, past", w47.From, w47.To, w47.Current)
	}
	if w47.Compliance == nil || *w47.Compliance != 0.5 || w47.MeetsObjective || w47.Breached != 2 {
		t.Errorf("week 47: compliance %v, meets %v, breached %d; want 0.5, false, 2", deref(w47.Compliance), w47.MeetsObjective, w47.Breached)
	}
	if w47.MedianResolutionSeconds == nil || *w47.MedianResolutionSeconds != 7200 {
		t.Errorf("week 47 median resolution = %v, want 7200 s", deref(w47.MedianResolutionSeconds))
	}
	wantTargets := map[sla.TargetKind][3]int64{sla.Response: {3, 2, 1}, sla.Resolution: {2, 1, 1}}
	for _, tg := range w47.Targets {
		if got := [3]int64{tg.Counted, tg.Met, tg.Breached}; got != wantTargets[tg.Target] {
			t.Errorf("week 47 %s counted/met/breached = %v, want %v", tg.Target, got, wantTargets[tg.Target])
		}
	}
	// Week 48, the current one, up to today: C's resolution (met, 1h30m,
	// after midnight in Berlin) and D's two open breaches. The response
	// (0 of 1) binds.
	w48 := period(t, h, "2026-W48")
	if !w48.Current || w48.To != "2026-11-25" || w48.Compliance == nil || *w48.Compliance != 0 || w48.Breached != 2 ||
		w48.MedianResolutionSeconds == nil || *w48.MedianResolutionSeconds != 5400 {
		t.Errorf("week 48: %+v; want current to 2026-11-25, compliance 0, 2 breached, median resolution 5400 s", w48)
	}
	if w46 := period(t, h, "2026-W46"); w46.Compliance != nil || w46.Breached != 0 || w46.MedianResolutionSeconds != nil {
		t.Errorf("week 46 without a request: %+v; want no compliance, no breach, no median", w46)
	}
}

func TestHistoryByMonthAndPerCustomer(t *testing.T) {
	srv, _ := newTrendServer(t)
	sl := srv.opts.Config().Policy.SLA("desk")
	for name, tc := range map[string]struct {
		customer, by, label string
		compliance          float64
		breached            int64
		median              int64
	}{
		"November holds every request: 2 of 4 met per target, median of 1h30m, 2h, 6h": {"", "month", "2026-11", 0.5, 4, 7200},
		"Sales met everything in week 47":                                              {"sales", "week", "2026-W47", 1, 0, 7200},
		"HR breached everything in week 47":                                            {"hr", "week", "2026-W47", 0, 2, 21600},
		"Sales' November is C and A only":                                              {"sales", "month", "2026-11", 1, 0, 5400},
	} {
		t.Run(name, func(t *testing.T) {
			by, _ := sla.ParsePeriodKind(tc.by)
			h, err := srv.history(srv.opts.Config().Policy, sl, tc.customer, by, historyNow)
			if err != nil {
				t.Fatal(err)
			}
			p := period(t, h, tc.label)
			if p.Compliance == nil || *p.Compliance != tc.compliance || p.Breached != tc.breached || p.MedianResolutionSeconds == nil || *p.MedianResolutionSeconds != tc.median {
				t.Errorf("%s: compliance %v, breached %d, median %v; want %v, %d, %d", tc.label, deref(p.Compliance), p.Breached, deref(p.MedianResolutionSeconds), tc.compliance, tc.breached, tc.median)
			}
		})
	}
}

func TestHistoryEndpointChecksItsParameters(t *testing.T) {
	_, ts := newTrendServer(t)
	for name, tc := range map[string]struct {
		path   string
		status int
		says   string
	}{
		"weeks by default":                        {"/api/v1/slas/desk/history", http.StatusOK, ""},
		"one customer by month":                   {"/api/v1/slas/desk/history?by=month&customer=sales", http.StatusOK, ""},
		"a period that is neither week nor month": {"/api/v1/slas/desk/history?by=day", http.StatusBadRequest, `parameter "by"`},
		"a department the SLA does not serve":     {"/api/v1/slas/desk/history?customer=facilities", http.StatusBadRequest, `SLA "desk" does not serve "facilities"`},
		"no department of that id":                {"/api/v1/slas/desk/history?customer=nobody", http.StatusBadRequest, `parameter "customer": no department "nobody" in the configuration; known departments:`},
		"an SLA not configured":                   {"/api/v1/slas/nope/history", http.StatusNotFound, ""},
	} {
		t.Run(name, func(t *testing.T) {
			if tc.status != http.StatusOK {
				resp, msg := errorAnswer(t, http.DefaultClient, "GET", ts.URL+tc.path, "", nil)
				if resp.StatusCode != tc.status || !strings.Contains(msg, tc.says) {
					t.Fatalf("GET %s = %d %q, want %d saying %q", tc.path, resp.StatusCode, msg, tc.status, tc.says)
				}
				return
			}
			resp, err := http.Get(ts.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("GET %s = %d, want %d", tc.path, resp.StatusCode, tc.status)
			}
			var h wire.History
			if err := json.NewDecoder(resp.Body).Decode(&h); err != nil || len(h.Periods) != 12 {
				t.Fatalf("answer: %d periods, %v", len(h.Periods), err)
			}
		})
	}
}

// The same data set: each customer's standing differs from the SLA's, and
// the report's breakdown and ?customer= give the same figures.
func TestFiguresPerCustomerDifferFromTheSLAsOnOneDataSet(t *testing.T) {
	_, ts := newTrendServer(t)
	var st wire.SLAStanding
	getJSON(t, ts.URL+"/api/v1/slas/desk", &st)
	if len(st.ByCustomer) != 2 || st.ByCustomer[0].Customer != "sales" || st.ByCustomer[1].Customer != "hr" {
		t.Fatalf("by_customer = %+v, want sales then hr", st.ByCustomer)
	}
	sales, hr := st.ByCustomer[0], st.ByCustomer[1]
	// Overall: response 2 of 4, resolution 2 of 4 (D's open breaches count).
	if st.Compliance != 0.5 || st.Open != 1 || st.Breached != 2 {
		t.Errorf("SLA: compliance %v, open %d, breached %d; want 0.5, 1, 2", st.Compliance, st.Open, st.Breached)
	}
	if sales.Compliance != 1 || sales.Open != 0 || sales.Breached != 0 || sales.CSATAverage == nil || *sales.CSATAverage != 5 || sales.BreachesAffordable != 0 {
		t.Errorf("Sales: %+v; want compliance 1, nothing open, CSAT 5", sales.Standing)
	}
	if hr.Compliance != 0 || hr.Open != 1 || hr.Breached != 2 || hr.CSATAverage == nil || *hr.CSATAverage != 2 || hr.ErrorBudgetRemaining >= 0 {
		t.Errorf("HR: %+v; want compliance 0, one open with 2 breached clocks, CSAT 2, budget spent", hr.Standing)
	}
	var all wire.Report
	getJSON(t, ts.URL+"/api/v1/report?sla=desk", &all)
	var onlyHR wire.Report
	getJSON(t, ts.URL+"/api/v1/report?customer=hr", &onlyHR)
	if len(all.SLAs) != 1 || len(all.SLAs[0].ByCustomer) != 2 || len(onlyHR.SLAs) != 1 {
		t.Fatalf("reports: %+v and %+v", all, onlyHR)
	}
	hrRow, hrOnly := all.SLAs[0].ByCustomer[1], onlyHR.SLAs[0]
	if hrOnly.Customer != "hr" || len(hrOnly.ByCustomer) != 0 || hrRow.Customer != "hr" {
		t.Fatalf("report for hr: %+v", hrOnly)
	}
	for i, tg := range hrOnly.Targets {
		if tg.Compliance != 0 || tg.Compliance != hrRow.Targets[i].Compliance || *tg.MedianElapsedSeconds != *hrRow.Targets[i].MedianElapsedSeconds {
			t.Errorf("HR's %s: ?customer=hr says %+v, the breakdown %+v", tg.Target, tg, hrRow.Targets[i])
		}
	}
	if *hrOnly.Targets[1].MedianElapsedSeconds != 21600 || *all.SLAs[0].Targets[1].MedianElapsedSeconds != 7200 {
		t.Errorf("median resolution: HR's %d s, everyone's %d s; want 21600 and 7200", *hrOnly.Targets[1].MedianElapsedSeconds, *all.SLAs[0].Targets[1].MedianElapsedSeconds)
	}
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
