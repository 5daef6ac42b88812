package store

import (
	"context"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// Quiet hours as the store keeps them: the desk policy with IT's alerts
// held outside office hours (Mon-Fri 09:00-17:00 Berlin); Alertmanager
// ("am") takes no hours.
var (
	friday     = time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC) // 17:00 in Berlin: closed
	mondayOpen = time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)  // 09:00 in Berlin
)

func quietPolicy(t *testing.T, urgent map[string][]string) *sla.Policy {
	p := slatest.DeskPolicy()
	p.Departments["it"].Hours = &sla.NotifyHours{Calendar: slatest.Office(t), Urgent: urgent}
	p.ReceiverHours = map[string]*sla.NotifyHours{"am": {}}
	return p
}

func mustHeld(t *testing.T, s *Store, id string) []HeldAlert {
	t.Helper()
	held, err := s.HeldFor(Ref{Provider: "it", ID: id})
	if err != nil {
		t.Fatal(err)
	}
	return held
}

// heldStages lists what is held for a request as "receiver:stage key".
func heldStages(t *testing.T, s *Store, id string) []string {
	t.Helper()
	held, err := s.HeldFor(Ref{Provider: "it", ID: id})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range held {
		out = append(out, a.Receiver+":"+a.Notice.StageKey)
	}
	return out
}

func evaluateAt(t *testing.T, s *Store, clock *testutil.Clock, now time.Time) {
	t.Helper()
	clock.Set(now)
	if _, err := s.Evaluate(now); err != nil {
		t.Fatal(err)
	}
}

// breachOnFridayEvening opens R1 (P1, 4h) on Friday at 17:00 Berlin,
// answered at once, and evaluates through its warning (2h), breach (4h)
// and escalation (5h): all outside office hours.
func breachOnFridayEvening(t *testing.T, s *Store, clock *testutil.Clock) {
	t.Helper()
	clock.Set(friday)
	if _, err := s.Append(context.Background(), []sla.Event{
		slatest.Event("o", "R1", sla.Opened, friday), slatest.Event("r", "R1", sla.Responded, friday.Add(time.Minute)),
	}); err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Duration{2*time.Hour + 30*time.Second, 4*time.Hour + time.Minute, 5*time.Hour + 2*time.Minute} {
		evaluateAt(t, s, clock, friday.Add(at))
	}
}

func TestAlertsHeldOverTheWeekendGoOutWhenTheOfficeOpensInFiringOrderOnceEvenAfterARestart(t *testing.T) {
	dir := t.TempDir()
	clock := testutil.NewClock(friday)
	s := openPolicy(t, dir, clock, quietPolicy(t, nil))
	breachOnFridayEvening(t, s, clock)

	// Alertmanager takes no hours: it heard everything at once.
	if got := stagesOf(outboxOf(t, s, "am"), "R1"); !slices.Equal(got, []string{"warning-50%/resolution", "breach/resolution", "escalation-1/resolution"}) {
		t.Errorf("am got %v at once; want warning, breach, escalation", got)
	}
	if got := outboxOf(t, s, "it-chat"); len(got) != 0 {
		t.Errorf("it-chat was sent %v outside office hours", stagesOf(got, "R1"))
	}
	// The breach superseded the held warning.
	want := []string{"it-chat:breach", "it-chat:escalation-1", "boss:escalation-1"}
	if got := heldStages(t, s, "R1"); !slices.Equal(got, want) {
		t.Fatalf("held %v, want %v", got, want)
	}

	// A restart keeps them.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openPolicy(t, dir, clock, quietPolicy(t, nil))
	if next, ok, err := s.NextRelease(); err != nil || !ok || !next.Equal(mondayOpen) {
		t.Fatalf("next release = %s %v %v, want Monday 09:00 Berlin (%s)", next, ok, err, mondayOpen)
	}
	for _, a := range mustHeld(t, s, "R1") {
		if !a.Notice.HeldUntil.Equal(mondayOpen) {
			t.Errorf("%s's %s says it is held until %s, want Monday's opening", a.Receiver, a.Notice.StageKey, a.Notice.HeldUntil)
		}
	}
	if got, err := s.ReleaseHeld(mondayOpen.Add(-time.Second)); err != nil || len(got) != 0 {
		t.Fatalf("a second before the office opens, released %d (%v)", len(got), err)
	}
	got, err := s.ReleaseHeld(mondayOpen)
	if err != nil || len(got) != 3 {
		t.Fatalf("released %d at the opening (%v), want 3", len(got), err)
	}
	if got := stagesOf(outboxOf(t, s, "it-chat"), "R1"); !slices.Equal(got, []string{"breach/resolution", "escalation-1/resolution"}) {
		t.Errorf("it-chat got %v on Monday; want the breach, then the escalation", got)
	}
	if got := stagesOf(outboxOf(t, s, "boss"), "R1"); !slices.Equal(got, []string{"escalation-1/resolution"}) {
		t.Errorf("boss got %v on Monday", got)
	}
	if again, _ := s.ReleaseHeld(mondayOpen.Add(time.Hour)); len(again) != 0 {
		t.Errorf("released %d again", len(again))
	}
	if p, _ := s.PendingAlerts(); p["it-chat"] != 2 || p["boss"] != 1 {
		t.Errorf("pending counts %v after the release", p)
	}
}

