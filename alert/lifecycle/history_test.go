package lifecycle

import (
	"slices"
	"testing"
	"time"

	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// The tests of rules 4 and 5 (history is not news; grace): what slad
// learns long after it happened pages nobody, what happened while slad
// knew the request is news however late its events arrive. The desk
// policy: 24x7, P1 resolution 4h, response 30m, receivers it-chat and am,
// an escalation an hour after the breach to boss.

// withResolutionP1 returns the desk policy with another P1 resolution target.
func withResolutionP1(target time.Duration) *sla.Policy {
	p := slatest.DeskPolicy()
	p.SLAs[0].Resolution.ByPriority["P1"] = target
	return p
}

func TestImportingLongClosedHistoryQueuesNoAlerts(t *testing.T) {
	// slad import sends last year's closed tickets: one that breached back
	// then must not be announced (breach and resolved) to every receiver.
	now := slatest.T0.Add(200 * 24 * time.Hour)
	d := newDesk(t, slatest.DeskPolicy())
	queued := d.ingest(now, slatest.Event("o", "OLD-1", sla.Opened, slatest.T0), slatest.Event("r", "OLD-1", sla.Responded, slatest.T0.Add(time.Minute)), slatest.Event("x", "OLD-1", sla.Resolved, slatest.T0.Add(5*time.Hour)))
	res := d.tick(now)
	if queued != 0 || res.Queued != 0 {
		t.Errorf("importing a request resolved 200 days ago queued %d alert(s) at ingest and %d at the tick (%+v)", queued, res.Queued, res)
	}
}

func TestALateEventOnALongClosedRequestSendsNoAlertUnderATightenedTarget(t *testing.T) {
	// Resolved in 3h under a 4h target; weeks later a reload tightens the
	// target to 2h and a title fix arrives. The request is folded again
	// from its events under the rules in force, so that the result does
	// not depend on the order events arrived in (its figures follow the
	// new target: the store's aggregates test checks them), but no alert
	// goes out for a request closed long ago.
	d := newDesk(t, slatest.DeskPolicy())
	d.ingest(slatest.T0, slatest.Event("o", "R1", sla.Opened, slatest.T0), slatest.Event("r", "R1", sla.Responded, slatest.T0.Add(time.Minute)), slatest.Event("x", "R1", sla.Resolved, slatest.T0.Add(3*time.Hour)))
	r, _ := d.request("R1")
	before := r.Clock("it-sales", sla.Resolution).State()

	now := slatest.T0.Add(40 * 24 * time.Hour)
	d.reload(withResolutionP1(2*time.Hour), now)
	d.ingest(now, slatest.Event("title", "R1", sla.Updated, slatest.T0.Add(2*time.Hour), func(e *sla.Event) { e.Title = "typo fixed" }))
	r, _ = d.request("R1")
	if after := r.Clock("it-sales", sla.Resolution).State(); before != sla.StateMet || after != sla.StateBreached {
		t.Errorf("resolution clock %s before, %s after the late event; want met under 4h, then breached under 2h", before, after)
	}
	if res := d.tick(now); res.Fired != 0 || len(d.outbox) != 0 {
		t.Errorf("a request resolved 40 days ago fired %d alert(s) (%+v, outbox %v) because a title was fixed", res.Fired, res, d.outbox)
	}
}

func TestAnImportedRequestClosedWithinTargetStillBreachesWhenReopened(t *testing.T) {
	// Importing a request that met its target must not mark its breach
	// fired: reopened later, it must still breach and be announced.
	now := slatest.T0.Add(72 * time.Hour)
	d := newDesk(t, slatest.DeskPolicy())
	d.ingest(now, slatest.Event("o", "R1", sla.Opened, slatest.T0), slatest.Event("x", "R1", sla.Resolved, slatest.T0.Add(10*time.Minute)))
	if _, st := d.request("R1"); len(st.Fired["it-sales/resolution"]) != 0 {
		t.Fatalf("stages marked fired for a clock that went through none: %v", st.Fired["it-sales/resolution"])
	}
	reopen := now.Add(-240 * time.Minute) // 10m + 240m > the 4h target
	d.ingest(now, slatest.Event("r", "R1", sla.Reopened, reopen))
	if res := d.tick(now); res.Fired == 0 {
		t.Fatal("the reopened request passed its target and no alert fired")
	}
	if got := d.outbox["it-chat"]; len(got) == 0 || got[0].Stage != StageBreach {
		t.Fatalf("queued for the provider's receiver: %+v; want the breach", got)
	}
}

func TestAReopenedImportedBreachedRequestAlertsWhereItStands(t *testing.T) {
	// README: a request of last year, resolved late, is history; reopened
	// today its resolution clock is open and breached, and is announced.
	now := slatest.T0.Add(200 * 24 * time.Hour)
	d := newDesk(t, slatest.DeskPolicy())
	d.ingest(now, slatest.Event("o", "OLD-1", sla.Opened, slatest.T0), slatest.Event("r", "OLD-1", sla.Responded, slatest.T0.Add(time.Minute)), slatest.Event("x", "OLD-1", sla.Resolved, slatest.T0.Add(5*time.Hour)))
	d.tick(now)
	now = now.Add(time.Hour)
	d.ingest(now, slatest.Event("re", "OLD-1", sla.Reopened, now))
	now = now.Add(time.Minute)
	d.tick(now)
	if got := d.stagesOf("it-chat", "OLD-1"); !slices.Contains(got, "breach/resolution") {
		t.Errorf("reopened today, clock open and breached: it-chat got %v, want the breach", got)
	}
	if len(d.firingOf("am")) == 0 {
		t.Errorf("reopened and breached, but Alertmanager is not firing it")
	}
}

func TestAnOpenRequestFirstSeenPastItsTargetIsAnnouncedAfterTheGraceHour(t *testing.T) {
	// Only a clock that stopped is history: an open one already past its
	// target is a live breach. It waits an hour from when slad first saw
	// it, for an import in progress that might still close it.
	seen := slatest.T0.Add(30 * time.Hour)
	d := newDesk(t, slatest.DeskPolicy())
	d.ingest(seen, slatest.Event("o", "R1", sla.Opened, slatest.T0), slatest.Event("r", "R1", sla.Responded, slatest.T0.Add(time.Minute)))
	d.tick(seen.Add(time.Minute))
	if got := d.stagesOf("it-chat", "R1"); len(got) != 0 {
		t.Errorf("a minute after it was first seen: it-chat got %v, want nothing yet", got)
	}
	d.tick(seen.Add(HistoryAge + time.Minute))
	if got := d.stagesOf("it-chat", "R1"); !slices.Contains(got, "breach/resolution") {
		t.Errorf("open request 26h past its 4h target, still open an hour after slad heard of it: it-chat got %v, want the breach", got)
	}
}

func TestTheGraceHourEndsOnTheWholeSecondAfterIt(t *testing.T) {
	// The deadline index keeps whole seconds: a tick in the grace's last
	// second, before its end, must find the request due at a later second,
	// not due again at once.
	seen := slatest.T0.Add(30*time.Hour + 500*time.Millisecond)
	d := newDesk(t, slatest.DeskPolicy())
	d.ingest(seen, slatest.Event("o", "R1", sla.Opened, slatest.T0), slatest.Event("r", "R1", sla.Responded, slatest.T0.Add(time.Minute)))
	tick := seen.Add(HistoryAge - 250*time.Millisecond)
	if res := d.tick(tick); res.Fired != 0 {
		t.Errorf("a tick before the grace's end fired %+v", res)
	}
	if due, ok := d.due("R1"); !ok || due.Unix() <= tick.Unix() {
		t.Errorf("after the tick at %s the request is due at %s (indexed %v); want the next second", tick.Format(time.StampMilli), due.Format(time.StampMilli), ok)
	}
	if res := d.tick(tick.Add(time.Second)); res.Fired == 0 {
		t.Errorf("the tick after the grace's end fired nothing")
	}
}

func TestABreachThatHappenedWhileSladKnewTheRequestIsNewsWhateverComesFirst(t *testing.T) {
	// History is judged against when slad first heard of the clock, not
	// against the refold that finds it stopped. slad knew the request was
	// open; it was down from 1h to 6h while the clock breached at 4h and
	// stopped at 4h30m. At 6h the buffered resolved event and the catch-up
	// tick come in either order.
	run := func(tickFirst bool) []string {
		d := newDesk(t, slatest.DeskPolicy())
		d.ingest(slatest.T0, slatest.Event("o", "R1", sla.Opened, slatest.T0), slatest.Event("r", "R1", sla.Responded, slatest.T0.Add(time.Minute)))
		d.tick(slatest.T0.Add(time.Minute))
		now := slatest.T0.Add(6 * time.Hour)
		if tickFirst {
			d.tick(now)
		}
		d.ingest(now, slatest.Event("x", "R1", sla.Resolved, slatest.T0.Add(4*time.Hour+30*time.Minute)))
		d.tick(now)
		return d.stagesOf("it-chat", "R1")
	}
	// A tick that runs first knows less: it also escalates (the clock was
	// open past 5h as far as it knew). Either way the breach is announced
	// and then declared over.
	for _, tickFirst := range []bool{true, false} {
		if got := run(tickFirst); !slices.Contains(got, "breach/resolution") || !slices.Contains(got, "resolved/resolution") {
			t.Errorf("tick first %v: it-chat got %v; want the breach and its resolution", tickFirst, got)
		}
	}
}

func TestASparseScheduleDoesNotSilenceALiveBreach(t *testing.T) {
	// Ticks every two hours ("0 */2 * * *"): a later event of the request
	// arriving before the tick finds the clock stopped more than an hour
	// ago with nobody told; every event came live, so its breach is news.
	d := newDesk(t, slatest.DeskPolicy())
	live := func(e sla.Event) { d.ingest(e.At, e) }
	live(slatest.Event("o", "R1", sla.Opened, slatest.T0))
	d.tick(slatest.T0)
	live(slatest.Event("r", "R1", sla.Responded, slatest.T0.Add(45*time.Minute))) // 30m target breached at 30m01s
	live(slatest.Event("p", "R1", sla.Paused, slatest.T0.Add(110*time.Minute), slatest.WaitingForCustomer))
	d.tick(slatest.T0.Add(2 * time.Hour))
	if got := d.stagesOf("it-chat", "R1"); !slices.Equal(got, []string{"breach/response", "resolved/response"}) {
		t.Errorf("every event arrived live; the response breach at 30m01s was due at this tick; it-chat got %v, want [breach/response resolved/response]", got)
	}
}

func TestAClockStoredBeforeFirstSeenExistedKeepsItsEscalationsOnTime(t *testing.T) {
	// A state without FirstSeen (written by a slad that did not keep it)
	// must not read as "first seen now, breached long before": the grace
	// hour would hold back the next escalation after any event.
	p := slatest.DeskPolicy()
	p.SLAs[0].Escalate = append(p.SLAs[0].Escalate, sla.Escalation{After: 150 * time.Minute, Notify: []string{"cto"}})
	d := newDesk(t, p)
	d.ingest(slatest.T0, slatest.Event("o", "R1", sla.Opened, slatest.T0), slatest.Event("r", "R1", sla.Responded, slatest.T0.Add(time.Minute)))
	d.tick(slatest.T0.Add(4*time.Hour + 10*time.Minute)) // breach
	d.tick(slatest.T0.Add(5*time.Hour + 10*time.Minute)) // escalation-1
	_, st := d.request("R1")
	st.FirstSeen = nil
	now := slatest.T0.Add(6 * time.Hour)
	d.ingest(now, slatest.Event("u", "R1", sla.Updated, now, func(e *sla.Event) { e.Title = "VPN down" }))
	d.tick(slatest.T0.Add(6*time.Hour + 40*time.Minute)) // escalation-2 was due at 4h+2h30m
	if got := d.stagesOf("cto", "R1"); len(got) != 1 {
		t.Errorf("escalation-2 was due at 6h30m; at 6h40m cto got %v", got)
	}
}

func TestAClockSettlesAnHourAfterSladFirstSawIt(t *testing.T) {
	seen := slatest.T0.Add(30 * 24 * time.Hour) // when slad first saw the clock
	longAgo, recently := slatest.T0, seen.Add(-10*time.Minute)
	tests := map[string]struct {
		clock sla.Clock
		now   time.Time
		want  bool
	}{
		"a clock that stopped long before slad saw it waits": {
			clock: sla.Clock{Stopped: longAgo, Since: longAgo}, now: seen.Add(59 * time.Minute),
		},
		"it is settled an hour after slad saw it": {
			clock: sla.Clock{Stopped: longAgo, Since: longAgo}, now: seen.Add(time.Hour), want: true,
		},
		"an open clock that breached long ago waits": {
			clock: sla.Clock{Counting: true, Since: seen, BreachedAt: longAgo}, now: seen,
		},
		"a clock that stopped just before slad saw it is settled at once": {
			clock: sla.Clock{Stopped: recently, Since: recently}, now: seen, want: true,
		},
		"an open clock slad saw breach is settled at once": {
			clock: sla.Clock{Counting: true, Since: seen, BreachedAt: seen.Add(time.Minute)}, now: seen.Add(2 * time.Minute), want: true,
		},
		"an open clock that has not breached is settled": {
			clock: sla.Clock{Counting: true, Since: seen}, now: seen, want: true,
		},
		"a cancelled clock that never breached is settled": {
			clock: sla.Clock{Cancelled: true, Stopped: longAgo, Since: longAgo}, now: seen, want: true,
		},
		"a cancelled clock that breached long before slad saw it waits": {
			clock: sla.Clock{Cancelled: true, Stopped: longAgo.Add(time.Hour), Since: longAgo.Add(time.Hour), BreachedAt: longAgo}, now: seen.Add(59 * time.Minute),
		},
		"a cancelled clock that breached long ago is settled an hour after slad saw it": {
			clock: sla.Clock{Cancelled: true, Stopped: longAgo.Add(time.Hour), Since: longAgo.Add(time.Hour), BreachedAt: longAgo}, now: seen.Add(time.Hour), want: true,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			tc.clock.SLA, tc.clock.Target = "it-sales", sla.Resolution
			st := State{FirstSeen: map[string]time.Time{tc.clock.Key(): seen}}
			if got := st.Settled(&tc.clock, tc.now); got != tc.want {
				t.Errorf("Settled at %s = %v, want %v", tc.now.Sub(seen), got, tc.want)
			}
		})
	}
}

