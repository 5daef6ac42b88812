package store

import (
	"context"
	"testing"
	"time"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/sla"
)

// Review tests: each demonstrates one finding of the code review and fails
// while the finding stands. Helpers come from store_test.go (testPolicy:
// it-sales, 24x7, P1 resolution 4h, response 30m, receivers it-chat + am,
// escalation after 1h to boss).

func waitingForCustomer(e *sla.Event) { e.Reason = "waiting_for_customer" }

// Regression (found in review) (late events undo a breach already announced): a breach was
// announced (and is re-posted to Alertmanager), then late, out-of-order
// events show the clock never breached. Resolving the request must end the
// Alertmanager alert; instead the firing entry is never cleared, because
// resolvedOwed only looks at clocks that are breached now.
func TestAnAlertmanagerBreachUndoneByLatePauseEventsStopsFiringOnceResolved(t *testing.T) {
	clock := &fakeClock{t: t0}
	s := openTest(t, t.TempDir(), clock)
	ctx := context.Background()
	if _, err := s.Append(ctx, []sla.Event{ev("o", "R1", sla.Opened, t0), ev("r", "R1", sla.Responded, t0.Add(time.Minute))}); err != nil {
		t.Fatal(err)
	}
	now := t0.Add(4*time.Hour + 10*time.Minute)
	clock.Set(now)
	if res, err := s.Evaluate(now); err != nil || res.Fired != 1 {
		t.Fatalf("breach evaluate: %+v %v", res, err)
	}
	if f, _ := s.Firing("am"); len(f) != 1 {
		t.Fatalf("firing before late events = %+v", f)
	}
	// The ticket tool delivers a pause it had buffered: the customer was
	// asked for details from 1h to 3h. Elapsed is 2h10m: no breach.
	late := []sla.Event{
		ev("p", "R1", sla.Paused, t0.Add(time.Hour), waitingForCustomer),
		ev("u", "R1", sla.Resumed, t0.Add(3*time.Hour)),
		ev("x", "R1", sla.Resolved, now.Add(5*time.Minute)),
	}
	now = now.Add(5 * time.Minute)
	clock.Set(now)
	if _, err := s.Append(ctx, late); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Evaluate(now); err != nil {
		t.Fatal(err)
	}
	v, _ := s.Request("R1")
	if c := v.Request.Clock("it-sales", sla.Resolution); c.State() != sla.StateMet {
		t.Fatalf("precondition: clock state = %s, want met", c.State())
	}
	if f, _ := s.Firing("am"); len(f) != 0 {
		t.Errorf("the request is resolved within target, yet Alertmanager keeps being sent its breach: firing = %d notice(s) (stage %s); nothing will ever clear it", len(f), f[0].Stage)
	}
}

// Finding 3, second face: once the undone breach is marked fired, the real
// breach that comes later is never announced (only the escalation goes out,
// to people who never heard of a breach).
func TestARealBreachAfterAnUndoneOneIsStillAnnounced(t *testing.T) {
	clock := &fakeClock{t: t0}
	s := openTest(t, t.TempDir(), clock)
	ctx := context.Background()
	if _, err := s.Append(ctx, []sla.Event{ev("o", "R1", sla.Opened, t0), ev("r", "R1", sla.Responded, t0.Add(time.Minute))}); err != nil {
		t.Fatal(err)
	}
	now := t0.Add(4*time.Hour + 10*time.Minute)
	clock.Set(now)
	if res, _ := s.Evaluate(now); res.Fired != 1 {
		t.Fatalf("breach evaluate: %+v", res)
	}
	// Late pause from 1h to 3h: the clock is at 2h10m, so no breach yet.
	if _, err := s.Append(ctx, []sla.Event{
		ev("p", "R1", sla.Paused, t0.Add(time.Hour), waitingForCustomer),
		ev("u", "R1", sla.Resumed, t0.Add(3*time.Hour)),
	}); err != nil {
		t.Fatal(err)
	}
	// It really breaches at 6h00m01s; evaluate at 6h05m.
	now = t0.Add(6*time.Hour + 5*time.Minute)
	clock.Set(now)
	res, err := s.Evaluate(now)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := s.Request("R1")
	if c := v.Request.Clock("it-sales", sla.Resolution); c.At(now, sla.AlwaysOpen()).State != sla.StateBreached {
		t.Fatalf("precondition: clock not breached at %s: %+v", now, c)
	}
	items, _ := s.DueAlerts("it-chat", now, 100)
	breaches := 0
	for _, it := range items {
		if it.Notice.Stage == lifecycle.StageBreach && it.Notice.FiredAt.Equal(now) {
			breaches++
		}
	}
	if breaches != 1 {
		t.Errorf("the clock breached at 6h but no breach alert was queued at this tick (evaluate: %+v); the stage stayed marked fired from the undone breach, so the deadline index does not even schedule it", res)
	}
}

