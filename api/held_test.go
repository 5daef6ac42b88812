package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slad-project/slad/api/wire"
	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/store"
)

// heldT0 is when the handoff story's request opens.
var heldT0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// heldStory: two Sales incidents at the service desk. IT-4711 goes to
// Network after 40m, Network answers after 30m and hands it back after
// 3h10m, the desk asks Sales 10m later, Sales answers after 26h, the desk
// resolves it 30m after that: breached. IT-4712 the desk resolves itself
// in 1h.
func heldStory() []sla.Event {
	at := func(d time.Duration) time.Time { return heldT0.Add(d) }
	ev := func(id, req string, typ sla.EventType, d time.Duration, mod func(*sla.Event)) sla.Event {
		e := sla.Event{ID: id, Request: req, Type: typ, At: at(d)}
		if typ == sla.Opened {
			e.Provider, e.Customer, e.Priority = "it", "sales", "P1"
		}
		if mod != nil {
			mod(&e)
		}
		return e
	}
	to := func(d string) func(*sla.Event) { return func(e *sla.Event) { e.Department = d } }
	wait := func(e *sla.Event) { e.Reason = "waiting_for_customer" }
	return []sla.Event{
		ev("1", "IT-4711", sla.Opened, 0, nil),
		ev("2", "IT-4711", sla.Assigned, 40*time.Minute, to("network")),
		ev("3", "IT-4711", sla.Responded, 70*time.Minute, nil),
		ev("4", "IT-4711", sla.Assigned, 3*time.Hour+50*time.Minute, to("it")),
		ev("5", "IT-4711", sla.Paused, 4*time.Hour, wait),
		ev("6", "IT-4711", sla.Resumed, 30*time.Hour, nil),
		ev("7", "IT-4711", sla.Resolved, 30*time.Hour+30*time.Minute, nil),
		ev("8", "IT-4712", sla.Opened, 2*time.Hour, nil),
		ev("9", "IT-4712", sla.Responded, 2*time.Hour+10*time.Minute, nil),
		ev("10", "IT-4712", sla.Resolved, 3*time.Hour, nil),
	}
}

// newHeldServer serves testdata/held.yaml with the story stored, one event
// at a time as a helpdesk sends them, two days after it began.
func newHeldServer(t *testing.T) *httptest.Server {
	t.Helper()
	return newHeldServerServing(t, nil)
}

