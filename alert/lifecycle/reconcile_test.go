package lifecycle

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// Late, out-of-order events can show that a breach already announced (and
// re-posted to Alertmanager) never happened. Once the request is resolved
// the alert must end: the firing entry is cleared even though the clock is
// not breached now.
func TestABreachUndoneByLatePausesStopsFiringOnceResolved(t *testing.T) {
	d := newDesk(t, slatest.DeskPolicy())
	now := d.breachTold()
	if f := d.firingOf("am"); len(f) != 1 {
		t.Fatalf("firing before late events = %+v", f)
	}
	// The ticket tool delivers a pause it had buffered: the customer was
	// asked for details from 1h to 3h. Elapsed is 2h10m: no breach.
	now = now.Add(5 * time.Minute)
	d.ingest(now,
		slatest.Event("p", "R1", sla.Paused, slatest.T0.Add(time.Hour), slatest.WaitingForCustomer),
		slatest.Event("u", "R1", sla.Resumed, slatest.T0.Add(3*time.Hour)),
		slatest.Event("x", "R1", sla.Resolved, now))
	d.tick(now)
	r, _ := d.request("R1")
	if c := r.Clock("it-sales", sla.Resolution); c.State() != sla.StateMet {
		t.Fatalf("precondition: clock state = %s, want met", c.State())
	}
	if f := d.firingOf("am"); len(f) != 0 {
		t.Errorf("the request is resolved within target, yet Alertmanager keeps being sent its breach: firing = %+v", f)
	}
}

func TestABreachUndoneByLateEventsIsDeclaredOverToThoseToldAtOnce(t *testing.T) {
	d := newDesk(t, slatest.DeskPolicy())
	now := d.breachTold()
	// Late pause from 1h to 3h: the clock is at 2h10m and still open.
	queued := d.ingest(now, slatest.Event("p", "R1", sla.Paused, slatest.T0.Add(time.Hour), slatest.WaitingForCustomer), slatest.Event("u", "R1", sla.Resumed, slatest.T0.Add(3*time.Hour)))
	if queued != 2 {
		t.Errorf("the late events queued %d alerts; want resolved for it-chat and am", queued)
	}
	for _, rcv := range []string{"it-chat", "am"} {
		if got := d.stagesOf(rcv, "R1"); !slices.Equal(got, []string{"breach/resolution", "resolved/resolution"}) {
			t.Errorf("%s got %v; want the breach, then resolved", rcv, got)
		}
		if f := d.firingOf(rcv); len(f) != 0 {
			t.Errorf("%s: the undone breach is still firing: %+v", rcv, f)
		}
	}
}

func TestARealBreachAfterAnUndoneOneIsStillAnnounced(t *testing.T) {
	// The undone breach's mark must go with it: otherwise the real breach
	// later is never announced, and only its escalation goes out, to
	// people who never heard of a breach.
	d := newDesk(t, slatest.DeskPolicy())
	now := d.breachTold()
	// Late pause from 1h to 3h: the clock is at 2h10m, so no breach yet.
	d.ingest(now, slatest.Event("p", "R1", sla.Paused, slatest.T0.Add(time.Hour), slatest.WaitingForCustomer), slatest.Event("u", "R1", sla.Resumed, slatest.T0.Add(3*time.Hour)))
	// It really breaches at 6h00m01s; tick at 6h05m.
	now = slatest.T0.Add(6*time.Hour + 5*time.Minute)
	res := d.tick(now)
	r, _ := d.request("R1")
	if c := r.Clock("it-sales", sla.Resolution); c.At(now, sla.AlwaysOpen()).State != sla.StateBreached {
		t.Fatalf("precondition: clock not breached at %s: %+v", now, c)
	}
	breaches := 0
	for _, n := range d.outbox["it-chat"] {
		if n.Stage == StageBreach && n.FiredAt.Equal(now) {
			breaches++
		}
	}
	if breaches != 1 {
		t.Errorf("the clock breached at 6h but this tick queued %d breach alerts (tick: %+v); want 1", breaches, res)
	}
}

// withoutSLAs is the desk policy after a reload that removed every SLA
// (departments and their receivers unchanged).
func withoutSLAs() *sla.Policy {
	p := slatest.DeskPolicy()
	p.SLAs = nil
	return p
}

func TestRemovingAnSLAByAReloadEndsItsFiringBreachesOnceResolved(t *testing.T) {
	// The removed SLA's clock disappears when the reload re-matches the
	// request; its breach must not stay firing for Alertmanager for ever.
	d := newDesk(t, slatest.DeskPolicy())
	now := d.breachTold()
	d.reload(withoutSLAs(), now)
	now = now.Add(time.Minute)
	d.ingest(now, slatest.Event("x", "R1", sla.Resolved, now))
	d.tick(now)
	if f := d.firingOf("am"); len(f) != 0 {
		t.Errorf("the SLA was removed and the request resolved, yet %d breach notice(s) stay firing for Alertmanager", len(f))
	}
}