// Regression (found in review) (reload removes an SLA while its breach is firing): the clock
// of the removed SLA disappears on Rematch, so nothing ever clears its
// firing entry; Alertmanager is re-sent the breach for ever, even after the
// request is resolved.
func TestRemovingAnSLAByAReloadEndsItsFiringBreaches(t *testing.T) {
	clock := &fakeClock{t: t0}
	s := openTest(t, t.TempDir(), clock)
	ctx := context.Background()
	if _, err := s.Append(ctx, []sla.Event{ev("o", "R1", sla.Opened, t0), ev("r", "R1", sla.Responded, t0.Add(time.Minute))}); err != nil {
		t.Fatal(err)
	}
	now := t0.Add(4*time.Hour + 10*time.Minute)
	clock.Set(now)
	if res, _ := s.Evaluate(now); res.Fired != 1 {
		t.Fatalf("breach evaluate: %+v", res)
	}
	// Reload: the SLA is gone (receivers unchanged).
	p := testPolicy()
	p.SLAs = nil
	s.SetPolicy(p)
	if _, err := s.Rematch(ctx); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Minute)
	clock.Set(now)
	if _, err := s.Append(ctx, []sla.Event{ev("x", "R1", sla.Resolved, now)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Evaluate(now); err != nil {
		t.Fatal(err)
	}
	if f, _ := s.Firing("am"); len(f) != 0 {
		t.Errorf("the SLA was removed and the request resolved, yet %d breach notice(s) stay firing for Alertmanager for ever", len(f))
	}
}

// Regression (found in review) (reopen after a breach): after "resolved" was sent, a reopened
// request whose clock is breached again is not re-posted to Alertmanager
// ("re-posted while the breach is open"), and its final resolution sends
// nothing ("resolved when a breached request is finally resolved").
func TestAReopenedBreachedRequestIsFiringAgainWhileOpen(t *testing.T) {
	clock := &fakeClock{t: t0}
	s := openTest(t, t.TempDir(), clock)
	ctx := context.Background()
	if _, err := s.Append(ctx, []sla.Event{ev("o", "R1", sla.Opened, t0), ev("r", "R1", sla.Responded, t0.Add(time.Minute))}); err != nil {
		t.Fatal(err)
	}
	now := t0.Add(4*time.Hour + 10*time.Minute)
	clock.Set(now)
	s.Evaluate(now)
	now = now.Add(time.Minute)
	clock.Set(now)
	s.Append(ctx, []sla.Event{ev("x", "R1", sla.Resolved, now)})
	s.Evaluate(now)
	now = now.Add(time.Minute)
	clock.Set(now)
	s.Append(ctx, []sla.Event{ev("re", "R1", sla.Reopened, now)})
	s.Evaluate(now)
	v, _ := s.Request("R1")
	if c := v.Request.Clock("it-sales", sla.Resolution); !c.Open() || !c.Breached() {
		t.Fatalf("precondition: clock = %+v", c)
	}
	if f, _ := s.Firing("am"); len(f) != 1 {
		t.Errorf("the request is open again with its clock breached, but Alertmanager is not re-sent the breach (firing = %d): it shows the breach as resolved", len(f))
	}
}

// Regression (found in review) (counters that go down): slad_requests_stopped_total and
// slad_breaches_total are exposed as Prometheus counters, but a reopen (or
// a late event) takes them back down, which Prometheus reads as a counter
// reset: rate()/increase() then count the whole total again.
func TestStoppedCounterNeverDecreasesWhenARequestIsReopened(t *testing.T) {
	clock := &fakeClock{t: t0}
	s := openTest(t, t.TempDir(), clock)
	ctx := context.Background()
	s.Append(ctx, []sla.Event{ev("o", "R1", sla.Opened, t0), ev("r", "R1", sla.Responded, t0.Add(time.Minute)), ev("x", "R1", sla.Resolved, t0.Add(time.Hour))})
	key := [3]string{"it-sales", "resolution", "met"}
	before, _ := s.Counters()
	clock.Set(t0.Add(2 * time.Hour))
	s.Append(ctx, []sla.Event{ev("re", "R1", sla.Reopened, t0.Add(2*time.Hour))})
	after, _ := s.Counters()
	if after.Stopped[key] < before.Stopped[key] {
		t.Errorf("counter slad_requests_stopped_total%v went from %d to %d: a Prometheus counter must never decrease", key, before.Stopped[key], after.Stopped[key])
	}
}

// Regression (found in review): a request resolved in 3h under a 4h target
// is history. After a reload tightens the target to 2h, a late "updated" (a
// title fix) folds it again from its events under the rules in force — so
// that the result does not depend on the order events arrived in, its
// figures follow the new target — but no alert goes out for a request
// closed long ago.
func TestALateTitleFixOnAClosedRequestSendsNoAlert(t *testing.T) {
	clock := &fakeClock{t: t0}
	s := openTest(t, t.TempDir(), clock)
	ctx := context.Background()
	if _, err := s.Append(ctx, []sla.Event{
		ev("o", "R1", sla.Opened, t0), ev("r", "R1", sla.Responded, t0.Add(time.Minute)), ev("x", "R1", sla.Resolved, t0.Add(3*time.Hour)),
	}); err != nil {
		t.Fatal(err)
	}
	day := sla.DateOf(t0)
	before, _ := s.WindowFigures("it-sales", day, day)

	// Weeks later the target is tightened by a reload.
	now := t0.Add(40 * 24 * time.Hour)
	clock.Set(now)
	p := testPolicy()
	p.SLAs[0].Resolution.ByPriority["P1"] = 2 * time.Hour
	s.SetPolicy(p)
	if _, err := s.Rematch(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, []sla.Event{ev("title", "R1", sla.Updated, t0.Add(2*time.Hour), func(e *sla.Event) { e.Title = "typo fixed" })}); err != nil {
		t.Fatal(err)
	}
	after, _ := s.WindowFigures("it-sales", day, day)
	if before.Targets[sla.Resolution] != (sla.Tally{Met: 1}) || after.Targets[sla.Resolution] != (sla.Tally{Breached: 1}) {
		t.Errorf("resolution of %s: %+v before, %+v after the late event; want met under 4h, then breached under 2h", day, before.Targets[sla.Resolution], after.Targets[sla.Resolution])
	}
	res, err := s.Evaluate(now)
	if err != nil {
		t.Fatal(err)
	}
	if res.Fired != 0 {
		t.Errorf("a request resolved 40 days ago fired %d alert(s) (%+v) because a title was fixed", res.Fired, res)
	}
}

// Regression (found in review) (bulk import of history alerts on every old breach): slad
// import sends last year's closed tickets; each one that breached back then
// is queued a "breach" and a "resolved" notice for every receiver at the
// next tick, so an import floods Slack, webhooks and Alertmanager with
// alerts about requests closed months ago.
func TestImportingLongClosedHistoryQueuesNoAlerts(t *testing.T) {
	now := t0.Add(200 * 24 * time.Hour)
	clock := &fakeClock{t: now}
	s := openTest(t, t.TempDir(), clock)
	ctx := context.Background()
	if _, err := s.Append(ctx, []sla.Event{
		ev("o", "OLD-1", sla.Opened, t0), ev("r", "OLD-1", sla.Responded, t0.Add(time.Minute)), ev("x", "OLD-1", sla.Resolved, t0.Add(5*time.Hour)),
	}); err != nil {
		t.Fatal(err)
	}
	res, err := s.Evaluate(now)
	if err != nil {
		t.Fatal(err)
	}
	if res.Queued != 0 {
		t.Errorf("importing a request resolved 200 days ago queued %d alert(s) (%+v)", res.Queued, res)
	}
}

// Regression (found in acceptance): importing a request closed within its
// target must not mark its breach as fired: reopened later, it must still
// warn and breach, and its stage must not read "breach".
func TestAnImportedRequestReopenedLaterStillBreaches(t *testing.T) {
	clock := &fakeClock{t: t0.Add(72 * time.Hour)}
	s := openTest(t, t.TempDir(), clock)
	ctx := context.Background()
	// Opened and resolved three days ago, within its targets.
	if _, err := s.Append(ctx, []sla.Event{
		ev("o", "R1", sla.Opened, t0), ev("x", "R1", sla.Resolved, t0.Add(10*time.Minute)),
	}); err != nil {
		t.Fatal(err)
	}
	v, _ := s.Request("R1")
	if fired := v.Fired["it-sales/resolution"]; len(fired) != 0 {
		t.Fatalf("stages marked fired for a clock that went through none: %v", fired)
	}
	reopen := clock.Now().Add(-240 * time.Minute) // 10m + 240m > the 4h target
	if _, err := s.Append(ctx, []sla.Event{ev("r", "R1", sla.Reopened, reopen)}); err != nil {
		t.Fatal(err)
	}
	res, err := s.Evaluate(clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if res.Fired == 0 {
		t.Fatal("the reopened request passed its target and no alert fired")
	}
	items, _ := s.DueAlerts("it-chat", clock.Now(), 10)
	if len(items) == 0 || items[0].Notice.Stage != lifecycle.StageBreach {
		t.Fatalf("queued for the provider's receiver: %+v; want the breach", items)
	}
}
