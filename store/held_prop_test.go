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

// TestQuietHoursHoldOverRandomLives lives random requests through nights
// and a weekend's edge under office notification hours, with two
// escalation steps, with ticks at
// random (downtime included) and each tick releasing what is due, as the
// daemon does, and delivers everything queued at once. Whatever happens:
// nothing reaches an IT receiver outside office hours (no stage is
// urgent), no alert reaches a receiver twice, a "resolved" reaches only a
// receiver that heard of the clock's breach, and once the office has
// opened after the last request closed nothing is left held.
func TestQuietHoursHoldOverRandomLives(t *testing.T) {
	rng := testutil.Rand(t)
	office := slatest.Office(t)
	// Two escalation steps, each to IT's receivers too: a receiver whose
	// breach was dropped held is brought in again by the second.
	p := quietPolicy(t, nil)
	p.SLAs[0].Escalate = append(p.SLAs[0].Escalate, sla.Escalation{After: 2 * time.Hour, Notify: []string{"cto"}})
	for round := range testutil.Iterations(5) {
		clock := testutil.NewClock(slatest.T0)
		s := openPolicy(t, t.TempDir(), clock, p)
		events := slatest.RandomHistories(rng, 25)
		end := slatest.T0.Add(4 * 24 * time.Hour)
		steps := slatest.WithTicks(slatest.InOrder(events), slatest.RandomTicks(rng, slatest.T0, end))
		seen := map[string]bool{}        // receiver | notice id
		breachHeard := map[string]bool{} // receiver | request | clock
		deliver := func(now time.Time) {
			for _, rcv := range []string{"it-chat", "boss", "cto"} {
				items, err := s.DueAlerts(rcv, now, 1<<20)
				if err != nil {
					t.Fatal(err)
				}
				var outcomes []Outcome
				for _, it := range items {
					n := it.Notice
					if office.Between(now, now.Add(time.Second)) == 0 {
						t.Fatalf("round %d: %s got %s of %s at %s, outside office hours", round, rcv, n.StageKey, n.RequestID, now)
					}
					if seen[rcv+"|"+n.ID] {
						t.Fatalf("round %d: %s got %s (%s of %s) twice", round, rcv, n.ID, n.StageKey, n.RequestID)
					}
					seen[rcv+"|"+n.ID] = true
					clockKey := rcv + "|" + n.RequestID + "|" + n.SLAID + "/" + string(n.Target)
					switch n.Stage {
					case lifecycle.StageBreach, lifecycle.StageEscalation:
						breachHeard[clockKey] = true
					case lifecycle.StageResolved:
						if !breachHeard[clockKey] {
							t.Fatalf("round %d: %s got a resolved of %s without having heard of its breach", round, rcv, clockKey)
						}
					}
					outcomes = append(outcomes, Outcome{Kind: OutcomeDelivered, Item: it, At: now})
				}
				if err := s.Record(outcomes); err != nil {
					t.Fatal(err)
				}
			}
		}
		for _, st := range steps {
			clock.Set(st.At)
			if len(st.Events) > 0 {
				if _, err := s.Append(context.Background(), st.Events); err != nil {
					t.Fatal(err)
				}
			} else {
				if _, err := s.ReleaseHeld(st.At); err != nil {
					t.Fatal(err)
				}
				if _, err := s.Evaluate(st.At); err != nil {
					t.Fatal(err)
				}
			}
			deliver(st.At)
		}
		// Every request has closed by now; the office opens on Monday.
		monday := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
		clock.Set(monday)
		if _, err := s.ReleaseHeld(monday); err != nil {
			t.Fatal(err)
		}
		deliver(monday)
		if next, ok, err := s.NextRelease(); err != nil || ok {
			t.Errorf("round %d: still held after the office opened: next release %s (%v)", round, next, err)
		}
		if counts, err := s.HeldAlerts(); err != nil || len(counts) != 0 {
			t.Errorf("round %d: held counts %v (%v) once nothing is held", round, counts, err)
		}
		if len(seen) == 0 {
			t.Fatalf("round %d: nothing was delivered; the test measures nothing", round)
		}
		_ = s.Close()
	}
}