// The evaluator looks at an imported, closed request again when it settles,
// so that the totals then count it.
func TestNextDueIncludesWhenAnImportedClockSettles(t *testing.T) {
	d := newDesk(t, slatest.DeskPolicy())
	importedAt := slatest.T0.Add(30 * 24 * time.Hour)
	d.ingest(importedAt,
		slatest.Event("o", "R1", sla.Opened, slatest.T0),
		slatest.Event("r", "R1", sla.Responded, slatest.T0.Add(10*time.Minute)),
		slatest.Event("x", "R1", sla.Resolved, slatest.T0.Add(time.Hour)))
	due, ok := d.due("R1")
	if want := importedAt.Add(HistoryAge); !ok || !due.Equal(want) {
		t.Errorf("next due = %s (%v), want %s, when the import settles", due, ok, want)
	}
	d.tick(importedAt.Add(HistoryAge))
	if due, ok := d.due("R1"); ok {
		t.Errorf("next due after settling = %s, want none", due)
	}
}

// The catch-up of an open clock imported long after it breached may come
// a few ticks late (Due.OnlyHistory: the store takes it after every live
// alert); a request with anything else to look at may not wait.
func TestOnlyTheCatchUpOfImportedBreachesAndSettlingMayWait(t *testing.T) {
	seen := slatest.T0.Add(30 * time.Hour)
	for _, tc := range []struct {
		name                     string
		events                   []sla.Event
		at                       time.Time // when NextDue says the request is due
		onlyHistory, onlySettles bool
	}{
		{
			name:        "open, breached a day before slad saw it",
			events:      []sla.Event{slatest.Event("o", "R1", sla.Opened, slatest.T0), slatest.Event("r", "R1", sla.Responded, slatest.T0.Add(time.Minute))},
			at:          seen.Add(HistoryAge),
			onlyHistory: true,
		},
		{
			name:   "open, its response breached 90 minutes before slad saw it, its resolution due 2 hours after",
			events: []sla.Event{slatest.Event("o", "R1", sla.Opened, seen.Add(-2*time.Hour))},
			at:     seen, // the resolution's warning, news
		},
		{
			name:   "open, breaching 30 minutes after slad saw it",
			events: []sla.Event{slatest.Event("o", "R1", sla.Opened, seen.Add(-3*time.Hour-30*time.Minute)), slatest.Event("r", "R1", sla.Responded, seen.Add(-3*time.Hour))},
			at:     seen, // its warning, news
		},
		{
			name: "resolved, breached a day before slad saw it",
			events: []sla.Event{slatest.Event("o", "R1", sla.Opened, slatest.T0), slatest.Event("r", "R1", sla.Responded, slatest.T0.Add(time.Minute)),
				slatest.Event("x", "R1", sla.Resolved, slatest.T0.Add(6*time.Hour))},
			at:          seen.Add(HistoryAge),
			onlyHistory: true, onlySettles: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDesk(t, slatest.DeskPolicy())
			d.ingest(seen, tc.events...)
			r := d.reqs["R1"]
			live := r.req.At(d.p, seen)
			due, ok := NextDue(d.p, &r.st, &live, seen)
			if !ok || !due.At.Equal(tc.at) || due.OnlyHistory != tc.onlyHistory || due.OnlySettles != tc.onlySettles {
				t.Fatalf("NextDue = %+v (%v); want at %s, only history %v, only settles %v", due, ok, tc.at, tc.onlyHistory, tc.onlySettles)
			}
		})
	}
}