func TestAResolutionBeforeTheOfficeOpensDropsWhatWasHeldAndTellsOnlyThoseWhoHeardTheBreach(t *testing.T) {
	clock := testutil.NewClock(friday)
	s := openPolicy(t, t.TempDir(), clock, quietPolicy(t, nil))
	breachOnFridayEvening(t, s, clock)
	saturday := friday.Add(18 * time.Hour)
	clock.Set(saturday)
	if _, err := s.Append(context.Background(), []sla.Event{slatest.Event("x", "R1", sla.Resolved, saturday)}); err != nil {
		t.Fatal(err)
	}
	evaluateAt(t, s, clock, saturday.Add(time.Minute))
	if got := heldStages(t, s, "R1"); len(got) != 0 {
		t.Errorf("still held after the resolution: %v", got)
	}
	if got := stagesOf(outboxOf(t, s, "am"), "R1"); got[len(got)-1] != "resolved/resolution" {
		t.Errorf("am, told of the breach, got %v; want a resolved last", got)
	}
	for _, rcv := range []string{"it-chat", "boss"} {
		if got := outboxOf(t, s, rcv); len(got) != 0 {
			t.Errorf("%s heard nothing of the breach yet got %v", rcv, stagesOf(got, "R1"))
		}
	}
	if got, _ := s.ReleaseHeld(mondayOpen); len(got) != 0 {
		t.Errorf("released %d on Monday for a request resolved on Saturday", len(got))
	}
}

// The record stops counting as told a receiver whose breach was dropped
// held (lifecycle.State.Untell), so a reopening and a second resolution
// owe it nothing either (seed 1796149309648588587 of
// TestQuietHoursHoldOverRandomLives).
func TestAReceiverWhoseBreachWasDroppedHeldGetsNoResolvedAfterAReopening(t *testing.T) {
	clock := testutil.NewClock(friday)
	s := openPolicy(t, t.TempDir(), clock, quietPolicy(t, nil))
	breachOnFridayEvening(t, s, clock)
	ctx := context.Background()
	saturday := friday.Add(18 * time.Hour)
	for i, e := range []sla.Event{
		slatest.Event("x1", "R1", sla.Resolved, saturday),
		slatest.Event("ro", "R1", sla.Reopened, saturday.Add(time.Hour)),
		slatest.Event("x2", "R1", sla.Resolved, saturday.Add(2*time.Hour)),
	} {
		clock.Set(e.At)
		if _, err := s.Append(ctx, []sla.Event{e}); err != nil {
			t.Fatal(err)
		}
		evaluateAt(t, s, clock, e.At.Add(time.Minute))
		if i == 0 {
			if _, st := mustRecord(t, s, "R1"); !slices.Equal(st.Told["it-sales/resolution"], []string{"am"}) {
				t.Errorf("told %v after the breach held for it-chat and boss was dropped; want am alone", st.Told)
			}
		}
	}
	if _, err := s.ReleaseHeld(mondayOpen); err != nil {
		t.Fatal(err)
	}
	for _, rcv := range []string{"it-chat", "boss"} {
		if got := outboxOf(t, s, rcv); len(got) != 0 {
			t.Errorf("%s heard nothing of the breach yet got %v", rcv, stagesOf(got, "R1"))
		}
	}
	got := stagesOf(outboxOf(t, s, "am"), "R1")
	if want := []string{"warning-50%/resolution", "breach/resolution", "escalation-1/resolution", "resolved/resolution", "resolved/resolution"}; !slices.Equal(got, want) {
		t.Errorf("am got %v, want %v", got, want)
	}
}

