package store

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// planFixture is a store whose five open P1 requests, opened at T0 under
// the 4h resolution target of DeskPolicy ("a"), were ticked at now (3h in:
// the 50% warnings went out).
func planFixture(t *testing.T) (*Store, time.Time) {
	t.Helper()
	now := slatest.T0.Add(3 * time.Hour)
	s := openTest(t, t.TempDir(), testutil.NewClock(now))
	if _, err := s.Adopt(slatest.DeskPolicy(), "a"); err != nil {
		t.Fatal(err)
	}
	openRequests(t, s, 5)
	if _, err := s.Evaluate(now); err != nil {
		t.Fatal(err)
	}
	return s, now
}

// outboxCounts counts every queued item per receiver.
func outboxCounts(t *testing.T, s *Store, receivers ...string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, r := range receivers {
		out[r] = len(outboxOf(t, s, r))
	}
	return out
}

// TestAPlanPredictsWhatTheReloadThenDoes plans a shorter target (2h: every
// request breaches), then adopts it, re-matches and ticks as a reload does,
// and compares: the clocks' states and deadlines, the notices queued per
// receiver, the counters and the window figures.
func TestAPlanPredictsWhatTheReloadThenDoes(t *testing.T) {
	s, now := planFixture(t)
	receivers := []string{"am", "it-chat", "boss"}
	before := outboxCounts(t, s, receivers...)
	next := deskPolicyResolving(2 * time.Hour)
	pl, err := s.Plan(context.Background(), PlanQuery{Policy: next, Fingerprint: "b", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if !pl.Rematch || pl.Examined != 5 || pl.Changed != 5 || len(pl.Requests) != 5 {
		t.Fatalf("plan: rematch %v, examined %d, changed %d, listed %d; want a re-match changing all 5", pl.Rematch, pl.Examined, pl.Changed, len(pl.Requests))
	}
	if got := pl.SLAs["it-sales"].Transitions; !maps.Equal(got, map[Transition]int{{From: sla.StateRunning, To: sla.StateBreached}: 5}) {
		t.Errorf("transitions %v, want 5 running → breached", got)
	}
	view := pl.View(s)
	wantCounters, err := view.Counters()
	if err != nil {
		t.Fatal(err)
	}
	first, last := sla.Date{Year: 2026, Month: 1, Day: 1}, sla.DateOf(now)
	wantWindow, err := view.WindowFigures("it-sales", first, last)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.Counters(); err != nil || maps.Equal(got.OpenBreached, wantCounters.OpenBreached) {
		t.Fatalf("the plan's view changed nothing or the store already holds it (%v, %v)", got.OpenBreached, err)
	}

	// The reload: adopt, re-match in the background, tick.
	if _, err := s.Adopt(next, "b"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Rematch(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Evaluate(now); err != nil {
		t.Fatal(err)
	}

	after := outboxCounts(t, s, receivers...)
	for _, r := range receivers {
		want := 0
		if a := pl.Alerts[r]; a != nil {
			want = a.With
		}
		if got := after[r] - before[r]; got != want {
			t.Errorf("%s was sent %d notices after the reload; the plan said %d", r, got, want)
		}
	}
	if pl.Alerts["am"] == nil || pl.Alerts["am"].With == 0 || pl.Alerts["am"].Without != 0 {
		t.Errorf("alerts to am %+v: want breaches with the edit, none without", pl.Alerts["am"])
	}
	for _, pr := range pl.Requests {
		v, err := s.Request(pr.Ref)
		if err != nil {
			t.Fatal(err)
		}
		for _, pc := range pr.Clocks {
			clk := v.Request.Clock(pc.SLA, pc.Target)
			if clk == nil || pc.After == nil {
				t.Fatalf("%s %s/%s: stored %v, planned %v", pr.Ref.ID, pc.SLA, pc.Target, clk, pc.After)
			}
			l := clk.At(now, next.SLA(pc.SLA).CalendarOf())
			if l.State != pc.After.State || !l.Deadline.Equal(pc.After.Deadline) || clk.Limit != pc.After.Limit {
				t.Errorf("%s %s/%s is %s due %s (limit %s); the plan said %+v", pr.Ref.ID, pc.SLA, pc.Target, l.State, l.Deadline, clk.Limit, *pc.After)
			}
		}
	}
	gotCounters, err := s.Counters()
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(gotCounters.OpenBreached, wantCounters.OpenBreached) || !maps.Equal(gotCounters.AtRisk, wantCounters.AtRisk) || !maps.Equal(gotCounters.Breaches, wantCounters.Breaches) {
		t.Errorf("counters after the reload %+v; the plan said %+v", gotCounters, wantCounters)
	}
	gotWindow, err := s.WindowFigures("it-sales", first, last)
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(gotWindow.Targets, wantWindow.Targets) {
		t.Errorf("window after the reload %+v; the plan said %+v", gotWindow.Targets, wantWindow.Targets)
	}
}

// TestAPlanOfTheRulesInForceChangesNothing: the same fingerprint re-matches
// nothing, and the first tick sends what it would send anyway.
func TestAPlanOfTheRulesInForceChangesNothing(t *testing.T) {
	s, now := planFixture(t)
	later := now.Add(2 * time.Hour) // past the 4h target: the breaches come due
	pl, err := s.Plan(context.Background(), PlanQuery{Policy: slatest.DeskPolicy(), Fingerprint: "a", Now: later})
	if err != nil {
		t.Fatal(err)
	}
	if pl.Rematch || pl.Changed != 0 || len(pl.Requests) != 0 {
		t.Errorf("plan of the rules in force: rematch %v, changed %d, listed %d; want nothing", pl.Rematch, pl.Changed, len(pl.Requests))
	}
	if a := pl.Alerts["am"]; a == nil || a.With == 0 || a.With != a.Without {
		t.Errorf("alerts to am %+v: want the breaches due, with and without the edit alike", a)
	}
	// The tick due changes the figures, with the edit or without it alike.
	with, err := pl.View(s).Counters()
	if err != nil {
		t.Fatal(err)
	}
	without, err := pl.Baseline(s).Counters()
	if err != nil {
		t.Fatal(err)
	}
	stored, err := s.Counters()
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(with.OpenBreached, without.OpenBreached) || maps.Equal(with.OpenBreached, stored.OpenBreached) {
		t.Errorf("open breached: %v after the reload, %v without it, %v now; want the tick's breaches in both", with.OpenBreached, without.OpenBreached, stored.OpenBreached)
	}
}

// TestAPlanListsABoundedNumberOfRequestsPerSLA keeps its output bounded:
// the rest are counted.
func TestAPlanListsABoundedNumberOfRequestsPerSLA(t *testing.T) {
	s, now := planFixture(t)
	pl, err := s.Plan(context.Background(), PlanQuery{Policy: deskPolicyResolving(2 * time.Hour), Fingerprint: "b", Now: now, Listed: 2})
	if err != nil {
		t.Fatal(err)
	}
	if ps := pl.SLAs["it-sales"]; len(pl.Requests) != 2 || ps.Listed != 2 || ps.Changed != 5 || pl.Changed != 5 {
		t.Errorf("listed %d requests, SLA %+v, changed %d; want 2 listed of 5 counted", len(pl.Requests), ps, pl.Changed)
	}
}

// TestAPlanCountsTheAlertsHeldForNotificationHours: a receiver whose hours
// are closed is not paged by the first tick; the plan says its notices
// are held, and the reload then queues none for it.
func TestAPlanCountsTheAlertsHeldForNotificationHours(t *testing.T) {
	s, now := planFixture(t)
	var week [7][]sla.Interval
	week[time.Saturday] = []sla.Interval{{Start: 9 * 3600, End: 17 * 3600}}
	saturdays, err := sla.NewCalendar("saturdays", time.UTC, week, nil)
	if err != nil {
		t.Fatal(err)
	}
	next := deskPolicyResolving(2 * time.Hour)
	next.ReceiverHours = map[string]*sla.NotifyHours{"boss": {Calendar: saturdays}}
	before := len(outboxOf(t, s, "boss"))
	pl, err := s.Plan(context.Background(), PlanQuery{Policy: next, Fingerprint: "b", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if a := pl.Alerts["boss"]; a == nil || a.With != 0 || a.Held != 5 {
		t.Fatalf("alerts to the boss %+v: want 5 escalations held, none sent", a)
	}
	if _, err := s.Adopt(next, "b"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Rematch(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Evaluate(now); err != nil {
		t.Fatal(err)
	}
	if got := len(outboxOf(t, s, "boss")) - before; got != 0 {
		t.Errorf("the boss was queued %d notices outside its hours; the plan said none", got)
	}
}

// TestAPlanSaysWhichClocksAreGainedAndLost renames the SLA: every request
// loses its clocks under the old id and gains them under the new one, as
// the re-match then does.
func TestAPlanSaysWhichClocksAreGainedAndLost(t *testing.T) {
	s, now := planFixture(t)
	next := slatest.DeskPolicy()
	next.SLAs[0].ID = "it-sales-v2"
	pl, err := s.Plan(context.Background(), PlanQuery{Policy: next, Fingerprint: "v2", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	lost := map[Transition]int{{From: sla.StateMet}: 5, {From: sla.StateRunning}: 5}
	gained := map[Transition]int{{To: sla.StateMet}: 5, {To: sla.StateRunning}: 5}
	if !maps.Equal(pl.SLAs["it-sales"].Transitions, lost) || !maps.Equal(pl.SLAs["it-sales-v2"].Transitions, gained) {
		t.Fatalf("transitions: it-sales %v, it-sales-v2 %v; want every clock lost and gained", pl.SLAs["it-sales"].Transitions, pl.SLAs["it-sales-v2"].Transitions)
	}
	if _, err := s.Adopt(next, "v2"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Rematch(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, pr := range pl.Requests {
		v, err := s.Request(pr.Ref)
		if err != nil {
			t.Fatal(err)
		}
		for _, pc := range pr.Clocks {
			clk := v.Request.Clock(pc.SLA, pc.Target)
			if (clk != nil) != (pc.After != nil) || clk != nil && clk.State() != pc.After.State {
				t.Errorf("%s %s/%s is %+v after the re-match; the plan said %+v", pr.Ref.ID, pc.SLA, pc.Target, clk, pc.After)
			}
		}
	}
}

// TestAPlanReadsTheDueRequestsOfBothLanes: the requests a plan ticks are
// those due at its time in the deadline index's first lane and in its
// history lane, however the keys of either lane fall around that time,
// a chunk at a time.
func TestAPlanReadsTheDueRequestsOfBothLanes(t *testing.T) {
	now := slatest.T0
	ref := func(i int) Ref { return Ref{Provider: "it", ID: fmt.Sprint("R", i)} }
	var want [][]byte
	keys := map[string]bool{}
	for i, k := range []struct {
		settling bool
		at       time.Duration
	}{{false, -time.Hour}, {false, 0}, {false, time.Second}, {false, time.Hour}, {true, -2 * time.Hour}, {true, 0}, {true, time.Minute}} {
		key := deadlineKey(now.Add(k.at), ref(i))
		if k.settling {
			key = historyKey(now.Add(k.at), ref(i))
		}
		keys[string(key)] = true
		if k.at <= 0 {
			want = append(want, key)
		}
	}
	s := openTest(t, t.TempDir(), testutil.NewClock(now))
	if err := s.db.Update(func(tx *bolt.Tx) error {
		for k := range keys {
			if err := tx.Bucket(bucketDeadlines).Put([]byte(k), nil); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(want, bytes.Compare)
	for _, limit := range []int{1, 2, 3, 100} {
		var got [][]byte
		if err := s.db.View(func(tx *bolt.Tx) error {
			var after []byte
			for {
				chunk := dueKeys(tx, after, now, limit)
				got = append(got, chunk...)
				if len(chunk) < limit {
					return nil
				}
				after = chunk[len(chunk)-1]
			}
		}); err != nil {
			t.Fatal(err)
		}
		if !slices.EqualFunc(got, want, bytes.Equal) {
			t.Errorf("%d a chunk: %x, want %x", limit, got, want)
		}
	}
}
