package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slad-project/slad/internal/testutil"
)

// writeQuietConfig is IT's desk with its alerts held outside office hours
// (Mon-Fri 09:00-17:00 Berlin) and a weekly digest to a second webhook.
func writeQuietConfig(t *testing.T, dir, url, extra string) string {
	t.Helper()
	cfg := fmt.Sprintf(`
global:
  evaluation_schedule: "@every 1s"
  external_url: http://slad.test
  timezone: Europe/Berlin
calendars:
  office: {hours: {mon-fri: "09:00-17:00"}}
departments:
  it:
    name: IT Service Desk
    lead: Dana Ops
    notify: [hook]
    notify_hours: office
%[2]s
  sales: {name: Sales}
receivers:
  hook: {type: webhook, url: "%[1]s/it", secret_file: hook-secret}
  lead: {type: webhook, url: "%[1]s/lead", secret_file: hook-secret}
slas:
  - id: it-sales-incidents
    description: IT fixes incidents raised by Sales
    provider: it
    customers: [sales]
    resolution: 4h
    objective: 95%%
    window: 30d
    warn_at: [50%%]
`, url, extra)
	return writeHookConfig(t, dir, cfg)
}

// waitForLog waits until the daemon's log holds s.
func (in *instance) waitForLog(s string) {
	in.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(in.logs.String(), s) {
		if time.Now().After(deadline) {
			in.t.Fatalf("the log never said %q", s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var (
	fridayEvening = time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC) // 17:00 in Berlin
	mondayMorning = time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)  // 09:00 in Berlin
)

func TestABreachHeldOverTheWeekendIsDeliveredWhenTheOfficeOpensAfterARestart(t *testing.T) {
	dir := t.TempDir()
	rcv := newReceiver(t)
	cfg := writeQuietConfig(t, dir, rcv.srv.URL, "")
	data := filepath.Join(dir, "data")
	clock := testutil.NewClock(fridayEvening)
	in := start(t, cfg, data, clock.Now)
	if status, body := in.post("", event("e1", "IT-4711", "opened", fridayEvening.Format(time.RFC3339),
		"provider", "it", "customer", "sales", "priority", "P1", "title", "VPN down for the sales floor")); status != 200 {
		t.Fatalf("open: %d %v", status, body)
	}
	clock.Set(fridayEvening.Add(4*time.Hour + time.Minute)) // breached on Friday night
	in.waitForLog(`msg="alert held outside notification hours" receiver=hook`)
	in.waitForLog(`until=2026-11-30T09:00:00+01:00`)
	if n := len(rcv.deliveries()); n != 0 {
		t.Fatalf("%d deliveries on Friday night, want none: the breach waits for Monday", n)
	}
	// The request page says when it goes out.
	_, page := in.do("GET", "/requests/it/IT-4711", "", "", nil)
	if !strings.Contains(string(page), `Held until <strong><time datetime="2026-11-30T08:00:00Z">Mon 30 Nov 2026, 09:00 CET</time></strong>: the breach for hook`) {
		t.Errorf("the request page does not say when the held breach goes out:\n%s", page)
	}
	// The metrics count it, per configured receiver.
	_, metrics := in.do("GET", "/metrics", "", "", nil)
	for _, want := range []string{"\nslad_alerts_held{receiver=\"hook\"} 1\n", "\nslad_alerts_held{receiver=\"lead\"} 0\n"} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("the metrics lack %q", strings.TrimSpace(want))
		}
	}
	// Down over the weekend; back on Monday morning at the opening.
	if err := in.stop(); err != nil {
		t.Fatal(err)
	}
	clock.Set(mondayMorning)
	in = start(t, cfg, data, clock.Now)
	got := rcv.waitFor(t, 1)
	if _, metrics := in.do("GET", "/metrics", "", "", nil); !strings.Contains(string(metrics), "\nslad_alerts_held{receiver=\"hook\"} 0\n") {
		t.Errorf("the metrics still count the breach as held once it went out")
	}
	verify(t, got[0])
	var body map[string]any
	if err := json.Unmarshal(got[0].body, &body); err != nil || body["stage"] != "breach" || body["fired_at"] != "2026-11-27T20:01:00Z" {
		t.Errorf("delivered %s (%v); want the breach as it fired on Friday", got[0].body, err)
	}
	time.Sleep(2500 * time.Millisecond)
	if n := len(rcv.deliveries()); n != 1 {
		t.Errorf("%d deliveries, want the breach once", n)
	}
}