// TestWhyABreachHasNoAlertYetIsToldByItsGraceOrItsHistory: an open clock
// first seen past its target tells when its alert may go out (the end of
// the grace hour); a clock that had stopped long before is history, told
// as such, and waits for nothing.
func TestWhyABreachHasNoAlertYetIsToldByItsGraceOrItsHistory(t *testing.T) {
	seen := slatest.T0.Add(30 * time.Hour)
	d := newDesk(t, slatest.DeskPolicy())
	d.ingest(seen, slatest.Event("o", "OPEN", sla.Opened, slatest.T0), slatest.Event("r", "OPEN", sla.Responded, slatest.T0.Add(time.Minute)))
	d.ingest(seen, slatest.Event("o2", "OLD", sla.Opened, slatest.T0), slatest.Event("r2", "OLD", sla.Responded, slatest.T0.Add(time.Minute)), slatest.Event("x2", "OLD", sla.Resolved, slatest.T0.Add(5*time.Hour)))
	d.tick(seen.Add(time.Minute))

	r, st := d.request("OPEN")
	live := r.At(d.p, seen.Add(time.Minute))
	res := live.Clock("it-sales", sla.Resolution)
	if got, want := st.AlertsWaitUntil(res), seen.Add(HistoryAge); !got.Equal(want) || st.BreachWasHistory(res) {
		t.Errorf("open clock first seen 26h past its target: alerts wait until %s (history %v); want %s, not history", got, st.BreachWasHistory(res), want)
	}
	if resp := live.Clock("it-sales", sla.Response); !st.AlertsWaitUntil(resp).IsZero() || st.BreachWasHistory(resp) {
		t.Errorf("the response clock, met in a minute, waits until %s (history %v); want nothing", st.AlertsWaitUntil(resp), st.BreachWasHistory(resp))
	}

	r, st = d.request("OLD")
	res = r.Clock("it-sales", sla.Resolution)
	if !res.Breached() || !st.BreachWasHistory(res) || !st.AlertsWaitUntil(res).IsZero() {
		t.Errorf("a clock that breached and stopped a day before slad heard of it: breached %v, history %v, waits until %s; want breached history, waiting for nothing",
			res.Breached(), st.BreachWasHistory(res), st.AlertsWaitUntil(res))
	}
}
