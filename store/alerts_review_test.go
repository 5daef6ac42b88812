package store

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/sla"
)

// Review 2: focused tests, each failing while its finding stands. Helpers
// come from store_test.go (testPolicy: it-sales, 24x7, P1 resolution 4h,
// P2 24h, response 30m, warn 50%, receivers it-chat + am, escalation 1h
// after the breach to boss) and alerts_regression_test.go.

// outboxOf returns every pending item of a receiver, oldest first.
func outboxOf(t *testing.T, s *Store, receiver string) []OutboxItem {
	t.Helper()
	items, err := s.DueAlerts(receiver, t0.Add(365*24*time.Hour), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	return items
}

func stagesOf(items []OutboxItem, request string) []string {
	var out []string
	for _, it := range items {
		if it.Notice.RequestID == request {
			out = append(out, it.Notice.StageKey+"/"+string(it.Notice.Target))
		}
	}
	return out
}

// A breach is announced and the request resolved; before the next tick a
// reload removes the SLA. Rematch only looks at open requests, so the
// resolved one keeps its clock of an SLA that no longer exists; the tick
// skips clocks without an SLA (evaluateRequest: sl == nil → continue) and
// nextDue drops the request from the deadline index. The "resolved" owed
// to those told of the breach is never sent and Alertmanager keeps
// re-posting the breach of a resolved request for ever.
func TestResolvedBeforeAReloadRemovesTheSLAIsStillAnnounced(t *testing.T) {
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
	// Resolved between two ticks ...
	now = now.Add(10 * time.Second)
	clock.Set(now)
	if _, err := s.Append(ctx, []sla.Event{ev("x", "R1", sla.Resolved, now)}); err != nil {
		t.Fatal(err)
	}
	// ... and a reload removes the SLA before the next tick.
	p := testPolicy()
	p.SLAs = nil
	s.SetPolicy(p)
	if _, err := s.Rematch(ctx); err != nil {
		t.Fatal(err)
	}
	now = now.Add(20 * time.Second)
	clock.Set(now)
	if _, err := s.Evaluate(now); err != nil {
		t.Fatal(err)
	}
	if f, _ := s.Firing("am"); len(f) != 0 {
		t.Errorf("request resolved, yet Alertmanager keeps being sent %d firing notice(s) for ever", len(f))
	}
	got := stagesOf(outboxOf(t, s, "it-chat"), "R1")
	if len(got) != 2 || got[1] != "resolved/resolution" {
		t.Errorf("it-chat got %v; want the breach, then resolved", got)
	}
}

// An escalation step fires "after the breach" (README: "an escalation for
// each escalate step still unresolved that much business time after the
// breach"; config: "after: 1h (business time after the breach)"). A P2
// request (24h) updated to P1 (4h) at 6h elapsed breaches at that moment;
// its 1h escalation is due an hour later. Stages computes the escalation
// threshold as Limit+After (5h), already passed, so the boss is paged in
// the very tick that announces the breach.
func TestEscalationComesAfterTheBreachWhenAPriorityChangeBreaches(t *testing.T) {
	clock := &fakeClock{t: t0}
	s := openTest(t, t.TempDir(), clock)
	ctx := context.Background()
	p2 := func(e *sla.Event) { e.Priority = "P2" }
	if _, err := s.Append(ctx, []sla.Event{ev("o", "R1", sla.Opened, t0, p2), ev("r", "R1", sla.Responded, t0.Add(time.Minute))}); err != nil {
		t.Fatal(err)
	}
	up := t0.Add(6 * time.Hour)
	clock.Set(up)
	if _, err := s.Evaluate(up); err != nil { // the 12h warning is not due yet
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, []sla.Event{ev("u", "R1", sla.Updated, up, func(e *sla.Event) { e.Priority = "P1" })}); err != nil {
		t.Fatal(err)
	}
	now := up.Add(time.Minute)
	clock.Set(now)
	if _, err := s.Evaluate(now); err != nil {
		t.Fatal(err)
	}
	v, _ := s.Request("R1")
	c := v.Request.Clock("it-sales", sla.Resolution)
	if c == nil || !c.BreachedAt.Equal(up) {
		t.Fatalf("precondition: clock %+v, want breached at the update", c)
	}
	if got := stagesOf(outboxOf(t, s, "boss"), "R1"); len(got) != 0 {
		t.Errorf("one minute after the breach the boss already got %v; the 1h escalation is due at %s", got, up.Add(time.Hour).Format(time.TimeOnly))
	}
}

// Same root cause, other face: escalate {after: 0s} is accepted by the
// config ("escalate to the boss at the breach"). Its threshold is Limit,
// one second before the breach (Limit+1s): a clock that stands at its
// limit exactly (paused there, or at closing time on a business calendar)
// escalates although it has not breached, and the boss, it-chat and am are
// later told "resolved" for a request that met its target.
func TestAnEscalationAfterZeroDoesNotFireOnAClockExactlyAtItsLimit(t *testing.T) {
	clock := &fakeClock{t: t0}
	p := testPolicy()
	p.SLAs[0].Escalate = []sla.Escalation{{After: 0, Notify: []string{"boss"}}}
	s, err := Open(Options{Dir: t.TempDir(), Policy: p, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	if _, err := s.Append(ctx, []sla.Event{ev("o", "R1", sla.Opened, t0), ev("r", "R1", sla.Responded, t0.Add(time.Minute))}); err != nil {
		t.Fatal(err)
	}
	at := t0.Add(4 * time.Hour) // elapsed = limit exactly
	clock.Set(at)
	if _, err := s.Append(ctx, []sla.Event{ev("p", "R1", sla.Paused, at, waitingForCustomer)}); err != nil {
		t.Fatal(err)
	}
	now := at.Add(time.Hour)
	clock.Set(now)
	if _, err := s.Evaluate(now); err != nil {
		t.Fatal(err)
	}
	v, _ := s.Request("R1")
	if c := v.Request.Clock("it-sales", sla.Resolution); c.Breached() {
		t.Fatalf("precondition: clock breached: %+v", c)
	}
	if got := stagesOf(outboxOf(t, s, "boss"), "R1"); len(got) != 0 {
		t.Errorf("a clock exactly at its limit (not breached) escalated to the boss: %v", got)
	}
}

// History is decided at every refold, against the time of that refold
// (now - clk.Since > 1h), not against when slad learnt of the clock. slad
// knew the request was open and running; it was down (or its schedule
// sparse) while the clock breached at 4h and stopped at 4h30m. At 6h the
// resolved event, buffered by the sender, arrives: if the catch-up tick
// runs first, the breach and "resolved" are announced; if the event
// arrives first (the daemon serves HTTP before its catch-up tick, and a
// config change re-matches before it), the breach is marked fired
// silently and never announced. The alerts depend on the order of an
// ingest and a tick.
func TestABreachDueBeforeDowntimeIsNotSilencedByALateEvent(t *testing.T) {
	run := func(tickFirst bool) []string {
		clock := &fakeClock{t: t0}
		s := openTest(t, t.TempDir(), clock)
		ctx := context.Background()
		if _, err := s.Append(ctx, []sla.Event{ev("o", "R1", sla.Opened, t0), ev("r", "R1", sla.Responded, t0.Add(time.Minute))}); err != nil {
			t.Fatal(err)
		}
		s.Evaluate(t0.Add(time.Minute))
		// Down from 1h to 6h. The request resolved at 4h30m, after its
		// 4h breach.
		now := t0.Add(6 * time.Hour)
		clock.Set(now)
		if tickFirst {
			s.Evaluate(now)
		}
		if _, err := s.Append(ctx, []sla.Event{ev("x", "R1", sla.Resolved, t0.Add(4*time.Hour+30*time.Minute))}); err != nil {
			t.Fatal(err)
		}
		s.Evaluate(now)
		return stagesOf(outboxOf(t, s, "it-chat"), "R1")
	}
	// A tick that runs first knows less: it also escalates (the clock was
	// open past 5h as far as it knew). What must hold either way is that
	// the breach, which happened while slad knew the request, is
	// announced and then declared over.
	for _, got := range [][]string{run(true), run(false)} {
		if !slices.Contains(got, "breach/resolution") || !slices.Contains(got, "resolved/resolution") {
			t.Errorf("it-chat got %v; want the breach and its resolution whether the tick or the late event comes first", got)
		}
	}
}

// With an evaluation schedule sparser than an hour ("0 */2 * * *"), a
// breach of a clock that stops soon after is lost as soon as any later
// event of the request arrives before the tick, although every event was
// sent live: the refold for that event finds the clock stopped more than
// an hour ago, nobody told, and marks its breach fired silently.
func TestASparseScheduleDoesNotSilenceALiveBreach(t *testing.T) {
	clock := &fakeClock{t: t0}
	s := openTest(t, t.TempDir(), clock)
	ctx := context.Background()
	live := func(e sla.Event) {
		clock.Set(e.At)
		if _, err := s.Append(ctx, []sla.Event{e}); err != nil {
			t.Fatal(err)
		}
	}
	live(ev("o", "R1", sla.Opened, t0))
	s.Evaluate(t0)
	live(ev("r", "R1", sla.Responded, t0.Add(45*time.Minute))) // 30m target breached at 30m01s
	live(ev("p", "R1", sla.Paused, t0.Add(110*time.Minute), waitingForCustomer))
	now := t0.Add(2 * time.Hour) // the next tick
	clock.Set(now)
	if _, err := s.Evaluate(now); err != nil {
		t.Fatal(err)
	}
	got := stagesOf(outboxOf(t, s, "it-chat"), "R1")
	if len(got) != 2 || got[0] != "breach/response" || got[1] != "resolved/response" {
		t.Errorf("every event arrived live; the response breach at 30m01s was due at this tick; it-chat got %v, want [breach/response resolved/response]", got)
	}
}

// A reload that removes an SLA for a while (a bad edit, reverted) loses
// the pending alerts of closed requests for good: while the SLA is gone
// the tick drops them from the deadline index, and Rematch after the
// revert refolds open requests only. Here the clock breached at 4h and
// the request was resolved at 4h20m, before any tick: breach and resolved
// are owed (it stopped less than an hour ago), and never sent.
func TestATemporarilyRemovedSLALosesNoPendingAlertOfAClosedRequest(t *testing.T) {
	clock := &fakeClock{t: t0}
	s := openTest(t, t.TempDir(), clock)
	ctx := context.Background()
	if _, err := s.Append(ctx, []sla.Event{ev("o", "R1", sla.Opened, t0), ev("r", "R1", sla.Responded, t0.Add(time.Minute))}); err != nil {
		t.Fatal(err)
	}
	now := t0.Add(4*time.Hour + 20*time.Minute)
	clock.Set(now)
	if _, err := s.Append(ctx, []sla.Event{ev("x", "R1", sla.Resolved, now)}); err != nil {
		t.Fatal(err)
	}
	// Reload without the SLA, a tick, then the revert.
	gone := testPolicy()
	gone.SLAs = nil
	s.SetPolicy(gone)
	if _, err := s.Rematch(ctx); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Minute)
	clock.Set(now)
	s.Evaluate(now)
	s.SetPolicy(testPolicy())
	if _, err := s.Rematch(ctx); err != nil {
		t.Fatal(err)
	}
	// A closed request owing an alert under a removed SLA is looked at
	// again hourly: within the hour, both go out.
	now = now.Add(time.Hour)
	clock.Set(now)
	if _, err := s.Evaluate(now); err != nil {
		t.Fatal(err)
	}
	got := stagesOf(outboxOf(t, s, "it-chat"), "R1")
	if len(got) != 2 {
		v, _ := s.Request("R1")
		_, ok, _ := s.NextDeadline()
		t.Errorf("SLA back in force, request resolved 22 min ago after a breach: it-chat got %v, want breach and resolved (fired %v, deadline indexed: %v)", got, v.Fired, ok)
	}
}

// slad_breaches_total counts "clocks that passed their target" and never
// goes down. A breach withdrawn by late events is not taken back (fine),
// but when the clock then really breaches the counter goes up again: one
// clock, one breach, counted twice. Delivered in order the same history
// counts one.
func TestABreachWithdrawnAndRedoneIsCountedOnce(t *testing.T) {
	clock := &fakeClock{t: t0}
	s := openTest(t, t.TempDir(), clock)
	ctx := context.Background()
	if _, err := s.Append(ctx, []sla.Event{ev("o", "R1", sla.Opened, t0), ev("r", "R1", sla.Responded, t0.Add(time.Minute))}); err != nil {
		t.Fatal(err)
	}
	now := t0.Add(4*time.Hour + 10*time.Minute)
	clock.Set(now)
	s.Evaluate(now) // breach announced and counted
	// Late pause from 1h to 2h: not breached after all (3h10m).
	if _, err := s.Append(ctx, []sla.Event{ev("p", "R1", sla.Paused, t0.Add(time.Hour), waitingForCustomer), ev("u", "R1", sla.Resumed, t0.Add(2*time.Hour))}); err != nil {
		t.Fatal(err)
	}
	now = t0.Add(5*time.Hour + 10*time.Minute) // really breached at 5h00m01s
	clock.Set(now)
	s.Evaluate(now)
	c, _ := s.Counters()
	if n := c.Breaches[[2]string{"it-sales", "resolution"}]; n != 1 {
		t.Errorf("slad_breaches_total{it-sales,resolution} = %d for one clock that breached once", n)
	}
}

// README: "History is not news: a clock that had already stopped more than
// an hour before slad received its events ... fires no alert — and if such
// a request is reopened, its clock alerts on where it then stands." A
// request imported from last year, resolved late (breached), is reopened
// today: its resolution clock is open and breached, and must be announced.
func TestAReopenedImportedBreachedRequestAlertsWhereItStands(t *testing.T) {
	now := t0.Add(200 * 24 * time.Hour)
	clock := &fakeClock{t: now}
	s := openTest(t, t.TempDir(), clock)
	ctx := context.Background()
	if _, err := s.Append(ctx, []sla.Event{
		ev("o", "OLD-1", sla.Opened, t0), ev("r", "OLD-1", sla.Responded, t0.Add(time.Minute)), ev("x", "OLD-1", sla.Resolved, t0.Add(5*time.Hour)),
	}); err != nil {
		t.Fatal(err)
	}
	s.Evaluate(now)
	now = now.Add(time.Hour)
	clock.Set(now)
	if _, err := s.Append(ctx, []sla.Event{ev("re", "OLD-1", sla.Reopened, now)}); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Minute)
	clock.Set(now)
	if _, err := s.Evaluate(now); err != nil {
		t.Fatal(err)
	}
	got := stagesOf(outboxOf(t, s, "it-chat"), "OLD-1")
	if !slicesContains(got, "breach/resolution") {
		t.Errorf("reopened today, clock open and breached: it-chat got %v, want the breach", got)
	}
	if f, _ := s.Firing("am"); len(f) == 0 {
		t.Errorf("reopened and breached, but Alertmanager is not firing it")
	}
}

// Only a clock that had stopped is history. An import (or a first
// delivery) of a request still open and already past its target is a live
// breach someone must act on: it is announced.
func TestAnOpenRequestFirstSeenPastItsTargetIsAnnounced(t *testing.T) {
	clock := &fakeClock{t: t0.Add(30 * time.Hour)}
	s := openTest(t, t.TempDir(), clock)
	ctx := context.Background()
	if _, err := s.Append(ctx, []sla.Event{ev("o", "R1", sla.Opened, t0), ev("r", "R1", sla.Responded, t0.Add(time.Minute))}); err != nil {
		t.Fatal(err)
	}
	// Within the hour after slad first heard of it, an import in progress
	// may still close it: nothing yet.
	soon := clock.Now().Add(time.Minute)
	if _, err := s.Evaluate(soon); err != nil {
		t.Fatal(err)
	}
	if got := stagesOf(outboxOf(t, s, "it-chat"), "R1"); len(got) != 0 {
		t.Errorf("a minute after it was first seen: it-chat got %v, want nothing yet", got)
	}
	now := clock.Now().Add(lifecycle.HistoryAge + time.Minute)
	clock.Set(now)
	if _, err := s.Evaluate(now); err != nil {
		t.Fatal(err)
	}
	got := stagesOf(outboxOf(t, s, "it-chat"), "R1")
	if !slicesContains(got, "breach/resolution") {
		t.Errorf("open request 26h past its 4h target, still open an hour after slad heard of it: it-chat got %v, want the breach", got)
	}
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// README (Metrics): "The _total counters and the histogram count stop and
// breach events and never go down: a request reopened and resolved again
// counts a second stop."
func TestAReopenedRequestResolvedAgainCountsASecondStop(t *testing.T) {
	clock := &fakeClock{t: t0}
	s := openTest(t, t.TempDir(), clock)
	ctx := context.Background()
	step := func(e sla.Event) {
		clock.Set(e.At)
		if _, err := s.Append(ctx, []sla.Event{e}); err != nil {
			t.Fatal(err)
		}
	}
	step(ev("o", "R1", sla.Opened, t0))
	step(ev("r", "R1", sla.Responded, t0.Add(time.Minute)))
	step(ev("x", "R1", sla.Resolved, t0.Add(time.Hour)))
	step(ev("re", "R1", sla.Reopened, t0.Add(2*time.Hour)))
	step(ev("x2", "R1", sla.Resolved, t0.Add(3*time.Hour)))
	c, _ := s.Counters()
	if n := c.Stopped[[3]string{"it-sales", "resolution", "met"}]; n != 2 {
		t.Errorf("slad_requests_stopped_total{it-sales,resolution,met} = %d after resolved, reopened, resolved again; want 2", n)
	}
	h := c.Histogram[[2]string{"it-sales", "resolution"}]
	var count uint64
	for _, b := range h.Buckets {
		count += b
	}
	// Stops at 1h and at 1h+1h = 2h of business time.
	if count != 2 || h.Sum != 3600+7200 {
		t.Errorf("elapsed histogram: count %d, sum %v; want 2 observations summing to %d s", count, h.Sum, 3600+7200)
	}
}

// Escalations follow the breach by their "after" (README), whatever
// happens to the target later. A P1 request breaches at 4h; at 4h30m its
// priority is lowered to P2 (24h): it stays breached (a breach stays), but
// Stages counts escalation-1 from the current limit, 24h+1h, so the boss
// hears nothing until 25h of business time instead of at 5h.
func TestAnEscalationFollowsTheBreachWhenTheTargetIsRaisedAfterIt(t *testing.T) {
	clock := &fakeClock{t: t0}
	s := openTest(t, t.TempDir(), clock)
	ctx := context.Background()
	if _, err := s.Append(ctx, []sla.Event{ev("o", "R1", sla.Opened, t0), ev("r", "R1", sla.Responded, t0.Add(time.Minute))}); err != nil {
		t.Fatal(err)
	}
	now := t0.Add(4*time.Hour + 10*time.Minute)
	clock.Set(now)
	s.Evaluate(now) // breach
	now = t0.Add(4*time.Hour + 30*time.Minute)
	clock.Set(now)
	if _, err := s.Append(ctx, []sla.Event{ev("u", "R1", sla.Updated, now, func(e *sla.Event) { e.Priority = "P2" })}); err != nil {
		t.Fatal(err)
	}
	now = t0.Add(5*time.Hour + 10*time.Minute)
	clock.Set(now)
	if _, err := s.Evaluate(now); err != nil {
		t.Fatal(err)
	}
	v, _ := s.Request("R1")
	if c := v.Request.Clock("it-sales", sla.Resolution); !c.Breached() {
		t.Fatalf("precondition: clock no longer breached: %+v", c)
	}
	if got := stagesOf(outboxOf(t, s, "boss"), "R1"); len(got) != 1 {
		t.Errorf("1h10m after the breach, still unresolved: boss got %v, want escalation-1", got)
	}
}