func TestADigestMissedDuringDowntimeIsSentOnceAtStartAndNotAgain(t *testing.T) {
	dir := t.TempDir()
	rcv := newReceiver(t)
	cfg := writeQuietConfig(t, dir, rcv.srv.URL, `    digest: {schedule: "0 8 * * MON", notify: [lead]}`)
	data := filepath.Join(dir, "data")
	clock := testutil.NewClock(fridayEvening)
	in := start(t, cfg, data, clock.Now)
	in.waitForLog(`msg="digest scheduled" department=it`)
	in.post("", event("e1", "IT-1", "opened", fridayEvening.Format(time.RFC3339), "provider", "it", "customer", "sales", "priority", "P1", "title", "Printer on fire"))
	if err := in.stop(); err != nil {
		t.Fatal(err)
	}
	// Down through two Monday slots; back on the Tuesday after.
	clock.Set(time.Date(2026, 12, 8, 10, 0, 0, 0, time.UTC))
	in2 := start(t, cfg, data, clock.Now)
	got := rcv.waitForPath(t, "/lead", 1)
	verify(t, got[0])
	var body struct {
		Type, Stage, Department string
		Slot                    time.Time
		Provides                []struct {
			SLA          string
			BreachedOpen int64 `json:"breached_open"`
		}
		Worst *struct{ ID string } `json:"worst_open"`
	}
	if err := json.Unmarshal(got[0].body, &body); err != nil {
		t.Fatal(err)
	}
	if body.Type != "digest" || body.Department != "it" || !body.Slot.Equal(time.Date(2026, 12, 7, 7, 0, 0, 0, time.UTC)) {
		t.Errorf("digest %s: want IT's of Monday 7 December, 08:00 Berlin", got[0].body)
	}
	if len(body.Provides) != 1 || body.Provides[0].BreachedOpen != 1 || body.Worst == nil || body.Worst.ID != "IT-1" {
		t.Errorf("digest %s: want the SLA with IT-1 breached and open as the worst", got[0].body)
	}
	in2.waitForLog(`missed_slots_skipped=1`)
	// A restart within the same slot sends nothing more.
	if err := in2.stop(); err != nil {
		t.Fatal(err)
	}
	start(t, cfg, data, clock.Now)
	time.Sleep(2500 * time.Millisecond)
	if n := len(rcv.deliveriesTo("/lead")); n != 1 {
		t.Errorf("%d digests after a restart, want the digest once", n)
	}
}

// deliveriesTo are the deliveries to one path.
func (r *receiver) deliveriesTo(path string) []delivery {
	var out []delivery
	for _, d := range r.deliveries() {
		if d.path == path {
			out = append(out, d)
		}
	}
	return out
}

