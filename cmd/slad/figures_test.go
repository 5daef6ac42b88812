package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"html"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/slad-project/slad/api"
	"github.com/slad-project/slad/api/wire"
	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/store"
)

// figuresConfig is one SLA on the 24x7 calendar, so that the figures below
// can be checked by hand.
const figuresConfig = `
global: {timezone: UTC}
departments:
  it: {name: IT Service Desk, notify: [console]}
  sales: {name: Sales}
receivers:
  console: {type: log}
slas:
  - id: it-sales
    description: IT answers and fixes Sales' incidents
    provider: it
    customers: [sales]
    response: 30m
    resolution: 4h
    objective: 90%
    window: 30d
    warn_at: [50%]
`

// figuresNow is when every output is read: Wednesday 25 November 2026, noon.
var figuresNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// figuresEvents are six request lives. Over the window, response: 3 met
// (R1, R4, R6), 2 breached (R2 stopped, R3 open); resolution: 2 met (R1,
// R6), 1 breached (R2). Open: R3, R4, R5. R3 is the case the outputs once
// disagreed on: its response is breached and its resolution was warned, so
// it is breached and not at risk; R4 alone is at risk.
func figuresEvents() []sla.Event {
	at := func(s string) time.Time {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			panic(err)
		}
		return t
	}
	opened := func(req, ts string) sla.Event {
		return sla.Event{ID: req + "-o", Request: req, Type: sla.Opened, At: at(ts), Provider: "it", Customer: "sales", Priority: "P1"}
	}
	event := func(req string, typ sla.EventType, ts string, csat int) sla.Event {
		return sla.Event{ID: req + "-" + string(typ), Request: req, Type: typ, At: at(ts), CSAT: csat}
	}
	return []sla.Event{
		opened("R6", "2026-11-23T08:00:00Z"),
		event("R6", sla.Responded, "2026-11-23T08:05:00Z", 0),
		event("R6", sla.Resolved, "2026-11-23T09:00:00Z", 0),
		opened("R1", "2026-11-24T08:00:00Z"),
		event("R1", sla.Responded, "2026-11-24T08:10:00Z", 0),
		event("R1", sla.Resolved, "2026-11-24T10:00:00Z", 5),
		opened("R2", "2026-11-24T09:00:00Z"),
		event("R2", sla.Responded, "2026-11-24T10:00:00Z", 0),
		event("R2", sla.Resolved, "2026-11-24T15:00:00Z", 2),
		opened("R3", "2026-11-25T09:30:00Z"),
		opened("R4", "2026-11-25T09:45:00Z"),
		event("R4", sla.Responded, "2026-11-25T09:50:00Z", 0),
		opened("R5", "2026-11-25T11:50:00Z"),
	}
}

