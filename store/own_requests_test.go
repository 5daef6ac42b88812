package store

import (
	"context"
	"testing"
	"time"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// TestADepartmentsOwnRequestGetsNoClockOfItsOLAInTheStore replays the
// audit through a database file: Network's OLA over every department
// (net-any, 2h on Berlin office hours) timed Network's own NET-1, opened by
// Network, never handed on and resolved after 3h, and counted Network as
// its own customer. NET-1 gets no net-any clock, Network no customer
// figures or open requests under it; the desk's request handed to Network
// is still measured.
func TestADepartmentsOwnRequestGetsNoClockOfItsOLAInTheStore(t *testing.T) {
	p := slatest.HandoffPolicy(t)
	p.SLAs = append(p.SLAs, &sla.SLA{
		ID: "net-any", Provider: "network", Customers: []string{"*"}, Measures: sla.MeasureHolding,
		Calendar: slatest.Office(t), Resolution: sla.Target{Default: 2 * time.Hour},
		Objective: 0.9, Window: sla.Window{Kind: sla.Rolling, Days: 30},
	})
	t0 := slatest.T0 // Monday 10:00 in Berlin
	clock := testutil.NewClock(t0)
	s := openPolicy(t, t.TempDir(), clock, p)
	network := func(e *sla.Event) { e.Provider = "network" }
	if _, err := s.Append(context.Background(), []sla.Event{
		slatest.Event("n1-o", "NET-1", sla.Opened, t0, network),
		slatest.Event("n1-x", "NET-1", sla.Resolved, t0.Add(3*time.Hour), network),
		slatest.Event("n2-o", "NET-2", sla.Opened, t0, network),
		slatest.Event("i1-o", "IT-1", sla.Opened, t0),
		slatest.Event("i1-a", "IT-1", sla.Assigned, t0.Add(10*time.Minute), func(e *sla.Event) { e.Department = "network" }),
		slatest.Event("i1-x", "IT-1", sla.Resolved, t0.Add(3*time.Hour)),
	}); err != nil {
		t.Fatal(err)
	}
	clock.Set(t0.Add(4 * time.Hour))
	if _, err := s.Evaluate(clock.Now()); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"NET-1", "NET-2"} {
		v, err := s.Request(Ref{Provider: "network", ID: id})
		if err != nil {
			t.Fatal(err)
		}
		if c := v.Request.Clock("net-any", sla.Resolution); c != nil {
			t.Errorf("Network's own %s has a net-any clock: %+v", id, *c)
		}
	}
	day := sla.DateOf(t0)
	all, err := s.WindowFigures("net-any", day, day)
	if err != nil {
		t.Fatal(err)
	}
	if got := all.Targets[sla.Resolution]; got != (sla.Tally{Breached: 1}) {
		t.Errorf("net-any resolutions = %+v, want IT-1's breach alone", got)
	}
	for customer, want := range map[string]sla.Tally{"network": {}, "it": {Breached: 1}} {
		w, err := s.CustomerWindowFigures("net-any", customer, day, day)
		if err != nil {
			t.Fatal(err)
		}
		if got := w.Targets[sla.Resolution]; got != want {
			t.Errorf("net-any resolutions of customer %s = %+v, want %+v", customer, got, want)
		}
	}
	c, err := s.Counters()
	if err != nil {
		t.Fatal(err)
	}
	for k, n := range c.Open {
		if k[0] == "net-any" {
			t.Errorf("net-any has %d open requests of %s for %s, want none (NET-2 is Network's own)", n, k[1], k[2])
		}
	}
}
