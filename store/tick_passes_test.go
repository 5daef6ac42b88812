package store

import (
	"context"
	"testing"
	"time"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// TestATickInPassesWritesWhatOneWritingEachRequestWholeWrites: the tick's
// writer writes a chunk in passes (writeDue: every request's alert
// effects, then every one's index keys, then every record) with what was
// prepared beside the folds (writePrep). Random lives under notification
// hours and escalations (alerts held and released, breaches dropped held
// and untold, reopened clocks firing again), ticked at random times, go
// to two stores: one ticked by Evaluate, the other by the same chunks each
// re-checked and written request by request without writePrep, as before
// the passes. After every step both files hold the same keys and values.
func TestATickInPassesWritesWhatOneWritingEachRequestWholeWrites(t *testing.T) {
	rng := testutil.Rand(t)
	p := quietPolicy(t, nil)
	p.SLAs[0].Escalate = append(p.SLAs[0].Escalate, sla.Escalation{After: 2 * time.Hour, Notify: []string{"cto"}})
	for round := range testutil.Iterations(4) {
		clock, wholeClock := testutil.NewClock(slatest.T0), testutil.NewClock(slatest.T0)
		s := openPolicy(t, t.TempDir(), clock, p)
		whole := openPolicy(t, t.TempDir(), wholeClock, p)
		events := slatest.RandomHistories(rng, 40)
		end := slatest.T0.Add(4 * 24 * time.Hour)
		ticked := false
		for _, st := range slatest.WithTicks(slatest.InOrder(events), slatest.RandomTicks(rng, slatest.T0, end)) {
			clock.Set(st.At)
			wholeClock.Set(st.At)
			if len(st.Events) > 0 {
				for _, to := range []*Store{s, whole} {
					if _, err := to.Append(context.Background(), st.Events); err != nil {
						t.Fatal(err)
					}
				}
				continue
			}
			for _, to := range []*Store{s, whole} {
				if _, err := to.ReleaseHeld(st.At); err != nil {
					t.Fatal(err)
				}
			}
			got, err := s.Evaluate(st.At)
			if err != nil {
				t.Fatal(err)
			}
			if want := evaluateRechecked(t, whole, st.At); got != want {
				t.Fatalf("round %d, tick at %s: %+v, written whole %+v", round, st.At, got, want)
			}
			ticked = ticked || got.Fired > 0
			if g, w := boltContents(t, s.db), boltContents(t, whole.db); g != w {
				t.Fatalf("round %d, tick at %s: the files differ", round, st.At)
			}
		}
		if !ticked {
			t.Fatalf("round %d: no tick fired anything; the test measures nothing", round)
		}
	}
}
