package daemon

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slad-project/slad/api/wire"
	"github.com/slad-project/slad/internal/testutil"
)

// writeHandoffConfig is the service desk (IT) serving Sales, Network's OLA
// with the desk and Sales' promise to answer IT, each department with its
// own webhook receiver (/it, /network, /sales), all on 24x7.
func writeHandoffConfig(t *testing.T, dir, url string) string {
	t.Helper()
	cfg := fmt.Sprintf(`
global:
  evaluation_schedule: "@every 1s"
  external_url: http://slad.test
customer_reasons: [waiting_for_customer]
departments:
  it: {name: IT Service Desk, notify: [it-hook]}
  network: {name: Network, notify: [network-hook]}
  sales: {name: Sales, notify: [sales-hook]}
receivers:
  it-hook: {type: webhook, url: "%[1]s/it", secret_file: hook-secret}
  network-hook: {type: webhook, url: "%[1]s/network", secret_file: hook-secret}
  sales-hook: {type: webhook, url: "%[1]s/sales", secret_file: hook-secret}
slas:
  - id: desk
    description: The service desk answers Sales in 30m and fixes its incidents in 8h
    provider: it
    customers: [sales]
    response: 30m
    resolution: 8h
    objective: 95%%
    window: 30d
    pause_on: [waiting_for_customer]
    warn_at: [50%%]
  - id: network-ola
    description: Network answers the desk's escalations in 15m and hands them back within 2h
    provider: network
    customers: [it]
    measures: holding
    response: 15m
    resolution: 2h
    objective: 90%%
    window: 30d
    warn_at: [50%%]
  - id: sales-answers
    description: Sales answers IT's questions within an hour
    provider: sales
    customers: [it]
    measures: waiting
    resolution: 1h
    objective: 90%%
    window: 30d
    warn_at: [50%%]
`, url)
	return writeHookConfig(t, dir, cfg)
}

// alertSeen is what a department's receiver got: the SLA, target, stage
// and the summary in people's words.
type alertSeen struct {
	Stage   string `json:"stage"`
	Summary string `json:"summary"`
	SLA     struct {
		ID       string `json:"id"`
		Measures string `json:"measures"`
		Party    string `json:"party"`
	} `json:"sla"`
	Target string `json:"target"`
}

func (a alertSeen) String() string {
	return a.SLA.ID + "/" + a.Target + " " + a.Stage + ": " + a.Summary
}

// alertsAt reads what the receiver got on one path, in order.
func alertsAt(t *testing.T, rcv *receiver, path string) []string {
	t.Helper()
	var out []string
	for _, d := range rcv.deliveries() {
		if d.path != path {
			continue
		}
		verify(t, d)
		var a alertSeen
		if err := json.Unmarshal(d.body, &a); err != nil {
			t.Fatalf("%s: %v in %s", path, err, d.body)
		}
		out = append(out, a.String())
	}
	return out
}

// waitForAlert waits until the receiver got an alert on path that starts
// with prefix ("sla/target stage").
func waitForAlert(t *testing.T, rcv *receiver, path, prefix string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if slices.ContainsFunc(alertsAt(t, rcv, path), func(a string) bool { return strings.HasPrefix(a, prefix) }) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s never got %q; it got %q", path, prefix, alertsAt(t, rcv, path))
}