// heldConfig is testdata/held.yaml, the configuration of the held and
// parties stories.
func heldConfig(t *testing.T) *config.Config {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "held.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadBytes("testdata/held.yaml", data, "testdata")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// newHeldServerServing is newHeldServer whose served configuration adjust
// changes after the story was stored (a reload).
func newHeldServerServing(t *testing.T, adjust func(*config.Config)) *httptest.Server {
	t.Helper()
	cfg, clock, st := heldStore(t)
	appendHeldStory(t, clock, st)
	clock.Set(heldT0.Add(48 * time.Hour))
	if adjust != nil {
		adjust(cfg)
	}
	_, ts := serveAPI(t, st, cfg, clock.Now, func(o *Options) { o.Metrics = NewCollector(st, o.Config, clock.Now, nil) })
	return ts
}

func goldenJSON(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	testutil.Golden(t, filepath.Join("testdata", name), append(got, '\n'), *update)
}

func TestTheReportSaysWhereEachSLAsTimeWent(t *testing.T) {
	ts := newHeldServer(t)
	var r wire.Report
	getJSON(t, ts.URL+"/api/v1/report", &r)
	held := map[string]*wire.Held{}
	for _, s := range r.SLAs {
		held[s.ID] = s.Held
	}
	goldenJSON(t, "held-report.golden.json", held)
	desk := held["desk"]
	if desk == nil || desk.Requests != 2 || desk.Breached != 1 || len(desk.Holders) != 3 {
		t.Fatalf("desk: %+v, want 2 requests, 1 breached, 3 holders", desk)
	}
	// IT-4711's clock counted 4h30m: 1h20m with the desk, 3h10m with
	// Network. It paused while it waited on Sales for 26h: none of it.
	for _, h := range desk.Holders {
		want := map[string]float64{"sales": 0, "network": 190.0 / 270, "it": 80.0 / 270}[h.Department]
		if h.BreachedShare == nil || *h.BreachedShare-want > 0.0001 || want-*h.BreachedShare > 0.0001 {
			t.Errorf("%s's share of the breached time = %v, want %.4f", h.Department, h.BreachedShare, want)
		}
	}
	var one wire.Report
	getJSON(t, ts.URL+"/api/v1/report?customer=sales", &one)
	if len(one.SLAs) == 0 || one.SLAs[0].Held != nil {
		t.Errorf("a report for one customer gives held figures it does not keep per customer: %+v", one.SLAs)
	}
}

func TestAScorecardSaysWhatTheDepartmentHeld(t *testing.T) {
	ts := newHeldServer(t)
	network := getDepartment(t, ts.URL, "network")
	sales := getDepartment(t, ts.URL, "sales")
	it := getDepartment(t, ts.URL, "it")
	goldenJSON(t, "held-departments.golden.json", map[string]any{
		"network.held": network.Held, "sales.held": sales.Held, "it.held": it.Held,
		"it.provides.desk.held": findSLA(it.Provides, "desk").Held,
	})
	if len(network.Held) != 2 || network.Held[0].SLA != "desk" || network.Held[1].SLA != "network-ola" {
		t.Errorf("Network held requests of desk and network-ola: %+v", network.Held)
	}
	if len(sales.Held) != 2 || !sales.Held[0].Waiting {
		t.Errorf("Sales was waited on under desk and sales-answers: %+v", sales.Held)
	}
	if r := findSLA(sales.Receives, "desk"); r == nil || r.Held != nil {
		t.Errorf("an SLA received has no held figures (not kept per customer): %+v", r)
	}
}

func TestMetricsSayWhereEachSLAsTimeWent(t *testing.T) {
	ts := newHeldServer(t)
	p := getPage(t, "GET", ts.URL+"/metrics")
	if p.status != http.StatusOK {
		t.Fatalf("GET /metrics: %d", p.status)
	}
	for _, want := range []string{
		`slad_handoffs_per_request{sla="desk"} 2`,
		`slad_handoffs_per_request{sla="network-ola"} 0`,
		`slad_held_requests{department="it",sla="desk",waiting="false"} 2`,
		`slad_held_requests{department="sales",sla="desk",waiting="true"} 1`,
		`slad_held_median_seconds{department="network",sla="desk",waiting="false"} 11400`,
		`slad_held_p90_seconds{department="it",sla="desk",waiting="false"} 4800`,
		`slad_held_handoffs_per_request{department="it",sla="desk",waiting="false"} 1`,
		`slad_held_breached_share_ratio{department="network",sla="desk",waiting="false"} 0.7037037037037037`,
		`slad_held_breached_share_ratio{department="sales",sla="sales-answers",waiting="true"} 1`,
	} {
		if !strings.Contains(p.body, want+"\n") {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// Nobody waited on Network, and IT held no request under Sales'
	// promise: no series says so.
	for _, absent := range []string{`department="network",sla="desk",waiting="true"`, `department="it",sla="sales-answers"`} {
		if strings.Contains(p.body, absent) {
			t.Errorf("/metrics has a series %s of a holder that held nothing", absent)
		}
	}
}

func TestTheScorecardPageSaysWhereTheTimeWent(t *testing.T) {
	ts := newHeldServer(t)
	for _, id := range []string{"it", "network"} {
		p := getPage(t, "GET", ts.URL+"/departments/"+id)
		if p.status != http.StatusOK {
			t.Fatalf("GET /departments/%s: %d", id, p.status)
		}
		got := text(p.body)
		start := strings.Index(got, "Time ")
		end := strings.Index(got, "Requests of ")
		if start < 0 || end < start {
			t.Fatalf("/departments/%s has no section on the time it held requests: %s", id, got)
		}
		section := got[start:end]
		if id == "it" { // and who held what the desk gives
			from := strings.Index(got, "desk: who held")
			if from < 0 {
				t.Fatalf("/departments/it does not say who held the desk's requests: %s", got)
			}
			section = got[from:strings.Index(got, "What Service Desk receives")] + "\n" + section
		}
		testutil.Golden(t, filepath.Join("testdata", "held-page-"+id+".golden.txt"), []byte(section+"\n"), *update)
	}
}

// The held series are bounded by the configuration: a department the
// configuration no longer has loses its series, whatever the stored
// aggregates hold.
func TestHeldSeriesAreOnlyThoseOfConfiguredDepartments(t *testing.T) {
	ts := newHeldServerServing(t, func(c *config.Config) { delete(c.Policy.Departments, "network") })
	p := getPage(t, "GET", ts.URL+"/metrics")
	if p.status != http.StatusOK {
		t.Fatalf("GET /metrics: %d", p.status)
	}
	if strings.Contains(p.body, `department="network"`) {
		t.Error("/metrics has held series of a department the configuration no longer has")
	}
	if !strings.Contains(p.body, `slad_held_requests{department="it",sla="desk",waiting="false"} 2`+"\n") {
		t.Error("/metrics lost the held series of the departments still configured")
	}
}

// The held series are bounded per SLA whatever the requests do: a request
// that went round seven departments gives series to the five that held it
// the most time; the report still names all seven.
func TestHeldSeriesAreThoseOfTheFiveDepartmentsThatHeldTheMostTime(t *testing.T) {
	cfg := heldConfig(t)
	for i := 1; i <= 6; i++ {
		id := fmt.Sprintf("d%d", i)
		cfg.Policy.Departments[id] = &sla.Department{ID: id, Name: "Department " + id}
	}
	clock := testutil.NewClock(heldT0)
	st, err := store.Open(store.Options{Dir: t.TempDir(), Policy: cfg.Policy, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	// IT holds it 10 minutes, then d1 1 minute, d2 2 minutes, … d6 6.
	events := []sla.Event{{ID: "1", Request: "IT-1", Type: sla.Opened, At: heldT0, Provider: "it", Customer: "sales", Priority: "P1"}}
	at := heldT0.Add(10 * time.Minute)
	for i := 1; i <= 6; i++ {
		events = append(events, sla.Event{ID: fmt.Sprint(1 + i), Request: "IT-1", Type: sla.Assigned, At: at, Department: fmt.Sprintf("d%d", i)})
		at = at.Add(time.Duration(i) * time.Minute)
	}
	events = append(events, sla.Event{ID: "9", Request: "IT-1", Type: sla.Resolved, At: at})
	for _, e := range events {
		clock.Set(e.At)
		if _, err := st.Append(context.Background(), []sla.Event{e}); err != nil {
			t.Fatal(err)
		}
	}
	clock.Set(at.Add(time.Hour))
	_, ts := serveAPI(t, st, cfg, clock.Now, func(o *Options) { o.Metrics = NewCollector(st, o.Config, clock.Now, nil) })
	p := getPage(t, "GET", ts.URL+"/metrics")
	var shown []string
	for line := range strings.Lines(p.body) {
		if rest, ok := strings.CutPrefix(line, `slad_held_requests{department="`); ok && strings.Contains(line, `sla="desk"`) {
			shown = append(shown, rest[:strings.IndexByte(rest, '"')])
		}
	}
	slices.Sort(shown)
	if want := []string{"d3", "d4", "d5", "d6", "it"}; !slices.Equal(shown, want) {
		t.Errorf("held series of desk for %v, want %v", shown, want)
	}
	var r wire.Report
	getJSON(t, ts.URL+"/api/v1/report?sla=desk", &r)
	if len(r.SLAs) != 1 || r.SLAs[0].Held == nil || len(r.SLAs[0].Held.Holders) != 7 {
		t.Errorf("the report of desk names %+v, want all seven holders", r.SLAs)
	}
}

// A scrape keeps each SLA's held series and rereads only the SLAs whose
// tallies changed: what it shows must still follow every commit, every
// reload and the window as it moves on.
func TestHeldSeriesFollowTheTalliesTheConfigurationAndTheWindow(t *testing.T) {
	cfg, clock, st := heldStore(t)
	events := heldStory()
	sla.SortEvents(events)
	appendEvents := func(es []sla.Event) {
		t.Helper()
		for _, e := range es {
			clock.Set(e.At)
			if _, err := st.Append(context.Background(), []sla.Event{e}); err != nil {
				t.Fatal(err)
			}
		}
	}
	served := cfg
	_, ts := serveAPI(t, st, cfg, clock.Now, func(o *Options) {
		o.Config = func() *config.Config { return served }
		o.Metrics = NewCollector(st, o.Config, clock.Now, nil)
	})
	held := func() string {
		t.Helper()
		var lines []string
		for line := range strings.Lines(getPage(t, "GET", ts.URL+"/metrics").body) {
			if strings.HasPrefix(line, "slad_held_requests{") {
				lines = append(lines, strings.TrimSpace(line))
			}
		}
		return strings.Join(lines, "\n")
	}
	// Network has answered IT-4711: no clock stopped yet.
	answered := slices.IndexFunc(events, func(e sla.Event) bool { return e.ID == "3" }) + 1
	appendEvents(events[:answered])
	if got := held(); got != "" {
		t.Fatalf("before any clock stopped:\n%s", got)
	}
	// The same morning, the desk resolves IT-4712 and Network hands
	// IT-4711 back: its OLA's clock stops, the desk's runs.
	handback := slices.IndexFunc(events, func(e sla.Event) bool { return e.ID == "4" }) + 1
	appendEvents(events[answered:handback])
	// IT-4712, resolved by the desk before, is the desk's already.
	if got, want := held(), `slad_held_requests{department="it",sla="desk",waiting="false"} 1
slad_held_requests{department="network",sla="network-ola",waiting="false"} 1`; got != want {
		t.Fatalf("after the handback:\n%s\nwant\n%s", got, want)
	}
	appendEvents(events[handback:])
	want := `slad_held_requests{department="sales",sla="desk",waiting="true"} 1
slad_held_requests{department="network",sla="desk",waiting="false"} 1
slad_held_requests{department="it",sla="desk",waiting="false"} 2
slad_held_requests{department="network",sla="network-ola",waiting="false"} 1
slad_held_requests{department="sales",sla="sales-answers",waiting="true"} 1`
	if got := held(); got != want {
		t.Fatalf("after the resolutions:\n%s\nwant\n%s", got, want)
	}
	reloaded := heldConfig(t)
	delete(reloaded.Policy.Departments, "network")
	served = reloaded
	if got := held(); strings.Contains(got, "network") || !strings.Contains(got, `department="it",sla="desk"`) {
		t.Fatalf("after a reload without Network:\n%s", got)
	}
	served = cfg
	clock.Set(heldT0.Add(40 * 24 * time.Hour)) // past the 30-day windows
	if got := held(); got != "" {
		t.Fatalf("40 days later, past every window:\n%s", got)
	}
}

// heldStore is an empty store under heldConfig, its clock at heldT0,
// closed when the test ends.
func heldStore(t *testing.T) (*config.Config, *testutil.Clock, *store.Store) {
	t.Helper()
	cfg := heldConfig(t)
	clock := testutil.NewClock(heldT0)
	st, err := store.Open(store.Options{Dir: t.TempDir(), Policy: cfg.Policy, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return cfg, clock, st
}

// appendHeldStory stores heldStory's events one at a time, the clock at
// each one's time.
func appendHeldStory(t *testing.T, clock *testutil.Clock, st *store.Store) {
	t.Helper()
	events := heldStory()
	sla.SortEvents(events)
	for _, e := range events {
		clock.Set(e.At)
		if _, err := st.Append(context.Background(), []sla.Event{e}); err != nil {
			t.Fatal(err)
		}
	}
}