func TestAReopenedBreachedRequestIsFiringAgainWhileOpen(t *testing.T) {
	// After "resolved", a reopened request whose clock is still breached is
	// firing again (re-posted to Alertmanager while the breach is open).
	d := newDesk(t, slatest.DeskPolicy())
	now := d.breachTold()
	now = now.Add(time.Minute)
	d.ingest(now, slatest.Event("x", "R1", sla.Resolved, now))
	d.tick(now)
	now = now.Add(time.Minute)
	d.ingest(now, slatest.Event("re", "R1", sla.Reopened, now))
	d.tick(now)
	r, _ := d.request("R1")
	if c := r.Clock("it-sales", sla.Resolution); !c.Open() || !c.Breached() {
		t.Fatalf("precondition: clock = %+v", c)
	}
	if f := d.firingOf("am"); len(f) != 1 {
		t.Errorf("the request is open again with its clock breached, but Alertmanager is not re-sent the breach (firing = %d): it shows the breach as resolved", len(f))
	}
}

func TestAResolvedBreachIsAnnouncedEvenIfAReloadRemovesItsSLABeforeTheTick(t *testing.T) {
	// The reload re-matches open requests only, so the resolved one keeps
	// its clock of an SLA that no longer exists: the "resolved" owed to
	// those told of the breach is still sent.
	d := newDesk(t, slatest.DeskPolicy())
	now := d.breachTold()
	now = now.Add(10 * time.Second)
	d.ingest(now, slatest.Event("x", "R1", sla.Resolved, now))
	d.reload(withoutSLAs(), now)
	d.tick(now.Add(20 * time.Second))
	if f := d.firingOf("am"); len(f) != 0 {
		t.Errorf("request resolved, yet Alertmanager keeps being sent %d firing notice(s)", len(f))
	}
	if got := d.stagesOf("it-chat", "R1"); len(got) != 2 || got[1] != "resolved/resolution" {
		t.Errorf("it-chat got %v; want the breach, then resolved", got)
	}
}

func TestATemporarilyRemovedSLALosesNoPendingAlertOfAClosedRequest(t *testing.T) {
	// Breached at 4h, resolved at 4h20m before any tick: breach and
	// resolved are owed. A reload removes the SLA for a while (a bad edit,
	// reverted): the closed request is looked at again hourly, and once
	// the SLA is back both go out.
	d := newDesk(t, slatest.DeskPolicy())
	d.ingest(slatest.T0, slatest.Event("o", "R1", sla.Opened, slatest.T0), slatest.Event("r", "R1", sla.Responded, slatest.T0.Add(time.Minute)))
	now := slatest.T0.Add(4*time.Hour + 20*time.Minute)
	d.ingest(now, slatest.Event("x", "R1", sla.Resolved, now))
	d.reload(withoutSLAs(), now)
	now = now.Add(time.Minute)
	d.tick(now)
	d.reload(slatest.DeskPolicy(), now)
	now = now.Add(time.Hour)
	d.tick(now)
	if got := d.stagesOf("it-chat", "R1"); len(got) != 2 {
		_, st := d.request("R1")
		_, indexed := d.due("R1")
		t.Errorf("SLA back in force, request resolved 22 min ago after a breach: it-chat got %v, want breach and resolved (fired %v, due indexed: %v)", got, st.Fired, indexed)
	}
}

// TestABreachWhoseSLAAReloadRemovesEndsWithoutSayingItsClockStopped: a
// reload removes the SLA of an open request's told breach. Those told
// are sent that the breach is over, marked untimed (sla_removed), in a
// sentence that names the SLA and says why, not "IT's clock stopped
// after": nothing stopped it, and nobody finished the request.
func TestABreachWhoseSLAAReloadRemovesEndsWithoutSayingItsClockStopped(t *testing.T) {
	d := newDesk(t, slatest.DeskPolicy())
	now := d.breachTold()
	d.reload(withoutSLAs(), now.Add(time.Minute))
	var resolved []Notice
	for _, n := range d.outbox["it-chat"] {
		if n.Stage == StageResolved {
			resolved = append(resolved, n)
		}
	}
	if len(resolved) != 1 {
		t.Fatalf("it-chat was sent %d resolved notices, want 1", len(resolved))
	}
	n := resolved[0]
	want := `The resolution clock of SLA "it-sales" for sales' P1 request R1 is no longer timed: a reload removed the SLA (it stood 11m over its 4h target); the breach is over`
	if n.Untimed != UntimedSLARemoved || !strings.HasPrefix(n.Summary(), want) || strings.Contains(n.Summary(), "stopped") {
		t.Errorf("untimed %q, summary %q; want sla_removed and a summary starting %q", n.Untimed, n.Summary(), want)
	}
}
