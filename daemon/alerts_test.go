package daemon

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slad-project/slad/internal/testutil"
)

var update = flag.Bool("update", false, "rewrite golden files")

// hookSecret is the Standard Webhooks secret of the test receivers.
const hookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// delivery is one webhook call a receiver got.
type delivery struct {
	path, id, timestamp, signature string
	body                           []byte
}

// receiver is an httptest webhook endpoint that records what it gets and
// answers with the status the test sets.
type receiver struct {
	mu     sync.Mutex
	got    []delivery
	status int
	srv    *httptest.Server
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{status: 200}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.status != 200 {
			w.WriteHeader(r.status)
			return
		}
		r.got = append(r.got, delivery{req.URL.Path, req.Header.Get("webhook-id"), req.Header.Get("webhook-timestamp"), req.Header.Get("webhook-signature"), body})
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) setStatus(s int) { r.mu.Lock(); r.status = s; r.mu.Unlock() }

func (r *receiver) deliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.got...)
}

// waitFor waits until the receiver has n deliveries.
func (r *receiver) waitFor(t *testing.T, n int) []delivery {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if d := r.deliveries(); len(d) >= n {
			return d
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("receiver got %d deliveries within 30s, want %d", len(r.deliveries()), n)
	return nil
}

// verify checks a delivery's signature as a Standard Webhooks receiver does.
func verify(t *testing.T, d delivery) {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(hookSecret, "whsec_"))
	if err != nil {
		t.Fatal(err)
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%s.%s", d.id, d.timestamp, d.body)
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	if !strings.Contains(" "+d.signature+" ", " "+want+" ") {
		t.Errorf("signature %q does not verify (want %q)", d.signature, want)
	}
}

func writeAlertConfig(t *testing.T, dir, url string) string {
	t.Helper()
	cfg := fmt.Sprintf(`
global:
  evaluation_schedule: "@every 1s"
  external_url: http://slad.test
departments:
  it: {name: IT Service Desk, lead: Dana Ops, notify: [hook]}
  sales: {name: Sales}
receivers:
  hook: {type: webhook, url: "%[1]s/it", secret_file: hook-secret}
  boss: {type: webhook, url: "%[1]s/boss", secret_file: hook-secret}
slas:
  - id: it-sales-incidents
    description: IT fixes incidents raised by Sales
    provider: it
    customers: [sales]
    calendar: 24x7
    resolution: 4h
    objective: 95%%
    window: 30d
    warn_at: [50%%]
    escalate:
      - {after: 1h, notify: [boss]}
`, url)
	return writeHookConfig(t, dir, cfg)
}

// writeHookConfig writes the configuration cfg to dir/config.yaml, with the
// webhook secret its receivers read from hook-secret beside it, and
// returns its path.
func writeHookConfig(t *testing.T, dir, cfg string) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "hook-secret"), []byte(hookSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

var lifeStart = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// TestAlertsThroughAFullLife moves a fake clock through a request's life and
// checks each alert's exact payload: warning at 50%, breach, escalation to
// the boss, resolved to those told of the breach, and nothing twice.
func TestAlertsThroughAFullLife(t *testing.T) {
	dir := t.TempDir()
	rcv := newReceiver(t)
	clock := testutil.NewClock(lifeStart)
	in := start(t, writeAlertConfig(t, dir, rcv.srv.URL), filepath.Join(dir, "data"), clock.Now)
	if status, body := in.post("", event("e1", "IT-4711", "opened", lifeStart.Format(time.RFC3339),
		"provider", "it", "customer", "sales", "priority", "P1", "category", "incident", "title", "VPN down for the sales floor")); status != 200 {
		t.Fatalf("open: %d %v", status, body)
	}
	steps := []struct {
		at     time.Duration
		event  string
		golden []string // per new delivery, in order
	}{
		{2*time.Hour + 30*time.Second, "", []string{"life-1-warning.golden"}},
		{4*time.Hour + 30*time.Second, "", []string{"life-2-breach.golden"}},
		{5*time.Hour + 30*time.Second, "", []string{"life-3-escalation-it.golden", "life-3-escalation-boss.golden"}},
		{5*time.Hour + 45*time.Minute, "resolved", []string{"life-4-resolved-it.golden", "life-4-resolved-boss.golden"}},
	}
	seen := 0
	for _, st := range steps {
		now := lifeStart.Add(st.at)
		clock.Set(now)
		if st.event != "" {
			if status, body := in.post("", event("e-"+st.event, "IT-4711", st.event, now.Format(time.RFC3339))); status != 200 {
				t.Fatalf("%s: %d %v", st.event, status, body)
			}
		}
		got := rcv.waitFor(t, seen+len(st.golden))
		fresh := got[seen:]
		seen = len(got)
		// The escalation and the resolution go to two receivers in
		// parallel: order them by path for a stable comparison.
		if len(fresh) == 2 && fresh[0].path == "/boss" {
			fresh[0], fresh[1] = fresh[1], fresh[0]
		}
		for i, d := range fresh {
			verify(t, d)
			testutil.Golden(t, filepath.Join("testdata", st.golden[i]), d.body, *update)
		}
	}
	// Several more ticks: nothing is sent again.
	clock.Set(lifeStart.Add(8 * time.Hour))
	time.Sleep(2500 * time.Millisecond)
	if n := len(rcv.deliveries()); n != seen {
		t.Errorf("%d deliveries after the life ended, want %d: an alert was sent twice", n, seen)
	}
}

// TestPendingAlertsSurviveARestart: a receiver that is down when slad stops
// gets its alert after the restart, once; a further restart sends nothing.
func TestPendingAlertsSurviveARestart(t *testing.T) {
	dir := t.TempDir()
	rcv := newReceiver(t)
	rcv.setStatus(http.StatusServiceUnavailable)
	cfg := writeAlertConfig(t, dir, rcv.srv.URL)
	data := filepath.Join(dir, "data")
	clock := testutil.NewClock(lifeStart)
	in := start(t, cfg, data, clock.Now)
	in.post("", event("e1", "IT-1", "opened", lifeStart.Format(time.RFC3339), "provider", "it", "customer", "sales"))
	clock.Set(lifeStart.Add(4*time.Hour + time.Minute)) // breached; the 50% warning is stale
	// Wait until the store has queued the alert and delivery has failed.
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, m := in.do("GET", "/metrics", "", "", nil)
		if strings.Contains(string(m), `slad_alerts_sent_total{receiver="hook",result="retry",stage="breach"} 1`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no failed delivery seen:\n%s", m)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := in.stop(); err != nil {
		t.Fatal(err)
	}
	rcv.setStatus(200)
	clock.Set(lifeStart.Add(6 * time.Hour)) // past any backoff
	in2 := start(t, cfg, data, clock.Now)
	// The breach (pending since before the restart) and the escalation,
	// which came due at 5h, to hook and boss.
	rcv.waitFor(t, 3)
	if err := in2.stop(); err != nil {
		t.Fatal(err)
	}
	start(t, cfg, data, clock.Now)
	time.Sleep(2500 * time.Millisecond)
	stages := map[string]int{}
	for _, d := range rcv.deliveries() {
		for _, st := range []string{"warning", "breach", "escalation", "resolved"} {
			if strings.Contains(string(d.body), `"stage":"`+st+`"`) {
				stages[d.path+" "+st]++
			}
		}
	}
	want := map[string]int{"/it breach": 1, "/it escalation": 1, "/boss escalation": 1}
	if fmt.Sprint(stages) != fmt.Sprint(want) {
		t.Errorf("deliveries after two restarts: %v, want %v (each once; the stale warning never)", stages, want)
	}
}

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
