package daemon

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/slad-project/slad/internal/testutil"
)

// TestAlertmanagerIsSentItsFiringBreachAgainUntilTheRequestIsResolved runs
// the configuration's receiver types through a breach: Alertmanager, which
// forgets an alert not sent again, gets the breach re-posted about once a
// minute while it is firing and ended when the request is resolved; a
// webhook receiver told of the same breach gets it once, and the resolved.
func TestAlertmanagerIsSentItsFiringBreachAgainUntilTheRequestIsResolved(t *testing.T) {
	dir := t.TempDir()
	rcv := newReceiver(t) // both receivers post here: /am/api/v2/alerts and /hook
	cfg := writeHookConfig(t, dir, fmt.Sprintf(`
global:
  evaluation_schedule: "@every 1s"
departments:
  it: {name: IT Service Desk, notify: [am, hook]}
  sales: {name: Sales}
receivers:
  am: {type: alertmanager, url: "%[1]s/am"}
  hook: {type: webhook, url: "%[1]s/hook", secret_file: hook-secret}
slas:
  - {id: it-sales, description: IT fixes incidents raised by Sales, provider: it, customers: [sales], calendar: 24x7, resolution: 4h, objective: 95%%, window: 30d}
`, rcv.srv.URL))
	clock := testutil.NewClock(lifeStart)
	in := start(t, cfg, filepath.Join(dir, "data"), clock.Now)
	if status, body := in.post("", event("e1", "IT-4711", "opened", lifeStart.Format(time.RFC3339), "provider", "it", "customer", "sales")); status != 200 {
		t.Fatalf("open: %d %v", status, body)
	}
	byPath := func(ds []delivery) map[string][]delivery {
		out := map[string][]delivery{}
		for _, d := range ds {
			out[d.path] = append(out[d.path], d)
		}
		return out
	}
	// The breach: one post to each.
	clock.Set(lifeStart.Add(4*time.Hour + 30*time.Second))
	got := byPath(rcv.waitFor(t, 2))
	if len(got["/am/api/v2/alerts"]) != 1 || len(got["/hook"]) != 1 {
		t.Fatalf("after the breach: %d posts to Alertmanager, %d to the webhook; want one each", len(got["/am/api/v2/alerts"]), len(got["/hook"]))
	}
	// A minute and more on, Alertmanager is sent the breach again, valid
	// for a few minutes more; the webhook is not.
	for i := 1; i <= 2; i++ {
		clock.Set(clock.Now().Add(61 * time.Second))
		got = byPath(rcv.waitFor(t, 2+i))
		posts := got["/am/api/v2/alerts"]
		if len(posts) != 1+i || len(got["/hook"]) != 1 {
			t.Fatalf("re-post %d: %d posts to Alertmanager, %d to the webhook; want %d and 1", i, len(posts), len(got["/hook"]), 1+i)
		}
		alerts := amAlertsOf(t, posts[i])
		if len(alerts) != 1 || alerts[0].Labels["stage"] != "breach" || alerts[0].Labels["request"] != "IT-4711" {
			t.Fatalf("re-post %d: %+v; want IT-4711's breach", i, alerts)
		}
		if ends, err := time.Parse(time.RFC3339Nano, alerts[0].EndsAt); err != nil || !ends.After(clock.Now()) {
			t.Errorf("re-post %d: endsAt %q, want one after now (%s)", i, alerts[0].EndsAt, clock.Now())
		}
	}
	// Resolved: both hear it; Alertmanager's alert ends then, and is not
	// sent again.
	resolvedAt := clock.Now()
	if status, body := in.post("", event("e2", "IT-4711", "resolved", resolvedAt.Format(time.RFC3339))); status != 200 {
		t.Fatalf("resolve: %d %v", status, body)
	}
	got = byPath(rcv.waitFor(t, 6))
	posts := got["/am/api/v2/alerts"]
	if len(posts) != 4 || len(got["/hook"]) != 2 {
		t.Fatalf("after the resolution: %d posts to Alertmanager, %d to the webhook; want 4 and 2", len(posts), len(got["/hook"]))
	}
	if alerts := amAlertsOf(t, posts[3]); len(alerts) != 1 || alerts[0].EndsAt != resolvedAt.UTC().Format(time.RFC3339Nano) && alerts[0].EndsAt != resolvedAt.UTC().Format(time.RFC3339) {
		t.Errorf("the resolved post: %+v; want the breach ended at %s", alerts, resolvedAt)
	}
	clock.Set(clock.Now().Add(3 * time.Minute))
	time.Sleep(time.Second) // twenty polls of the workers
	if n := len(rcv.deliveries()); n != 6 {
		t.Errorf("%d posts after the breach was over, want the 6 before: it is still re-posted", n)
	}
}

// amAlert is what the test reads of an alert posted to Alertmanager.
type amAlert struct {
	Labels map[string]string `json:"labels"`
	EndsAt string            `json:"endsAt"`
}

func amAlertsOf(t *testing.T, d delivery) []amAlert {
	t.Helper()
	var out []amAlert
	if err := json.Unmarshal(d.body, &out); err != nil {
		t.Fatalf("a post to Alertmanager is not a list of alerts: %v\n%s", err, d.body)
	}
	return out
}
