package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/slad-project/slad/sla"
)

// reloadVariants are configurations a reload may switch between: the test
// policy, a tighter and a looser P1 target, warn_at added, an escalation
// step added, the SLA notifying nobody extra, and the SLA removed.
func reloadVariants() []*sla.Policy {
	base := testPolicy
	tight := base()
	tight.SLAs[0].Resolution.ByPriority["P1"] = 2 * time.Hour
	loose := base()
	loose.SLAs[0].Resolution.ByPriority["P1"] = 8 * time.Hour
	warn := base()
	warn.SLAs[0].WarnAt = []float64{0.25, 0.5, 0.9}
	esc := base()
	esc.SLAs[0].Escalate = append(esc.SLAs[0].Escalate, sla.Escalation{After: 3 * time.Hour, Notify: []string{"cto"}})
	quiet := base()
	quiet.SLAs[0].Notify = nil
	gone := base()
	gone.SLAs = nil
	if os.Getenv("REVIEW2_NO_REMOVAL") != "" {
		return []*sla.Policy{base(), tight, loose, warn, esc, quiet}
	}
	return []*sla.Policy{base(), tight, loose, warn, esc, quiet, gone}
}

// TestReview2ReloadsKeepAlertsTrue interleaves live ingests, ticks at random
// times and reloads (SetPolicy + Rematch) among reloadVariants, and checks
// alertInvariants at the end, under the policy then in force (the test
// policy, restored by a last reload).
var debugReq = os.Getenv("REVIEW2_DEBUG")

func TestReloadsKeepAlertsTrue(t *testing.T) {
	// A seed that shows the finding (an SLA removed for a while loses the
	// due stages of closed requests); REVIEW2_SEED explores others.
	seed := uint64(1795382032052142190)
	if os.Getenv("REVIEW2_SEED") != "" {
		seed = review2Seed(t)
	}
	t.Logf("seed %d (REVIEW2_SEED=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 19))
	ctx := context.Background()
	for round := range 4 {
		events := randomHistories(rng, 15)
		for i := range events {
			events[i].Seq = uint64(i)
		}
		end := t0.Add(8 * 24 * time.Hour)
		sorted := slices.Clone(events)
		sla.SortEvents(sorted)
		var steps []arrival
		for _, e := range sorted {
			steps = append(steps, arrival{at: e.At, events: []sla.Event{e}})
		}
		steps = timeline(steps, randomTicks(rng, t0, end.Add(-3*24*time.Hour)))
		// Reloads at random moments between steps.
		variants := reloadVariants()
		clock := &fakeClock{t: t0}
		s := openTest(t, t.TempDir(), clock)
		for i, st := range steps {
			clock.Set(st.at)
			if debugReq != "" {
				for _, e := range st.events {
					if e.Request == debugReq {
						t.Logf("round %d %s ingest %s %s at %s prio %s", round, st.at.Format(time.DateTime), e.Request, e.Type, e.At.Format(time.DateTime), e.Priority)
					}
				}
			}
			if st.events == nil {
				if debugReq != "" {
					n0 := len(outboxOf(t, s, "it-chat"))
					defer func(at time.Time, round int) {}(st.at, round)
					_ = n0
				}
				if _, err := s.Evaluate(st.at); err != nil {
					t.Fatal(err)
				}
			} else if _, err := s.Append(ctx, st.events); err != nil {
				t.Fatal(err)
			}
			if rng.IntN(12) == 0 {
				vi := rng.IntN(len(variants))
				p := variants[vi]
				if debugReq != "" {
					t.Logf("round %d %s reload variant %d", round, st.at.Format(time.DateTime), vi)
				}
				s.SetPolicy(p)
				if _, err := s.Rematch(ctx); err != nil {
					t.Fatal(err)
				}
				_ = i
			}
		}
		clock.Set(end)
		s.SetPolicy(testPolicy())
		if _, err := s.Rematch(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Evaluate(end); err != nil {
			t.Fatal(err)
		}
		if debugReq != "" {
			for _, rcv := range []string{"it-chat", "am", "boss", "cto"} {
				for _, it := range outboxOf(t, s, rcv) {
					if it.Notice.RequestID == debugReq {
						t.Logf("round %d outbox %s: %s %s %s created %s", round, rcv, it.Notice.StageKey, it.Notice.Target, it.Notice.ID, it.Created.Format(time.DateTime))
					}
				}
			}
		}
		alertInvariants(t, fmt.Sprintf("seed %d round %d", seed, round), s, reqIDs(events), end)
		if t.Failed() {
			return
		}
	}
}
