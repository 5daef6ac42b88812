package api

import (
	sladtest "github.com/slad-project/slad/internal/testutil"

	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"

	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/store"
)

const metricsConfig = `
global: {timezone: Europe/Berlin}
calendars:
  office:
    hours: {mon-fri: ["09:00-17:00"]}
departments:
  it: {name: IT, notify: [console]}
  sales: {name: Sales}
  hr: {name: HR}
receivers:
  console: {type: log}
slas:
  - id: it-incidents
    description: IT fixes incidents of Sales and HR
    provider: it
    customers: [sales, hr]
    calendar: office
    response: 30m
    resolution: {P1: 4h, default: 8h}
    objective: 90%
    window: 30d
    warn_at: [50%]
  - id: it-oncall
    description: IT on call answers anyone
    provider: it
    customers: ["*"]
    response: 15m
    objective: 99%
    window: month
`

// metricsHistory: on Monday 2026-11-23 (Berlin office 09:00-17:00 = 08:00-16:00Z)
// R1 met both targets with CSAT 4, R2 breached its response and is open,
// R3 is open and within target, R4 was cancelled.
func metricsHistory() []sla.Event {
	at := func(s string) time.Time { t, _ := time.Parse(time.RFC3339, s); return t }
	open := func(id, req, ts, cust, prio string) sla.Event {
		return sla.Event{ID: id, Request: req, Type: sla.Opened, At: at(ts), Provider: "it", Customer: cust, Priority: prio}
	}
	return []sla.Event{
		open("1o", "R1", "2026-11-23T08:00:00Z", "sales", "P1"),
		{ID: "1r", Request: "R1", Type: sla.Responded, At: at("2026-11-23T08:10:00Z")},
		{ID: "1x", Request: "R1", Type: sla.Resolved, At: at("2026-11-23T10:00:00Z"), CSAT: 4},
		open("2o", "R2", "2026-11-23T09:00:00Z", "hr", "P2"),
		open("3o", "R3", "2026-11-23T11:50:00Z", "sales", "P1"),
		{ID: "3r", Request: "R3", Type: sla.Responded, At: at("2026-11-23T11:55:00Z")},
		open("4o", "R4", "2026-11-23T09:00:00Z", "sales", "P1"),
		{ID: "4c", Request: "R4", Type: sla.Cancelled, At: at("2026-11-23T09:05:00Z")},
	}
}

func newMetricsFixture(t *testing.T) (*Collector, *store.Store, *config.Config) {
	t.Helper()
	cfg, err := config.LoadBytes("metrics.yaml", []byte(metricsConfig), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	clock := sladtest.NewClock(now)
	st, err := store.Open(store.Options{Dir: t.TempDir(), Policy: cfg.Policy, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	// The history happens live, each event sent as it happens: what an
	// import brings is only counted an hour later (lifecycle.State.Settled).
	events := metricsHistory()
	sla.SortEvents(events)
	for _, e := range events {
		clock.Set(e.At)
		if _, err := st.Append(context.Background(), []sla.Event{e}); err != nil {
			t.Fatal(err)
		}
	}
	clock.Set(now)
	if _, err := st.Evaluate(now); err != nil {
		t.Fatal(err)
	}
	// Sales answered the iNPS survey about IT: 2 promoters, 1 detractor.
	answers := []sla.Answer{
		{ID: "n1", At: now.Add(-time.Hour), Provider: "it", Customer: "sales", Score: 10},
		{ID: "n2", At: now.Add(-time.Hour), Provider: "it", Customer: "sales", Score: 9},
		{ID: "n3", At: now.Add(-time.Hour), Provider: "it", Customer: "sales", Score: 5},
	}
	if _, err := st.AppendFeedback(context.Background(), answers, cfg.Global.Timezone); err != nil {
		t.Fatal(err)
	}
	return NewCollector(st, func() *config.Config { return cfg }, func() time.Time { return now }, nil), st, cfg
}

func TestMetricsPassTheLinter(t *testing.T) {
	c, _, _ := newMetricsFixture(t)
	problems, err := testutil.CollectAndLint(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

func TestMetricsAfterAKnownHistoryMatchTheGoldenExposition(t *testing.T) {
	c, _, _ := newMetricsFixture(t)
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	golden := filepath.Join("testdata", "metrics.golden")
	if *update {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, mf := range mfs {
			if _, err := expfmt.MetricFamilyToText(&b, mf); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	defer f.Close()
	if err := testutil.GatherAndCompare(reg, f); err != nil {
		t.Error(err)
	}
}

func TestEverySeriesExistsFromTheStart(t *testing.T) {
	cfg, err := config.LoadBytes("metrics.yaml", []byte(metricsConfig), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(store.Options{Dir: t.TempDir(), Policy: cfg.Policy})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c := NewCollector(st, func() *config.Config { return cfg }, time.Now, nil)
	// it-incidents names its 2 customers: a series each from the start;
	// it-oncall serves every department ("*"): a series per department
	// only once it has a request of that department (see
	// TestSeriesPerCustomerAreBoundedByTheConfiguration).
	want := map[string]int{
		"slad_requests_open":                2,
		"slad_requests_stopped_total":       2*2 + 2,
		"slad_compliance_ratio":             2 + 1,
		"slad_objective_ratio":              2,
		"slad_elapsed_business_seconds":     3,
		"slad_error_budget_remaining_ratio": 3,
		"slad_breaches_affordable":          3,
		"slad_csat_average":                 2,
		"slad_alert_outbox_pending":         1,
		// The pairs the SLAs link (it serves itself on call: no pair),
		// without answers: counts at 0, no score.
		"slad_feedback_responses":          2,
		"slad_inps":                        0,
		"slad_provider_feedback_responses": 1,
		"slad_provider_inps":               0,
	}
	for name, n := range want {
		if got := testutil.CollectAndCount(c, name); got != n {
			t.Errorf("%s: %d series, want %d", name, got, n)
		}
	}
}
