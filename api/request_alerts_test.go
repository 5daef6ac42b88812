package api

import (
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/store"
)

// alertPageConfig: a 2m response and a 1h resolution target, round the
// clock in Berlin, warnings at 50% and 80%, alerts to the log.
const alertPageConfig = `
global: {timezone: Europe/Berlin, evaluation_schedule: "@every 30s", external_url: http://slad.test}
departments:
  it: {name: IT Service Desk, lead: Dana Ops, notify: [console]}
  sales: {name: Sales}
receivers:
  console: {type: log}
slas:
  - {id: desk, description: IT answers Sales, provider: it, customers: [sales], response: 2m, resolution: 1h,
     objective: 95%, window: 30d, warn_at: [50%, 80%]}
`

// alertPageNow is a Tuesday in November: Berlin is on CET (UTC+1).
var alertPageNow = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func newAlertPageServer(t *testing.T, events []sla.Event) (*httptest.Server, *store.Store) {
	t.Helper()
	cfg, err := config.LoadBytes("alerts.yaml", []byte(alertPageConfig), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return alertPageNow }
	st := storeEvaluated(t, cfg, now, events)
	_, ts := serveAPI(t, st, cfg, now, nil)
	return ts, st
}

func at(d time.Duration) string { return alertPageNow.Add(-d).Format(time.RFC3339) }

func TestTheRequestPageShowsOverageToTheSecondAndAWarnedClockAsAtRisk(t *testing.T) {
	ts, _ := newAlertPageServer(t, []sla.Event{
		// Response breached by 56 s; resolution at 2m56s of 1h.
		ev("a1", "LATE-1", sla.Opened, at(2*time.Minute+56*time.Second), opened("it", "sales", "P1", "incident", "VPN down")),
		// Answered in time; resolution at 50m of 1h: past the 80% warning.
		ev("b1", "RISK-1", sla.Opened, at(50*time.Minute), opened("it", "sales", "P1", "incident", "Printer")),
		ev("b2", "RISK-1", sla.Responded, at(49*time.Minute)),
	})
	late := getPage(t, "GET", ts.URL+"/requests/it/LATE-1").body
	for _, want := range []string{
		"<strong>2m 56s</strong> of 2m business time used: <strong>56s over</strong>",
		"<strong>2m 56s</strong> of 1h business time used",
	} {
		if !strings.Contains(late, want) {
			t.Errorf("LATE-1 lacks %q", want)
		}
	}
	risk := getPage(t, "GET", ts.URL+"/requests/it/RISK-1").body
	if !strings.Contains(risk, `desk: resolution <span class="badge warn">At risk: past the 80% warning</span>`) {
		t.Errorf("RISK-1's resolution clock is not shown at risk:\n%s", risk)
	}
	if strings.Contains(risk, "Running") {
		t.Errorf("a warned clock is shown as Running")
	}
}

func TestEveryTimeOnTheRequestPageIsInOneNamedZone(t *testing.T) {
	ts, _ := newAlertPageServer(t, []sla.Event{
		ev("a1", "LATE-1", sla.Opened, at(2*time.Minute+56*time.Second), opened("it", "sales", "P1", "incident", "VPN down")),
	})
	body := getPage(t, "GET", ts.URL+"/requests/it/LATE-1").body
	if !strings.Contains(body, "times in Europe/Berlin") {
		t.Errorf("the page does not name its zone")
	}
	// Every time shown, in the header, the deadlines and the ledgers, ends
	// in the zone's abbreviation: CET in November.
	times := regexp.MustCompile(`\b\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}( [A-Z+\-0-9]+)?`).FindAllStringSubmatch(body, -1)
	if len(times) < 4 {
		t.Fatalf("found only %d times on the page", len(times))
	}
	for _, m := range times {
		if m[1] != " CET" {
			t.Errorf("time %q is not in CET", m[0])
		}
	}
}

