package store

import (
	"context"
	"testing"
	"time"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// The counters behind slad's Prometheus _total metrics and the elapsed
// histogram never go down (Prometheus would read a decrease as a reset and
// count the whole total again in rate() and increase()), and the day
// aggregates follow the rules in force.

func TestStoppedCounterNeverDecreasesWhenARequestIsReopened(t *testing.T) {
	clock := testutil.NewClock(slatest.T0)
	s := openTest(t, t.TempDir(), clock)
	ctx := context.Background()
	if _, err := s.Append(ctx, []sla.Event{slatest.Event("o", "R1", sla.Opened, slatest.T0), slatest.Event("r", "R1", sla.Responded, slatest.T0.Add(time.Minute)), slatest.Event("x", "R1", sla.Resolved, slatest.T0.Add(time.Hour))}); err != nil {
		t.Fatal(err)
	}
	key := [3]string{"it-sales", "resolution", "met"}
	before, err := s.Counters()
	if err != nil {
		t.Fatal(err)
	}
	clock.Set(slatest.T0.Add(2 * time.Hour))
	if _, err := s.Append(ctx, []sla.Event{slatest.Event("re", "R1", sla.Reopened, slatest.T0.Add(2*time.Hour))}); err != nil {
		t.Fatal(err)
	}
	after, err := s.Counters()
	if err != nil {
		t.Fatal(err)
	}
	if after.Stopped[key] < before.Stopped[key] {
		t.Errorf("counter slad_requests_stopped_total%v went from %d to %d: a Prometheus counter must never decrease", key, before.Stopped[key], after.Stopped[key])
	}
}

// README (Metrics): "a request reopened and resolved again counts a second
// stop."
func TestAReopenedRequestResolvedAgainCountsASecondStop(t *testing.T) {
	clock := testutil.NewClock(slatest.T0)
	s := openTest(t, t.TempDir(), clock)
	ctx := context.Background()
	step := func(e sla.Event) {
		clock.Set(e.At)
		if _, err := s.Append(ctx, []sla.Event{e}); err != nil {
			t.Fatal(err)
		}
	}
	step(slatest.Event("o", "R1", sla.Opened, slatest.T0))
	step(slatest.Event("r", "R1", sla.Responded, slatest.T0.Add(time.Minute)))
	step(slatest.Event("x", "R1", sla.Resolved, slatest.T0.Add(time.Hour)))
	step(slatest.Event("re", "R1", sla.Reopened, slatest.T0.Add(2*time.Hour)))
	step(slatest.Event("x2", "R1", sla.Resolved, slatest.T0.Add(3*time.Hour)))
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

// slad_breaches_total counts clocks that passed their target. A breach
// withdrawn by late events is not taken back, and when the clock then
// really breaches it is not counted again: one clock, one breach, as when
// the same history arrives in order.
func TestABreachWithdrawnAndRedoneIsCountedOnce(t *testing.T) {
	clock := testutil.NewClock(slatest.T0)
	s := openResponded(t, clock)
	ctx := context.Background()
	now := slatest.T0.Add(4*time.Hour + 10*time.Minute)
	clock.Set(now)
	if _, err := s.Evaluate(now); err != nil { // breach announced and counted
		t.Fatal(err)
	}
	// Late pause from 1h to 2h: not breached after all (3h10m).
	if _, err := s.Append(ctx, []sla.Event{slatest.Event("p", "R1", sla.Paused, slatest.T0.Add(time.Hour), slatest.WaitingForCustomer), slatest.Event("u", "R1", sla.Resumed, slatest.T0.Add(2*time.Hour))}); err != nil {
		t.Fatal(err)
	}
	now = slatest.T0.Add(5*time.Hour + 10*time.Minute) // really breached at 5h00m01s
	clock.Set(now)
	if _, err := s.Evaluate(now); err != nil {
		t.Fatal(err)
	}
	c, err := s.Counters()
	if err != nil {
		t.Fatal(err)
	}
	if n := c.Breaches[[2]string{"it-sales", "resolution"}]; n != 1 {
		t.Errorf("slad_breaches_total{it-sales,resolution} = %d for one clock that breached once", n)
	}
}

// A late event folds a closed request again from its events under the
// rules in force, so that its figures do not depend on the order events
// arrived in (that it pages nobody is the lifecycle's history rule).
func TestALateEventRefoldsAClosedRequestsFiguresUnderTheTargetInForce(t *testing.T) {
	clock := testutil.NewClock(slatest.T0)
	s := openTest(t, t.TempDir(), clock)
	ctx := context.Background()
	if _, err := s.Append(ctx, []sla.Event{
		slatest.Event("o", "R1", sla.Opened, slatest.T0), slatest.Event("r", "R1", sla.Responded, slatest.T0.Add(time.Minute)), slatest.Event("x", "R1", sla.Resolved, slatest.T0.Add(3*time.Hour)),
	}); err != nil {
		t.Fatal(err)
	}
	day := sla.DateOf(slatest.T0)
	before, _ := s.WindowFigures("it-sales", day, day)

	// Weeks later a reload tightens the target, then a title fix arrives.
	now := slatest.T0.Add(40 * 24 * time.Hour)
	clock.Set(now)
	p := slatest.DeskPolicy()
	p.SLAs[0].Resolution.ByPriority["P1"] = 2 * time.Hour
	s.SetPolicy(p)
	if _, err := s.Rematch(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, []sla.Event{slatest.Event("title", "R1", sla.Updated, slatest.T0.Add(2*time.Hour), func(e *sla.Event) { e.Title = "typo fixed" })}); err != nil {
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

// An import brings a request's history in several batches, each as of now.
// Until the rest of its events can have arrived, a clock whose breach or
// stop lies far back must not count in the totals that never go down: a
// request opened in one batch is "breached as of now" until the next batch
// resolves it. It counts an hour after slad first saw it, as it really was.
func TestAnImportCountsOnlyTheBreachesThatHappened(t *testing.T) {
	opened := slatest.T0
	tests := map[string]struct {
		batches      [][]sla.Event
		wantBreaches int64 // resolution breaches once settled
		wantOutcome  string
	}{
		"sorted: opened in one batch, resolved within target in the next": {
			batches: [][]sla.Event{
				{slatest.Event("o", "R1", sla.Opened, opened)},
				{slatest.Event("r", "R1", sla.Responded, opened.Add(10*time.Minute)), slatest.Event("x", "R1", sla.Resolved, opened.Add(2*time.Hour))},
			},
			wantOutcome: "met",
		},
		"shuffled: resolved late first, then the pause that kept it within target": {
			batches: [][]sla.Event{
				{slatest.Event("o", "R1", sla.Opened, opened), slatest.Event("r", "R1", sla.Responded, opened.Add(10*time.Minute)), slatest.Event("x", "R1", sla.Resolved, opened.Add(5*time.Hour))},
				{slatest.Event("p", "R1", sla.Paused, opened.Add(time.Hour), slatest.WaitingForCustomer), slatest.Event("u", "R1", sla.Resumed, opened.Add(3*time.Hour))},
			},
			wantOutcome: "met",
		},
		"a breach that really happened counts once settled": {
			batches: [][]sla.Event{
				{slatest.Event("o", "R1", sla.Opened, opened)},
				{slatest.Event("r", "R1", sla.Responded, opened.Add(10*time.Minute)), slatest.Event("x", "R1", sla.Resolved, opened.Add(6*time.Hour))},
			},
			wantBreaches: 1, wantOutcome: "breached",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			importedAt := opened.Add(90 * 24 * time.Hour)
			clock := testutil.NewClock(importedAt)
			s := openTest(t, t.TempDir(), clock)
			for i, batch := range tc.batches {
				clock.Set(importedAt.Add(time.Duration(i) * time.Second))
				if _, err := s.Append(context.Background(), batch); err != nil {
					t.Fatal(err)
				}
				c, err := s.Counters()
				if err != nil {
					t.Fatal(err)
				}
				for k, n := range c.Breaches {
					if n != 0 {
						t.Errorf("after batch %d, breaches %v = %d while the import is in progress", i, k, n)
					}
				}
			}
			// An hour later the evaluator looks again (the deadline index
			// says so) and the request counts as it really was.
			settled := importedAt.Add(lifecycle.HistoryAge + time.Minute)
			clock.Set(settled)
			if _, err := s.Evaluate(settled); err != nil {
				t.Fatal(err)
			}
			c, err := s.Counters()
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Breaches[[2]string{"it-sales", "resolution"}]; got != tc.wantBreaches {
				t.Errorf("resolution breaches once settled = %d, want %d", got, tc.wantBreaches)
			}
			if got := c.Breaches[[2]string{"it-sales", "response"}]; got != 0 {
				t.Errorf("response breaches once settled = %d, want 0", got)
			}
			if got := c.Stopped[[3]string{"it-sales", "resolution", tc.wantOutcome}]; got != 1 {
				t.Errorf("resolution stops %s once settled = %d, want 1 (all stops: %v)", tc.wantOutcome, got, c.Stopped)
			}
		})
	}
}

// A request imported already cancelled, whose response clock breached
// before the cancellation, is history like any other: its breach counts in
// the totals that never go down, and is listed, an hour after slad first
// saw it, not at once (the import's next batch may still undo it).
func TestAnImportedCancelledRequestsBreachCountsAfterTheGraceHourToo(t *testing.T) {
	opened := slatest.T0
	importedAt := opened.Add(90 * 24 * time.Hour)
	clock := testutil.NewClock(importedAt)
	s := openTest(t, t.TempDir(), clock)
	// The response target is 30m: breached 30m after the opening, then
	// cancelled an hour later.
	if _, err := s.Append(context.Background(), []sla.Event{
		slatest.Event("o", "R1", sla.Opened, opened),
		slatest.Event("c", "R1", sla.Cancelled, opened.Add(90*time.Minute)),
	}); err != nil {
		t.Fatal(err)
	}
	response := [2]string{"it-sales", "response"}
	counted := func(when string, want int64) {
		t.Helper()
		c, err := s.Counters()
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Breaches[response]; got != want {
			t.Errorf("%s: response breaches = %d, want %d", when, got, want)
		}
		listed, _, err := s.Breaches(BreachQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(listed)) != want {
			t.Errorf("%s: breaches listed %+v, want %d", when, listed, want)
		}
		for _, b := range listed {
			if b.State != sla.StateCancelled {
				t.Errorf("%s: listed breach of the cancelled request in state %q, want %q", when, b.State, sla.StateCancelled)
			}
		}
	}
	counted("as imported", 0)
	settled := importedAt.Add(lifecycle.HistoryAge + time.Minute)
	clock.Set(settled)
	if _, err := s.Evaluate(settled); err != nil {
		t.Fatal(err)
	}
	counted("an hour later", 1)
}
