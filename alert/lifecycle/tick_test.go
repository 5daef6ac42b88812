package lifecycle

import (
	"testing"
	"time"

	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// The tests of Tick: catch-up after downtime, escalations counted from the
// breach, and the "resolved" owed to everyone told.

func TestATickAfterDowntimeSendsTheMostAdvancedStageAndEveryEscalation(t *testing.T) {
	d := newDesk(t, slatest.DeskPolicy())
	d.ingest(slatest.T0, slatest.Event("o", "R1", sla.Opened, slatest.T0), slatest.Event("r", "R1", sla.Responded, slatest.T0.Add(time.Minute)))
	if res := d.tick(slatest.T0.Add(time.Minute)); res.Fired != 0 {
		t.Fatalf("early tick: %+v", res)
	}
	// Down until 5h10m later: breached (4h) and escalated (5h); the 50%
	// warning is stale and skipped.
	now := slatest.T0.Add(5*time.Hour + 10*time.Minute)
	if res := d.tick(now); res.Fired != 2 || res.Skipped != 1 {
		t.Fatalf("catch-up tick: %+v, want 2 fired (breach, escalation), 1 skipped (warning)", res)
	}
	// breach → it-chat, am; escalation → it-chat, am, boss
	if n := [3]int{len(d.outbox["it-chat"]), len(d.outbox["am"]), len(d.outbox["boss"])}; n != [3]int{2, 2, 1} {
		t.Fatalf("queued for it-chat, am, boss: %v; want 2, 2, 1", n)
	}
	if res := d.tick(now); res.Fired != 0 {
		t.Fatalf("repeated tick fired again: %+v", res)
	}
	if f := d.firingOf("am"); len(f) != 2 || f[0].Stage != StageBreach || f[1].Stage != StageEscalation {
		t.Fatalf("firing = %+v, want the breach and the escalation", f)
	}
	// Resolved: everyone told of the breach, the boss too, hears it is over.
	now = now.Add(time.Minute)
	d.ingest(now, slatest.Event("x", "R1", sla.Resolved, now))
	if res := d.tick(now); res.Fired != 1 || res.Queued != 3 {
		t.Fatalf("resolved tick: %+v, want 1 fired, queued for it-chat, am and boss", res)
	}
	if f := d.firingOf("am"); len(f) != 0 {
		t.Fatalf("still firing after resolve: %+v", f)
	}
	if due, ok := d.due("R1"); ok {
		t.Fatalf("nothing is owed any more, yet the request is due at %s", due)
	}
}

func TestAnEscalationComesAfterTheBreachThatAPriorityChangeCauses(t *testing.T) {
	// README: an escalation fires "that much business time after the
	// breach". A P2 request (24h) raised to P1 (4h) at 6h breaches at that
	// moment; its 1h escalation is due an hour later, not at once (the
	// limit plus an hour, 5h, has passed).
	d := newDesk(t, slatest.DeskPolicy())
	p2 := func(e *sla.Event) { e.Priority = "P2" }
	d.ingest(slatest.T0, slatest.Event("o", "R1", sla.Opened, slatest.T0, p2), slatest.Event("r", "R1", sla.Responded, slatest.T0.Add(time.Minute)))
	up := slatest.T0.Add(6 * time.Hour)
	d.tick(up) // the 12h warning is not due yet
	d.ingest(up, slatest.Event("u", "R1", sla.Updated, up, func(e *sla.Event) { e.Priority = "P1" }))
	d.tick(up.Add(time.Minute))
	r, _ := d.request("R1")
	if c := r.Clock("it-sales", sla.Resolution); c == nil || !c.BreachedAt.Equal(up) {
		t.Fatalf("precondition: clock %+v, want breached at the update", c)
	}
	if got := d.stagesOf("boss", "R1"); len(got) != 0 {
		t.Errorf("one minute after the breach the boss already got %v; the 1h escalation is due at %s", got, up.Add(time.Hour).Format(time.TimeOnly))
	}
}

func TestAnEscalationAfterZeroDoesNotFireOnAClockExactlyAtItsLimit(t *testing.T) {
	// escalate {after: 0s} means "at the breach"; a clock paused exactly at
	// its limit has not breached, so nobody is escalated to (nor later told
	// "resolved" of a request that met its target).
	p := slatest.DeskPolicy()
	p.SLAs[0].Escalate = []sla.Escalation{{After: 0, Notify: []string{"boss"}}}
	d := newDesk(t, p)
	d.ingest(slatest.T0, slatest.Event("o", "R1", sla.Opened, slatest.T0), slatest.Event("r", "R1", sla.Responded, slatest.T0.Add(time.Minute)))
	at := slatest.T0.Add(4 * time.Hour) // elapsed = limit exactly
	d.ingest(at, slatest.Event("p", "R1", sla.Paused, at, slatest.WaitingForCustomer))
	d.tick(at.Add(time.Hour))
	r, _ := d.request("R1")
	if c := r.Clock("it-sales", sla.Resolution); c.Breached() {
		t.Fatalf("precondition: clock breached: %+v", c)
	}
	if got := d.stagesOf("boss", "R1"); len(got) != 0 {
		t.Errorf("a clock exactly at its limit (not breached) escalated to the boss: %v", got)
	}
}

func TestAnEscalationFollowsTheBreachWhenTheTargetIsRaisedAfterIt(t *testing.T) {
	// A P1 request breaches at 4h; at 4h30m it is lowered to P2 (24h). It
	// stays breached, and its escalation stays due an hour after the
	// breach, not an hour after the new limit.
	d := newDesk(t, slatest.DeskPolicy())
	d.breachTold()
	now := slatest.T0.Add(4*time.Hour + 30*time.Minute)
	d.ingest(now, slatest.Event("u", "R1", sla.Updated, now, func(e *sla.Event) { e.Priority = "P2" }))
	d.tick(slatest.T0.Add(5*time.Hour + 10*time.Minute))
	r, _ := d.request("R1")
	if c := r.Clock("it-sales", sla.Resolution); !c.Breached() {
		t.Fatalf("precondition: clock no longer breached: %+v", c)
	}
	if got := d.stagesOf("boss", "R1"); len(got) != 1 {
		t.Errorf("1h10m after the breach, still unresolved: boss got %v, want escalation-1", got)
	}
}