// newFiguresServer serves slad's API, /metrics and status page over a real
// store holding figuresEvents, each stored when it happened and the
// evaluator run at figuresNow.
func newFiguresServer(t *testing.T) string {
	t.Helper()
	cfg, err := config.LoadBytes("figures.yaml", []byte(figuresConfig), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	clock := testutil.NewClock(figuresNow)
	st, err := store.Open(store.Options{Dir: t.TempDir(), Policy: cfg.Policy, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	})
	for _, e := range figuresEvents() {
		clock.Set(e.At)
		if _, err := st.Append(context.Background(), []sla.Event{e}); err != nil {
			t.Fatal(err)
		}
	}
	clock.Set(figuresNow)
	if _, err := st.Evaluate(figuresNow); err != nil {
		t.Fatal(err)
	}
	getConfig := func() *config.Config { return cfg }
	reg := prometheus.NewRegistry()
	reg.MustRegister(api.NewCollector(st, getConfig, clock.Now, nil))
	srv, err := api.New(api.Options{Store: st, Config: getConfig, Now: clock.Now, Gatherer: reg})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts.URL
}

func getBody(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d, %v\n%s", url, resp.StatusCode, err, b)
	}
	return string(b)
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(getBody(t, url)), v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// sameFigure compares a figure as an output shows it with the standing's,
// within what the output's rounding allows.
func sameFigure(t *testing.T, output, what string, got, want, tolerance float64) {
	t.Helper()
	if math.Abs(got-want) > tolerance {
		t.Errorf("%s shows %s %v; /api/v1/slas says %v", output, what, got, want)
	}
}

// TestEveryOutputShowsTheSameFigures reads one data set through the five
// outputs that show window figures — GET /api/v1/slas (and /slas/{id}),
// GET /api/v1/report, /metrics, the status page and slad report — and
// checks that they agree with each other and with the README: a request
// with one clock breached and another warned is breached, not at risk.
func TestEveryOutputShowsTheSameFigures(t *testing.T) {
	base := newFiguresServer(t)

	// The data set holds the case: R3's response breached, its
	// resolution warned.
	var r3 struct {
		Clocks []struct {
			Target string  `json:"target"`
			State  string  `json:"state"`
			Stage  *string `json:"stage"`
		} `json:"clocks"`
	}
	getJSON(t, base+"/api/v1/requests/R3", &r3)
	for _, c := range r3.Clocks {
		stage := ""
		if c.Stage != nil {
			stage = *c.Stage
		}
		if c.Target == "response" && c.State != "breached" || c.Target == "resolution" && stage != "warning" {
			t.Fatalf("R3's %s clock is %s at stage %q; the test needs its response breached and its resolution warned", c.Target, c.State, stage)
		}
	}

	var slas struct{ SLAs []wire.SLAStanding }
	getJSON(t, base+"/api/v1/slas", &slas)
	if len(slas.SLAs) != 1 {
		t.Fatalf("%d SLAs, want 1", len(slas.SLAs))
	}
	want := slas.SLAs[0]
	t.Run("the figures are those of the README", func(t *testing.T) {
		type target struct{ counted, met, breached, openBreached int64 }
		got := map[sla.TargetKind]target{}
		for _, tg := range want.Targets {
			got[tg.Target] = target{tg.Counted, tg.Met, tg.Breached, tg.OpenBreached}
		}
		wantTargets := map[sla.TargetKind]target{sla.Response: {5, 3, 2, 1}, sla.Resolution: {3, 2, 1, 0}}
		if !reflect.DeepEqual(got, wantTargets) {
			t.Errorf("targets %+v, want %+v", got, wantTargets)
		}
		if want.Open != 3 || want.AtRisk != 1 || want.Breached != 1 {
			t.Errorf("open %d, at risk %d, breached %d; want 3, 1 (R4 only: R3 is breached) and 1", want.Open, want.AtRisk, want.Breached)
		}
		// Response binds: 3/5 met, 1 − 2/(0.1 × 5) = −3.
		if want.Compliance != 0.6 || want.ErrorBudgetRemaining != -3 || want.BreachesAffordable != 0 {
			t.Errorf("compliance %v, budget %v, affordable %d; want 0.6, -3, 0", want.Compliance, want.ErrorBudgetRemaining, want.BreachesAffordable)
		}
		if want.CSATAverage == nil || *want.CSATAverage != 3.5 || want.CSATCount != 2 {
			t.Errorf("CSAT %v from %d; want 3.5 from 2", want.CSATAverage, want.CSATCount)
		}
	})

	t.Run("/api/v1/slas/{id}", func(t *testing.T) {
		var one wire.SLAStanding
		getJSON(t, base+"/api/v1/slas/it-sales", &one)
		if !reflect.DeepEqual(one, want) {
			t.Errorf("/api/v1/slas/it-sales\n%+v\ndiffers from its entry in /api/v1/slas\n%+v", one, want)
		}
	})

	t.Run("/api/v1/report", func(t *testing.T) {
		var rep wire.Report
		getJSON(t, base+"/api/v1/report", &rep)
		if len(rep.SLAs) != 1 || len(rep.SLAs[0].Targets) != len(want.Targets) {
			t.Fatalf("report %+v", rep)
		}
		r := rep.SLAs[0]
		if r.From != want.WindowStart || r.To != want.WindowEnd || r.CSATCount != want.CSATCount || *r.CSATAverage != *want.CSATAverage {
			t.Errorf("report period %s..%s, CSAT %v from %d; want the window %s..%s, %v from %d",
				r.From, r.To, *r.CSATAverage, r.CSATCount, want.WindowStart, want.WindowEnd, *want.CSATAverage, want.CSATCount)
		}
		for i, rt := range r.Targets {
			w := want.Targets[i]
			got := [...]any{rt.Target, rt.Counted, rt.Met, rt.Breached, rt.OpenBreached, rt.Compliance, rt.ErrorBudgetRemaining}
			exp := [...]any{w.Target, w.Counted, w.Met, w.Breached, w.OpenBreached, w.Compliance, w.ErrorBudgetRemaining}
			if got != exp {
				t.Errorf("report target %v, want %v", got, exp)
			}
		}
	})

	t.Run("/metrics", func(t *testing.T) {
		m := scrape(t, base+"/metrics")
		sameFigure(t, "/metrics", "open", m[`slad_requests_open{customer="sales",provider="it",sla="it-sales"}`], float64(want.Open), 0)
		sameFigure(t, "/metrics", "at risk", m[`slad_requests_at_risk{sla="it-sales"}`], float64(want.AtRisk), 0)
		sameFigure(t, "/metrics", "CSAT", m[`slad_csat_average{sla="it-sales"}`], *want.CSATAverage, 0)
		var breached float64
		for _, tg := range want.Targets {
			l := `{sla="it-sales",target="` + string(tg.Target) + `"}`
			breached += m["slad_requests_breached_open"+l]
			sameFigure(t, "/metrics", string(tg.Target)+" compliance", m["slad_compliance_ratio"+l], tg.Compliance, 0)
			sameFigure(t, "/metrics", string(tg.Target)+" budget", m["slad_error_budget_remaining_ratio"+l], tg.ErrorBudgetRemaining, 0)
			sameFigure(t, "/metrics", string(tg.Target)+" breaches affordable", m["slad_breaches_affordable"+l], float64(tg.BreachesAffordable), 0)
		}
		sameFigure(t, "/metrics", "breached", breached, float64(want.Breached), 0)
	})

	t.Run("the status page, its tiles and its row", func(t *testing.T) {
		body := getBody(t, base+"/")
		tiles := pageText(regexp.MustCompile(`(?s)<ul class="tiles">.*?</ul>`).FindString(body))
		// One SLA: the requests the tiles count are those of its row.
		for label, n := range map[string]int64{"breached": want.Breached, "at risk": want.AtRisk} {
			m := regexp.MustCompile(`(\d+) requests? ` + label).FindStringSubmatch(tiles)
			if m == nil {
				t.Fatalf("no %q tile in %q", label, tiles)
			}
			got, _ := strconv.ParseFloat(m[1], 64)
			sameFigure(t, "the status page's tile", label, got, float64(n), 0)
		}
		row := regexp.MustCompile(`(?s)<tr>\s*<th scope="row" class="sla">.*?</tr>`).FindString(body)
		for label, n := range map[string]int64{"Open": want.Open, "At risk": want.AtRisk, "Breached": want.Breached} {
			m := regexp.MustCompile(`data-label="` + label + `"[^>]*>(\d+)<`).FindStringSubmatch(row)
			if m == nil {
				t.Fatalf("no %s cell in the SLA's row:\n%s", label, row)
			}
			got, _ := strconv.ParseFloat(m[1], 64)
			sameFigure(t, "the status page's row", label, got, float64(n), 0)
		}
		text := pageText(row)
		for _, tg := range want.Targets {
			m := regexp.MustCompile(string(tg.Target) + ` ([\d.]+)% \((\d+) of (\d+) met\)`).FindStringSubmatch(text)
			if m == nil {
				t.Fatalf("no figures of the %s target in the row %q", tg.Target, text)
			}
			pct, _ := strconv.ParseFloat(m[1], 64)
			met, _ := strconv.ParseFloat(m[2], 64)
			counted, _ := strconv.ParseFloat(m[3], 64)
			sameFigure(t, "the status page", string(tg.Target)+" compliance (%, a tenth rounded down)", pct, tg.Compliance*100, 0.1)
			sameFigure(t, "the status page", string(tg.Target)+" met", met, float64(tg.Met), 0)
			sameFigure(t, "the status page", string(tg.Target)+" counted", counted, float64(tg.Counted), 0)
		}
		if m := regexp.MustCompile(`([\d.]+) / 5 (\d+) scores?`).FindStringSubmatch(text); m == nil {
			t.Errorf("no CSAT in the row %q", text)
		} else {
			avg, _ := strconv.ParseFloat(m[1], 64)
			sameFigure(t, "the status page", "CSAT", avg, *want.CSATAverage, 0.05)
		}
		if want.ErrorBudgetRemaining <= 0 && !strings.Contains(text, "None left") {
			t.Errorf("the row does not say the budget is spent: %q", text)
		}
	})

	t.Run("slad report", func(t *testing.T) {
		code, stdout, stderr := slad(t, "report", "--server", base, "--format", "csv")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		rows, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
		// The SLA's rows, then its one customer's (sales), which are the
		// same figures: every request under it is Sales'.
		if err != nil || len(rows) != 1+2*len(want.Targets) {
			t.Fatalf("%d rows, %v:\n%s", len(rows), err, stdout)
		}
		for i := range want.Targets {
			sla, sales := rows[1+i], rows[1+len(want.Targets)+i]
			if sales[len(sales)-1] != "sales" || !slices.Equal(sla[:len(sla)-1], sales[:len(sales)-1]) {
				t.Errorf("Sales' own row %q differs from the SLA's %q, though every request is Sales'", sales, sla)
			}
		}
		col := map[string]int{}
		for i, h := range rows[0] {
			col[h] = i
		}
		num := func(row []string, name string) float64 {
			f, err := strconv.ParseFloat(row[col[name]], 64)
			if err != nil {
				t.Fatalf("column %s: %v", name, err)
			}
			return f
		}
		for i, tg := range want.Targets {
			row := rows[1+i]
			what := "slad report's " + string(tg.Target)
			sameFigure(t, what, "counted", num(row, "counted"), float64(tg.Counted), 0)
			sameFigure(t, what, "met", num(row, "met"), float64(tg.Met), 0)
			sameFigure(t, what, "breached", num(row, "breached"), float64(tg.Breached), 0)
			// The CSV's fixed precision: ratios to 4 decimals rounded
			// down, CSAT to 2 (csvRatioDecimals).
			sameFigure(t, what, "compliance", num(row, "compliance"), math.Floor(tg.Compliance*1e4+1e-6)/1e4, 0)
			sameFigure(t, what, "budget", num(row, "error_budget_remaining"), math.Floor(tg.ErrorBudgetRemaining*1e4+1e-6)/1e4, 0)
			sameFigure(t, what, "CSAT", num(row, "csat_average"), *want.CSATAverage, 0.005)
		}
	})
}

// scrape reads a Prometheus text exposition into series → value.
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for line := range strings.Lines(getBody(t, url)) {
		if strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(strings.TrimSpace(line), ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(line[i+1:]), 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

var (
	tagRE   = regexp.MustCompile(`(?s)<[^>]*>`)
	spaceRE = regexp.MustCompile(`\s+`)
)

// pageText is what a reader sees of some HTML.
func pageText(h string) string {
	return strings.TrimSpace(spaceRE.ReplaceAllString(html.UnescapeString(tagRE.ReplaceAllString(h, " ")), " "))
}