// A receiver that stopped counting as told and that a later escalation
// step brings in again was told first by that step (the record keeps it,
// lifecycle.State.FirstTold, across a restart): when that step too is
// dropped held, it is owed no "resolved".
func TestAReceiverBroughtBackByALaterEscalationThatWasDroppedHeldGetsNoResolved(t *testing.T) {
	dir := t.TempDir()
	clock := testutil.NewClock(friday)
	p := quietPolicy(t, nil)
	p.SLAs[0].Escalate = append(p.SLAs[0].Escalate, sla.Escalation{After: 3 * time.Hour, Notify: []string{"cto"}})
	s := openPolicy(t, dir, clock, p)
	breachOnFridayEvening(t, s, clock)
	ctx := context.Background()
	saturday := friday.Add(18 * time.Hour)
	for _, e := range []sla.Event{
		slatest.Event("x1", "R1", sla.Resolved, saturday),                // the breach and escalation 1 dropped held
		slatest.Event("ro", "R1", sla.Reopened, saturday.Add(time.Hour)), // escalation 2 is due at once: held for it-chat and cto
		slatest.Event("x2", "R1", sla.Resolved, saturday.Add(2*time.Hour)),
	} {
		clock.Set(e.At)
		if _, err := s.Append(ctx, []sla.Event{e}); err != nil {
			t.Fatal(err)
		}
		evaluateAt(t, s, clock, e.At.Add(time.Minute))
		if e.Type == sla.Reopened {
			if got := heldStages(t, s, "R1"); !slices.Equal(got, []string{"it-chat:escalation-2", "cto:escalation-2"}) {
				t.Fatalf("held %v after the reopening; want escalation 2 for it-chat and cto", got)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s = openPolicy(t, dir, clock, p)
			if _, st := mustRecord(t, s, "R1"); st.FirstTold["it-sales/resolution"]["it-chat"] != "escalation-2" {
				t.Errorf("first told %v after a restart; it-chat was told first by escalation 2", st.FirstTold)
			}
		}
	}
	if _, err := s.ReleaseHeld(mondayOpen); err != nil {
		t.Fatal(err)
	}
	for _, rcv := range []string{"it-chat", "boss", "cto"} {
		if got := outboxOf(t, s, rcv); len(got) != 0 {
			t.Errorf("%s heard nothing of the clock yet got %v", rcv, stagesOf(got, "R1"))
		}
	}
	got := stagesOf(outboxOf(t, s, "am"), "R1")
	if want := []string{"warning-50%/resolution", "breach/resolution", "escalation-1/resolution", "resolved/resolution",
		"escalation-2/resolution", "resolved/resolution"}; !slices.Equal(got, want) {
		t.Errorf("am got %v, want %v", got, want)
	}
}

// mustRecord returns a stored request of IT and its alert state.
func mustRecord(t *testing.T, s *Store, id string) (sla.Request, lifecycle.State) {
	t.Helper()
	var rec *record
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		rec, err = loadRecord(tx, Ref{Provider: "it", ID: id})
		return err
	})
	if err != nil || rec == nil {
		t.Fatalf("request %s: %v (stored: %v)", id, err, rec != nil)
	}
	return rec.Request, rec.State
}

func TestAHeldWarningOfAClockThatStopsIsDropped(t *testing.T) {
	clock := testutil.NewClock(friday)
	s := openPolicy(t, t.TempDir(), clock, quietPolicy(t, nil))
	if _, err := s.Append(context.Background(), []sla.Event{slatest.Event("o", "R1", sla.Opened, friday)}); err != nil {
		t.Fatal(err)
	}
	evaluateAt(t, s, clock, friday.Add(16*time.Minute)) // the response's 50% warning
	if got := heldStages(t, s, "R1"); !slices.Equal(got, []string{"it-chat:warning-50%"}) {
		t.Fatalf("held %v, want the response warning for it-chat", got)
	}
	clock.Set(friday.Add(20 * time.Minute))
	if _, err := s.Append(context.Background(), []sla.Event{slatest.Event("r", "R1", sla.Responded, friday.Add(20*time.Minute))}); err != nil {
		t.Fatal(err)
	}
	if got := heldStages(t, s, "R1"); len(got) != 0 {
		t.Errorf("the response came, yet %v is still held", got)
	}
}