// TestARequestThroughThreeDepartments (issue 12): the service desk passes
// IT-4711 to Network, Network answers late and hands it back, the desk
// waits on Sales, Sales answers late, the desk resolves it. Each
// department hears of its own agreement (Network of its OLA, IT of the
// promise Sales broke, Sales of nothing), compliance counts the desk's
// SLA met, Network's response breached and its resolution met, Sales'
// promise breached, and the request's ledger says who held it how long.
func TestARequestThroughThreeDepartments(t *testing.T) {
	dir := t.TempDir()
	rcv := newReceiver(t)
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	clock := testutil.NewClock(t0)
	in := start(t, writeHandoffConfig(t, dir, rcv.srv.URL), filepath.Join(dir, "data"), clock.Now)
	send := func(m int, id, typ string, kv ...any) {
		t.Helper()
		clock.Set(at(m))
		if status, body := in.post("", event(id, "IT-4711", typ, at(m).Format(time.RFC3339), kv...)); status != 200 {
			t.Fatalf("%s at +%dm: %d %v", typ, m, status, body)
		}
	}
	send(0, "e1", "opened", "provider", "it", "customer", "sales", "priority", "P1", "title", "VPN down for the sales floor")
	send(5, "e2", "responded")
	send(40, "e3", "assigned", "department", "network")
	clock.Set(at(56)) // Network has not answered in 16m
	waitForAlert(t, rcv, "/network", "network-ola/response breach")
	// The OLA's open request is Network's, serving IT.
	if _, m := in.do("GET", "/metrics", "", "", nil); !strings.Contains(string(m), `slad_requests_open{customer="it",provider="network",sla="network-ola"} 1`) {
		t.Errorf("/metrics does not count the request open under Network's OLA as Network serving IT")
	}
	send(60, "e4", "responded") // Network's answer, 5m late
	waitForAlert(t, rcv, "/network", "network-ola/response resolved")
	clock.Set(at(105)) // Network has held it 65m of its 2h
	waitForAlert(t, rcv, "/network", "network-ola/resolution warning")
	send(110, "e5", "assigned", "department", "it") // handed back after 70m
	send(120, "e6", "paused", "reason", "waiting_for_customer")
	clock.Set(at(151)) // IT has waited 31m on Sales
	waitForAlert(t, rcv, "/it", "sales-answers/resolution warning")
	clock.Set(at(185)) // 65m: past Sales' hour
	waitForAlert(t, rcv, "/it", "sales-answers/resolution breach")
	send(210, "e7", "resumed") // Sales answers after 90m
	waitForAlert(t, rcv, "/it", "sales-answers/resolution resolved")
	send(225, "e8", "resolved")
	clock.Set(at(240))
	time.Sleep(2500 * time.Millisecond) // more ticks: nothing more is owed

	// The SLAs count every hour (24x7): the summaries say plain time.
	wantNetwork := []string{
		"network-ola/response breach: Network missed its 15m target to answer IT Service Desk's P1 'VPN down for the sales floor' (1m over)",
		"network-ola/response resolved: Network's response clock for IT Service Desk's P1 'VPN down for the sales floor' stopped after 20m, 5m over its 15m target",
		"network-ola/resolution warning: Network has 55 minutes left to resolve IT Service Desk's P1 'VPN down for the sales floor' (54% of 2h used)",
	}
	wantIT := []string{
		"sales-answers/resolution warning: IT Service Desk has waited 31m for Sales' answer on IT-4711 'VPN down for the sales floor': 29 minutes left of Sales' 1h promise",
		"sales-answers/resolution breach: IT Service Desk has waited 1h5m for Sales' answer on IT-4711 'VPN down for the sales floor', past Sales' 1h promise (5m over)",
		"sales-answers/resolution resolved: Sales answered IT Service Desk on IT-4711 'VPN down for the sales floor' after 1h30m, 30m over its 1h promise",
	}
	for path, want := range map[string][]string{"/network": wantNetwork, "/it": wantIT, "/sales": nil} {
		if got := alertsAt(t, rcv, path); !slices.Equal(got, want) {
			t.Errorf("%s got\n  %s\nwant\n  %s", path, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
		}
	}

	// Compliance: the desk met both targets, Network broke its response
	// and kept its resolution, Sales broke its promise.
	var slas struct {
		SLAs []wire.SLAStanding `json:"slas"`
	}
	if status := in.getJSON("/api/v1/slas?pretty=1", &slas); status != 200 {
		t.Fatalf("GET /api/v1/slas: %d", status)
	}
	got := map[string]string{}
	for _, s := range slas.SLAs {
		for _, tg := range s.Targets {
			got[s.ID+"/"+string(tg.Target)] = fmt.Sprintf("met %d breached %d compliance %.2f", tg.Met, tg.Breached, tg.Compliance)
		}
		// Per customer: the desk's for Sales, the OLA's and the
		// promise's for IT, whose request it was.
		for _, c := range s.ByCustomer {
			got[s.ID+" for "+c.Customer] = fmt.Sprintf("compliance %.2f", c.Compliance)
		}
	}
	want := map[string]string{
		"desk/response":            "met 1 breached 0 compliance 1.00",
		"desk/resolution":          "met 1 breached 0 compliance 1.00",
		"network-ola/response":     "met 0 breached 1 compliance 0.00",
		"network-ola/resolution":   "met 1 breached 0 compliance 1.00",
		"sales-answers/resolution": "met 0 breached 1 compliance 0.00",
		"desk for sales":           "compliance 1.00",
		"network-ola for it":       "compliance 0.00",
		"sales-answers for it":     "compliance 0.00",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %s, want %s", k, got[k], w)
		}
	}

	// Who held it: 65m the desk, 70m Network, 90m waiting on Sales.
	var req struct {
		Clocks []struct {
			SLA    string `json:"sla"`
			Target string `json:"target"`
			HeldBy []struct {
				Department string `json:"department"`
				Seconds    int64  `json:"seconds"`
				Waiting    bool   `json:"waiting"`
			} `json:"held_by"`
		} `json:"clocks"`
	}
	if status := in.getJSON("/api/v1/requests/it/IT-4711?explain=1", &req); status != 200 {
		t.Fatalf("explain: %d", status)
	}
	for _, c := range req.Clocks {
		if c.SLA == "desk" && c.Target == "resolution" {
			if got := fmt.Sprint(c.HeldBy); got != "[{it 3900 false} {network 4200 false} {sales 5400 true}]" {
				t.Errorf("held_by of the desk's resolution: %s", got)
			}
		}
	}
	// A handoff names a configured department.
	clock.Set(at(241))
	if status, body := in.post("", event("e9", "IT-4711", "assigned", at(241).Format(time.RFC3339), "department", "legal")); status != 400 ||
		!strings.Contains(fmt.Sprint(body), `event 0 (id "e9"): field "department" names department "legal", which the configuration does not define; known departments: it, network, sales`) {
		t.Errorf("a handoff to an unknown department: %d %v", status, body)
	}
	status, page := in.do("GET", "/requests/it/IT-4711", "", "", nil)
	if text := "Held by: IT Service Desk 1h5m · Network 1h10m · Sales (waiting for customer) 1h30m"; status != 200 || !strings.Contains(string(page), text) {
		t.Errorf("the request page (%d) does not say %q", status, text)
	}
}
