package lifecycle

import (
	"testing"
	"time"

	"github.com/slad-project/slad/sla"
)

// Late, out-of-order events can show that a breach already announced (and
// re-posted to Alertmanager) never happened. Once the request is resolved
// the alert must end: the firing entry is cleared even though the clock is
// not breached now.
func TestABreachUndoneByLatePausesStopsFiringOnceResolved(t *testing.T) {
	d := newDesk(t, deskPolicy())
	d.ingest(t0, ev("o", "R1", sla.Opened, t0), ev("r", "R1", sla.Responded, t0.Add(time.Minute)))
	now := t0.Add(4*time.Hour + 10*time.Minute)
	if res := d.tick(now); res.Fired != 1 {
		t.Fatalf("breach tick: %+v", res)
	}
	if f := d.firingOf("am"); len(f) != 1 {
		t.Fatalf("firing before late events = %+v", f)
	}
	// The ticket tool delivers a pause it had buffered: the customer was
	// asked for details from 1h to 3h. Elapsed is 2h10m: no breach.
	now = now.Add(5 * time.Minute)
	d.ingest(now,
		ev("p", "R1", sla.Paused, t0.Add(time.Hour), waitingForCustomer),
		ev("u", "R1", sla.Resumed, t0.Add(3*time.Hour)),
		ev("x", "R1", sla.Resolved, now))
	d.tick(now)
	r, _ := d.request("R1")
	if c := r.Clock("it-sales", sla.Resolution); c.State() != sla.StateMet {
		t.Fatalf("precondition: clock state = %s, want met", c.State())
	}
	if f := d.firingOf("am"); len(f) != 0 {
		t.Errorf("the request is resolved within target, yet Alertmanager keeps being sent its breach: firing = %+v", f)
	}
}