func TestAnUrgentEscalationReleasesTheHeldBreachBeforeIt(t *testing.T) {
	clock := testutil.NewClock(friday)
	s := openPolicy(t, t.TempDir(), clock, quietPolicy(t, map[string][]string{"escalation": {"P1"}}))
	breachOnFridayEvening(t, s, clock)
	if got := stagesOf(outboxOf(t, s, "it-chat"), "R1"); !slices.Equal(got, []string{"breach/resolution", "escalation-1/resolution"}) {
		t.Errorf("it-chat got %v; want the held breach released before the urgent escalation", got)
	}
	if got := heldStages(t, s, "R1"); len(got) != 0 {
		t.Errorf("still held: %v", got)
	}
}

func TestAReloadPutsHeldAlertsUnderTheNewHours(t *testing.T) {
	clock := testutil.NewClock(friday)
	s := openPolicy(t, t.TempDir(), clock, quietPolicy(t, nil))
	breachOnFridayEvening(t, s, clock)
	sunday := friday.Add(40 * time.Hour)
	known := func(r string) bool { return r != "boss" }

	// The office now opens at 07:00 Berlin: Monday 06:00 UTC; boss is gone.
	p := slatest.DeskPolicy()
	var week [7][]sla.Interval
	for d := time.Monday; d <= time.Friday; d++ {
		week[d] = []sla.Interval{{Start: 7 * 3600, End: 17 * 3600}}
	}
	early, err := sla.NewCalendar("office", slatest.Berlin(t), week, nil)
	if err != nil {
		t.Fatal(err)
	}
	p.Departments["it"].Hours = &sla.NotifyHours{Calendar: early}
	moved, dropped, err := s.Rehold(p, known, sunday)
	if err != nil || moved != 2 || dropped != 1 {
		t.Fatalf("rehold moved %d, dropped %d (%v); want 2 moved, boss's 1 dropped", moved, dropped, err)
	}
	if next, _, _ := s.NextRelease(); !next.Equal(mondayOpen.Add(-2 * time.Hour)) {
		t.Errorf("next release %s, want Monday 07:00 Berlin", next)
	}
	for _, a := range mustHeld(t, s, "R1") {
		if !a.Notice.HeldUntil.Equal(mondayOpen.Add(-2 * time.Hour)) {
			t.Errorf("%s's %s says it is held until %s, want the new release", a.Receiver, a.Notice.StageKey, a.Notice.HeldUntil)
		}
	}
	// Without hours, they go out at once.
	if _, _, err := s.Rehold(slatest.DeskPolicy(), known, sunday); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ReleaseHeld(sunday); len(got) != 2 {
		t.Errorf("released %d on Sunday once the hours were gone, want 2", len(got))
	}
}

func TestAResolvedHeldOvernightIsDroppedWhenTheRequestReopens(t *testing.T) {
	clock := testutil.NewClock(friday)
	s := openPolicy(t, t.TempDir(), clock, quietPolicy(t, nil))
	opened := friday.Add(-6 * time.Hour) // 11:00 in Berlin
	clock.Set(opened)
	ctx := context.Background()
	if _, err := s.Append(ctx, []sla.Event{slatest.Event("o", "R1", sla.Opened, opened), slatest.Event("r", "R1", sla.Responded, opened.Add(time.Minute))}); err != nil {
		t.Fatal(err)
	}
	evaluateAt(t, s, clock, opened.Add(4*time.Hour+time.Minute)) // breached at 15:00, in office hours
	if got := stagesOf(outboxOf(t, s, "it-chat"), "R1"); len(got) != 1 || got[0] != "breach/resolution" {
		t.Fatalf("it-chat got %v in office hours, want the breach", got)
	}
	resolved := friday.Add(time.Hour) // 18:00 in Berlin
	clock.Set(resolved)
	if _, err := s.Append(ctx, []sla.Event{slatest.Event("x", "R1", sla.Resolved, resolved)}); err != nil {
		t.Fatal(err)
	}
	evaluateAt(t, s, clock, resolved.Add(time.Minute))
	if got := heldStages(t, s, "R1"); len(got) != 1 || got[0] != "it-chat:resolved" {
		t.Fatalf("held %v after the evening's resolution, want it-chat's resolved", got)
	}
	reopened := resolved.Add(time.Hour)
	clock.Set(reopened)
	if _, err := s.Append(ctx, []sla.Event{slatest.Event("ro", "R1", sla.Reopened, reopened)}); err != nil {
		t.Fatal(err)
	}
	if got := heldStages(t, s, "R1"); len(got) != 0 {
		t.Errorf("the request reopened, yet %v is still held to go out on Monday", got)
	}
}