// waitForPath waits until the receiver has n deliveries to path.
func (r *receiver) waitForPath(t *testing.T, path string, n int) []delivery {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if d := r.deliveriesTo(path); len(d) >= n {
			return d
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("receiver got %d deliveries to %s within 30s, want %d", len(r.deliveriesTo(path)), path, n)
	return nil
}

func TestAReloadThatEndsTheQuietHoursSendsWhatWasHeldAtOnce(t *testing.T) {
	dir := t.TempDir()
	rcv := newReceiver(t)
	cfg := writeQuietConfig(t, dir, rcv.srv.URL, "")
	clock := testutil.NewClock(fridayEvening)
	in := start(t, cfg, filepath.Join(dir, "data"), clock.Now)
	in.post("", event("e1", "IT-1", "opened", fridayEvening.Format(time.RFC3339), "provider", "it", "customer", "sales", "priority", "P1"))
	clock.Set(fridayEvening.Add(2*time.Hour + time.Minute)) // the 50% warning, on Friday night
	in.waitForLog(`msg="alert held outside notification hours" receiver=hook`)
	if n := len(rcv.deliveries()); n != 0 {
		t.Fatalf("%d deliveries on Friday night, want none", n)
	}
	// IT now wants to hear at any time.
	data, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte(strings.Replace(string(data), "notify_hours: office", "notify_hours: 24x7", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := in.d.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := rcv.waitFor(t, 1)
	if !strings.Contains(string(got[0].body), `"stage":"warning"`) {
		t.Errorf("delivered %s, want the held warning", got[0].body)
	}
	in.waitForLog(`msg="held alert released: notification hours open" receiver=hook`)
}

// The log says an alert is held when the tick that holds it commits, not
// at the tick after (it said so one evaluation interval late: held at
// 18:26:36, logged at 18:27:06).
func TestAnAlertHeldIsLoggedByTheTickThatHoldsIt(t *testing.T) {
	dir := t.TempDir()
	rcv := newReceiver(t)
	cfg := writeQuietConfig(t, dir, rcv.srv.URL, "")
	data, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// No scheduled tick within the test: only the catch-up tick of Start
	// and the one the test runs.
	if err := os.WriteFile(cfg, []byte(strings.Replace(string(data), `"@every 1s"`, `"@every 24h"`, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	clock := testutil.NewClock(fridayEvening)
	in := start(t, cfg, filepath.Join(dir, "data"), clock.Now)
	if status, body := in.post("", event("e1", "IT-1", "opened", fridayEvening.Format(time.RFC3339), "provider", "it", "customer", "sales", "priority", "P1")); status != 200 {
		t.Fatalf("open: %d %v", status, body)
	}
	in.d.catchUp.Wait()
	clock.Set(fridayEvening.Add(2*time.Hour + time.Minute)) // the 50% warning, on Friday night
	in.d.evaluate()
	logs := in.logs.String()
	if !strings.Contains(logs, `msg="alert held outside notification hours" receiver=hook`) || !strings.Contains(logs, `stage=warning-50% `) ||
		!strings.Contains(logs, `held_since=2026-11-27T18:01:00Z until=2026-11-30T09:00:00+01:00`) {
		t.Fatalf("after the tick that held the warning, the log does not say it is held and until when:\n%s", logs)
	}
	in.d.evaluate() // nothing new: not logged again
	if n := strings.Count(in.logs.String(), "alert held outside notification hours"); n != 1 {
		t.Errorf("the held warning was logged %d times, want once", n)
	}
}

// A changed digest schedule starts at its next slot, and its first digest
// counts the breaches since the last digest of the schedule before, so
// that the breaches between that digest and the change are in one.
func TestTheFirstDigestOfAChangedScheduleCountsBreachesSinceTheLastDigest(t *testing.T) {
	dir := t.TempDir()
	rcv := newReceiver(t)
	data := filepath.Join(dir, "data")
	monday := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	clock := testutil.NewClock(monday.Add(6 * time.Hour))
	cfg := writeQuietConfig(t, dir, rcv.srv.URL, `    digest: {schedule: "0 8 * * MON", notify: [lead]}`)
	in := start(t, cfg, data, clock.Now)
	in.waitForLog(`msg="digest scheduled" department=it`)
	if err := in.stop(); err != nil {
		t.Fatal(err)
	}
	// Monday's digest (08:00 Berlin), then a request opened before the
	// office opens, which breaches at 13:00 Berlin, after the digest.
	clock.Set(monday.Add(7*time.Hour + 30*time.Minute))
	in = start(t, cfg, data, clock.Now)
	rcv.waitForPath(t, "/lead", 1)
	if status, body := in.post("", event("e2", "IT-2", "opened", monday.Add(7*time.Hour).Format(time.RFC3339), "provider", "it", "customer", "sales", "priority", "P1")); status != 200 {
		t.Fatalf("opened: %d %s", status, body)
	}
	if err := in.stop(); err != nil {
		t.Fatal(err)
	}
	// The schedule moves to Tuesdays after the breach.
	clock.Set(monday.Add(14 * time.Hour))
	cfg = writeQuietConfig(t, dir, rcv.srv.URL, `    digest: {schedule: "0 8 * * TUE", notify: [lead]}`)
	in = start(t, cfg, data, clock.Now)
	in.waitForLog(`schedule="0 8 * * TUE in Europe/Berlin"`)
	if err := in.stop(); err != nil {
		t.Fatal(err)
	}
	clock.Set(monday.Add(24*time.Hour + 7*time.Hour + 30*time.Minute))
	start(t, cfg, data, clock.Now)
	got := rcv.waitForPath(t, "/lead", 2)
	var body struct {
		Since    time.Time
		First    bool
		Provides []struct {
			BreachesSince int64 `json:"breaches_since"`
		}
	}
	if err := json.Unmarshal(got[1].body, &body); err != nil {
		t.Fatal(err)
	}
	if !body.Since.Equal(monday.Add(7*time.Hour)) || body.First || len(body.Provides) != 1 || body.Provides[0].BreachesSince != 1 {
		t.Errorf("the first Tuesday digest %s: want breaches since Monday's digest (07:00 UTC), IT-2's among them, and not the first digest", got[1].body)
	}
}

// A department's first digest, even one whose schedule changed before it
// was sent, says it is the first and counts from when the digest was
// scheduled; the digest after it counts from the first.
func TestTheFirstDigestIsMarkedFirstAndCountsFromWhenItWasScheduled(t *testing.T) {
	dir := t.TempDir()
	rcv := newReceiver(t)
	data := filepath.Join(dir, "data")
	clock := testutil.NewClock(fridayEvening)
	cfg := writeQuietConfig(t, dir, rcv.srv.URL, `    digest: {schedule: "0 8 * * MON", notify: [lead]}`)
	in := start(t, cfg, data, clock.Now)
	in.waitForLog(`msg="digest scheduled" department=it`)
	if err := in.stop(); err != nil {
		t.Fatal(err)
	}
	// Moved to Tuesdays on Saturday, before any digest went out.
	clock.Set(fridayEvening.Add(24 * time.Hour))
	cfg = writeQuietConfig(t, dir, rcv.srv.URL, `    digest: {schedule: "0 8 * * TUE", notify: [lead]}`)
	in = start(t, cfg, data, clock.Now)
	in.waitForLog(`schedule="0 8 * * TUE in Europe/Berlin"`)
	if err := in.stop(); err != nil {
		t.Fatal(err)
	}
	tuesday := time.Date(2026, 12, 1, 7, 0, 0, 0, time.UTC) // 08:00 in Berlin
	type digest struct {
		Since time.Time
		First *bool
	}
	for i, want := range []struct {
		now   time.Time
		since time.Time
		first bool
	}{
		{tuesday.Add(30 * time.Minute), fridayEvening, true},
		{tuesday.Add(7*24*time.Hour + 30*time.Minute), tuesday, false},
	} {
		clock.Set(want.now)
		in = start(t, cfg, data, clock.Now)
		got := rcv.waitForPath(t, "/lead", i+1)
		var body digest
		if err := json.Unmarshal(got[i].body, &body); err != nil {
			t.Fatal(err)
		}
		if body.First == nil || *body.First != want.first || !body.Since.Equal(want.since) {
			t.Errorf("digest %d: %s; want first %v, since %s", i+1, got[i].body, want.first, want.since)
		}
		if err := in.stop(); err != nil {
			t.Fatal(err)
		}
	}
}