func TestTheRequestPageListsWhichAlertsFiredWhenAndToWhom(t *testing.T) {
	ts, st := newAlertPageServer(t, []sla.Event{
		ev("a1", "LATE-1", sla.Opened, at(2*time.Minute+56*time.Second), opened("it", "sales", "P1", "incident", "VPN down")),
	})
	pending := getPage(t, "GET", ts.URL+"/requests/it/LATE-1").body
	if !strings.Contains(pending, `desk response: breach</td><td data-label="To">console</td><td data-label="Outcome"><span class="badge none">waiting to be delivered`) {
		t.Errorf("the pending breach alert is not listed:\n%s", pending)
	}
	items, err := st.DueAlerts("console", alertPageNow, 10)
	if err != nil || len(items) == 0 {
		t.Fatalf("due alerts %v, %v", items, err)
	}
	var done []store.Outcome
	for _, it := range items {
		done = append(done, store.Outcome{Kind: store.OutcomeDelivered, Item: it, At: alertPageNow.Add(5 * time.Second)})
	}
	if err := st.Record(done); err != nil {
		t.Fatal(err)
	}
	delivered := getPage(t, "GET", ts.URL+"/requests/it/LATE-1").body
	want := `<time datetime="2026-11-24T12:00:05Z">Tue 24 Nov 2026, 13:00 CET</time></th><td data-label="Alert">desk response: breach</td><td data-label="To">console</td><td data-label="Outcome"><span class="badge ok">delivered</span>`
	if !strings.Contains(delivered, want) {
		t.Errorf("the delivered breach alert is not listed with its time and receiver:\n%s", delivered)
	}
	other := getPage(t, "GET", ts.URL+"/requests/it/LATE-1").body
	if strings.Count(other, `data-label="Alert"`) != len(items) {
		t.Errorf("the page lists %d alerts, want %d", strings.Count(other, `data-label="Alert"`), len(items))
	}
}

// TestTheRequestPageSaysWhyABreachSladLearntOfLateHasNoAlert: a request
// still open and first seen hours past its targets waits out its grace
// hour, and the page says until when; one that breached and closed long
// before slad heard of it is history, and the page says it is never
// alerted. A breach slad saw happen gets no such word.
func TestTheRequestPageSaysWhyABreachSladLearntOfLateHasNoAlert(t *testing.T) {
	ts, _ := newAlertPageServer(t, []sla.Event{
		ev("w1", "WAIT-1", sla.Opened, at(5*time.Hour), opened("it", "sales", "P1", "incident", "VPN down")),
		ev("h1", "HIST-1", sla.Opened, at(6*time.Hour), opened("it", "sales", "P1", "incident", "Printer")),
		ev("h2", "HIST-1", sla.Responded, at(6*time.Hour-time.Minute)),
		ev("h3", "HIST-1", sla.Resolved, at(4*time.Hour)),
		ev("l1", "LIVE-1", sla.Opened, at(2*time.Minute+56*time.Second), opened("it", "sales", "P1", "incident", "Mail down")),
	})
	cases := map[string]struct {
		path       string
		has, lacks []string
	}{
		"open, first seen past its targets": {
			path: "/requests/it/WAIT-1",
			has: []string{
				"The desk resolution clock breached at Tue 24 Nov 2026, 09:00 CET, more than an hour before slad first heard of it at Tue 24 Nov 2026, 13:00 CET: its alert waits until Tue 24 Nov 2026, 14:00 CET",
				"The desk response clock breached at Tue 24 Nov 2026, 08:02 CET",
			},
			lacks: []string{"as history"},
		},
		"breached and closed long before": {
			path:  "/requests/it/HIST-1",
			has:   []string{"The desk resolution clock breached at Tue 24 Nov 2026, 08:00 CET and had stopped by the time slad learnt of it: as history, its breach counts in the figures but is never alerted."},
			lacks: []string{"waits until", "desk response clock breached"},
		},
		"a breach slad saw happen": {
			path:  "/requests/it/LIVE-1",
			lacks: []string{"as history", "waits until"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			body := getPage(t, "GET", ts.URL+tc.path).body
			for _, want := range tc.has {
				if !strings.Contains(body, want) {
					t.Errorf("%s lacks %q", tc.path, want)
				}
			}
			for _, not := range tc.lacks {
				if strings.Contains(body, not) {
					t.Errorf("%s says %q", tc.path, not)
				}
			}
		})
	}
}
