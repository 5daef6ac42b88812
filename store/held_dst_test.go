package store

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// newYorkQuiet is the desk policy with IT's alerts held outside Mon-Fri
// 09:00-17:00 New York, closed on the holidays given; am takes no hours.
func newYorkQuiet(t *testing.T, holidays ...string) *sla.Policy {
	p := slatest.DeskPolicy()
	p.Departments["it"].Hours = &sla.NotifyHours{Calendar: slatest.OfficeIn(t, slatest.Zone(t, "America/New_York"), holidays...)}
	p.ReceiverHours = map[string]*sla.NotifyHours{"am": {}}
	return p
}

// Alerts held over the weekend New York's clocks go back (Sunday 1
// November 2026) are due at Monday 09:00 EST, 14:00 UTC — not 13:00, which
// was 09:00 on Friday's offset — through a restart, and a reload that
// makes that Monday a holiday moves them to Tuesday 09:00 EST. A
// "resolved" held that weekend goes out with them, after the breach its
// receiver heard on Friday.
func TestAlertsHeldOverTheWeekendTheClocksGoBackAreDueAtNineLocalTimeOnTheNextWorkingDay(t *testing.T) {
	var (
		fridayNoon    = time.Date(2026, 10, 30, 15, 0, 0, 0, time.UTC) // 11:00 EDT
		fridayEvening = time.Date(2026, 10, 30, 22, 0, 0, 0, time.UTC) // 18:00 EDT
		monday        = time.Date(2026, 11, 2, 14, 0, 0, 0, time.UTC)  // 09:00 EST
		tuesday       = monday.Add(24 * time.Hour)
	)
	dir := t.TempDir()
	clock := testutil.NewClock(fridayNoon)
	s := openPolicy(t, dir, clock, newYorkQuiet(t))
	ctx := context.Background()
	// R1 breaches at 15:00 EDT, in office hours, and is resolved at
	// 18:30, after closing: its resolved waits. R2, opened at 18:00,
	// breaches at 22:00 and escalates at 23:00: both wait.
	if _, err := s.Append(ctx, []sla.Event{slatest.Event("o1", "R1", sla.Opened, fridayNoon), slatest.Event("r1", "R1", sla.Responded, fridayNoon.Add(time.Minute))}); err != nil {
		t.Fatal(err)
	}
	evaluateAt(t, s, clock, fridayNoon.Add(4*time.Hour+time.Minute))
	clock.Set(fridayEvening)
	if _, err := s.Append(ctx, []sla.Event{
		slatest.Event("o2", "R2", sla.Opened, fridayEvening), slatest.Event("r2", "R2", sla.Responded, fridayEvening.Add(time.Minute)),
		slatest.Event("x1", "R1", sla.Resolved, fridayEvening.Add(30*time.Minute)),
	}); err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Duration{31 * time.Minute, 4*time.Hour + time.Minute, 5*time.Hour + 2*time.Minute} {
		evaluateAt(t, s, clock, fridayEvening.Add(at))
	}
	if got := stagesOf(outboxOf(t, s, "it-chat"), "R1"); !slices.Equal(got, []string{"breach/resolution"}) {
		t.Fatalf("it-chat got %v of R1 on Friday, want the breach alone", got)
	}
	if got := heldStages(t, s, "R1"); !slices.Equal(got, []string{"it-chat:resolved"}) {
		t.Fatalf("held of R1: %v, want it-chat's resolved", got)
	}
	if got := heldStages(t, s, "R2"); !slices.Equal(got, []string{"it-chat:breach", "it-chat:escalation-1", "boss:escalation-1"}) {
		t.Fatalf("held of R2: %v", got)
	}

	// Down on Saturday; back on Sunday, after the clocks went back.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	sunday := time.Date(2026, 11, 1, 16, 0, 0, 0, time.UTC)
	clock.Set(sunday)
	s = openPolicy(t, dir, clock, newYorkQuiet(t))
	if moved, dropped, err := s.Rehold(newYorkQuiet(t), func(string) bool { return true }, sunday); err != nil || moved != 0 || dropped != 0 {
		t.Fatalf("a restart under the same hours moved %d, dropped %d (%v); want nothing changed", moved, dropped, err)
	}
	if next, ok, err := s.NextRelease(); err != nil || !ok || !next.Equal(monday) {
		t.Fatalf("next release %s (%v, %v), want Monday 09:00 EST (%s)", next, ok, err, monday)
	}

	// A reload makes Monday a holiday: Tuesday 09:00 EST.
	if moved, _, err := s.Rehold(newYorkQuiet(t, "2026-11-02"), func(string) bool { return true }, sunday); err != nil || moved != 4 {
		t.Fatalf("the reload moved %d (%v), want the 4 held", moved, err)
	}
	for _, id := range []string{"R1", "R2"} {
		for _, a := range mustHeld(t, s, id) {
			if !a.Until.Equal(tuesday) || !a.Notice.HeldUntil.Equal(tuesday) {
				t.Errorf("%s's %s of %s due %s (says %s), want Tuesday 09:00 EST", a.Receiver, a.Notice.StageKey, id, a.Until, a.Notice.HeldUntil)
			}
		}
	}
	for _, early := range []time.Time{monday.Add(-time.Hour), monday, tuesday.Add(-time.Hour), tuesday.Add(-time.Second)} {
		if got, err := s.ReleaseHeld(early); err != nil || len(got) != 0 {
			t.Fatalf("released %d at %s (%v), before Tuesday's opening", len(got), early, err)
		}
	}
	got, err := s.ReleaseHeld(tuesday)
	if err != nil || len(got) != 4 {
		t.Fatalf("released %d at Tuesday's opening (%v), want 4", len(got), err)
	}
	if got := stagesOf(outboxOf(t, s, "it-chat"), "R1"); !slices.Equal(got, []string{"breach/resolution", "resolved/resolution"}) {
		t.Errorf("it-chat got %v of R1, want the breach, then the resolved", got)
	}
	if got := stagesOf(outboxOf(t, s, "it-chat"), "R2"); !slices.Equal(got, []string{"breach/resolution", "escalation-1/resolution"}) {
		t.Errorf("it-chat got %v of R2, want the breach, then the escalation", got)
	}
}
