package lifecycle

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// Property tests of rule 7 (alerts stay true): whatever the order and
// batching of events, the tick schedule and the reloads, what receivers
// were told ends up matching the clocks. Helpers are in prop_helpers_test.go.

// clockRef names a clock of a request.
type clockRef struct{ request, clock string }

// checkAlertsTrue checks what must hold whatever happened, once a tick at
// end has run:
//   - no receiver is queued the same notice id twice;
//   - a "resolved" goes only to a receiver told of that clock's breach or
//     escalation, and every receiver told of a clock that is over (request
//     resolved or cancelled, or clock no longer breached) has heard the
//     "resolved" last;
//   - nothing is firing for a closed request, and the breach of every open
//     breached clock is firing for each receiver told of it;
//   - nothing due by end is left unfired (no request is due at end), but
//     for a grace hour.
func checkAlertsTrue(t *testing.T, name string, d *desk, reqs []string, end time.Time) {
	t.Helper()
	final := map[string]sla.Request{}
	clockOf := func(c clockRef) *sla.Clock {
		r := final[c.request]
		for i := range r.Clocks {
			if r.Clocks[i].Key() == c.clock {
				return &r.Clocks[i]
			}
		}
		return nil
	}
	for _, id := range reqs {
		r, st := d.request(id)
		final[id] = r.At(d.p, end)
		lr := final[id]
		// Judged from the fired marks, not from the desk's due time, so that
		// a wrong due time shows; FirstSeen too, for the grace hour of a
		// clock that a reload (adding its SLA back) showed long breached.
		if due, ok := NextDue(d.p, &State{Fired: st.Fired, FirstSeen: st.FirstSeen}, &lr, end); ok && !due.At.After(end) {
			t.Errorf("%s: %s: stage due at %s left unfired after the tick at %s (fired %v)", name, id, due.At, end, st.Fired)
		}
		if due, ok := d.due(id); ok && !due.After(end) {
			t.Errorf("%s: %s is still due at %s after the tick at %s", name, id, due, end)
		}
	}
	for _, rcv := range propReceivers {
		seen := map[string]bool{}
		told := map[clockRef]bool{}   // told of a breach or escalation at some point
		last := map[clockRef]string{} // last breach/escalation/resolved stage
		for _, n := range d.outbox[rcv] {
			if seen[n.ID] {
				t.Errorf("%s: %s queued notice %s (%s %s %s/%s) twice", name, rcv, n.ID, n.RequestID, n.StageKey, n.SLAID, n.Target)
			}
			seen[n.ID] = true
			k := clockRef{n.RequestID, n.SLAID + "/" + string(n.Target)}
			switch n.Stage {
			case StageBreach, StageEscalation:
				told[k] = true
				last[k] = string(n.Stage)
			case StageResolved:
				if !told[k] {
					t.Errorf("%s: %s got resolved for %v without having been told of a breach", name, rcv, k)
				}
				last[k] = string(n.Stage)
			}
		}
		firing := d.firingOf(rcv)
		reposts := d.p.Reposts(rcv) // only then is anything firing for it
		for _, n := range firing {
			if r := final[n.RequestID]; r.Status != sla.StatusOpen {
				t.Errorf("%s: %s: request %s is %s but still firing %s %s/%s", name, rcv, n.RequestID, r.Status, n.StageKey, n.SLAID, n.Target)
			}
			if !reposts {
				t.Errorf("%s: %s re-posts nothing but %s %s/%s of request %s is firing for it", name, rcv, n.StageKey, n.SLAID, n.Target, n.RequestID)
			}
		}
		for k, stage := range last {
			r, clk := final[k.request], clockOf(k)
			over := r.Status != sla.StatusOpen || clk == nil || !clk.Breached() || !clk.Open()
			switch {
			case over && stage != string(StageResolved):
				cj, _ := json.Marshal(clk)
				t.Errorf("%s: %s was told of %v (%s, request %s) but never that it is over; clock %s", name, rcv, k, stage, r.Status, cj)
			case !over && stage != string(StageResolved) && reposts && !slices.ContainsFunc(firing, func(n Notice) bool {
				return n.RequestID == k.request && n.SLAID+"/"+string(n.Target) == k.clock
			}):
				t.Errorf("%s: %s was told of the breach of %v, still open, but it is not firing for it", name, rcv, k)
			}
		}
	}
}

// checkLiveBreachesAnnounced checks a desk that got every event when it
// happened: each clock breached at end, of an SLA with receivers, was
// announced to them (a breach that happened while slad knew of the clock
// is news).
func checkLiveBreachesAnnounced(t *testing.T, name string, d *desk, reqs []string, end time.Time) {
	t.Helper()
	got := map[string]bool{} // receiver|request|clock
	for _, rcv := range propReceivers {
		for _, n := range d.outbox[rcv] {
			if n.Stage == StageBreach {
				got[rcv+"|"+n.RequestID+"|"+n.SLAID+"/"+string(n.Target)] = true
			}
		}
	}
	for _, id := range reqs {
		stored, st := d.request(id)
		r := stored.At(d.p, end)
		for _, clk := range r.Clocks {
			s := d.p.SLA(clk.SLA)
			if s == nil || !clk.Breached() || (clk.Cancelled && !clk.Unmatched) {
				continue
			}
			for _, rcv := range Receivers(d.p, s, r.Provider, Stage{Kind: StageBreach}) {
				if !got[rcv+"|"+id+"|"+clk.Key()] {
					t.Errorf("%s: %s %s breached at %s (stopped %s) while slad was receiving its events live, yet %s was never told (fired %v)",
						name, id, clk.Key(), clk.BreachedAt.Format(time.DateTime), clk.Stopped.Format(time.DateTime), rcv, st.Fired[clk.Key()])
				}
			}
		}
	}
}

// TestArrivalOrderAndBatchingKeepAlertsTrue: one desk gets every event
// when it happens, one by one; the other gets two in three late, shuffled
// in batches, with a duplicate. Both tick at their own random times and
// finally at the same late instant: they fold the same requests, and the
// alerts of each stay true.
func TestArrivalOrderAndBatchingKeepAlertsTrue(t *testing.T) {
	cases := map[string]struct {
		stream    uint64
		policy    func(testing.TB) *sla.Policy
		histories func(*rand.Rand, int) []sla.Event
		rounds    int
		maxDelay  time.Duration // how late an event may arrive
		days      int           // from slatest.T0 to the last tick
		quiet     time.Duration // before the last tick, without random ticks
	}{
		"one SLA on 24x7, events up to 3h late": {
			stream: 11, policy: func(testing.TB) *sla.Policy { return slatest.DeskPolicy() }, histories: slatest.RandomHistories,
			rounds: 30, maxDelay: 3 * time.Hour, days: 6, quiet: 24 * time.Hour,
		},
		"handoffs to Network's OLA and waits on Sales' promise, events up to 3h late": {
			stream: 17, policy: slatest.HandoffPolicy, histories: slatest.RandomHistories,
			rounds: 30, maxDelay: 3 * time.Hour, days: 6, quiet: 24 * time.Hour,
		},
		"office hours, receiver-less SLA, requests leaving SLAs, events up to 8h late": {
			stream: 13, policy: slatest.RichPolicy, histories: slatest.RichHistories,
			rounds: 20, maxDelay: 8 * time.Hour, days: 10, quiet: 3 * 24 * time.Hour,
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			for _, seed := range propSeeds(t) {
				rng := rand.New(rand.NewPCG(seed, c.stream))
				for round := range testutil.Iterations(c.rounds) {
					events := c.histories(rng, 15)
					for i := range events {
						events[i].Seq = uint64(i)
					}
					end := slatest.T0.Add(time.Duration(c.days) * 24 * time.Hour)
					lateArrivals := slatest.LateAndShuffled(rng, events, c.maxDelay)
					inOrder, late := newDesk(t, c.policy(t)), newDesk(t, c.policy(t))
					inOrder.run(append(slatest.WithTicks(slatest.InOrder(events), slatest.RandomTicks(rng, slatest.T0, end.Add(-c.quiet))), slatest.Step{At: end}))
					late.run(append(slatest.WithTicks(lateArrivals, slatest.RandomTicks(rng, slatest.T0, end.Add(-c.quiet))), slatest.Step{At: end}))
					ids := reqIDs(events)
					for _, id := range ids {
						a, _ := inOrder.request(id)
						b, _ := late.request(id)
						if !reflect.DeepEqual(a, b) {
							ja, _ := json.Marshal(a)
							jb, _ := json.Marshal(b)
							t.Fatalf("seed %d round %d: request %s differs:\nin order: %s\nlate:     %s", seed, round, id, ja, jb)
						}
					}
					checkAlertsTrue(t, fmt.Sprintf("seed %d round %d in order", seed, round), inOrder, ids, end)
					checkAlertsTrue(t, fmt.Sprintf("seed %d round %d late", seed, round), late, ids, end)
					if t.Failed() {
						return
					}
				}
			}
		})
	}
}

// TestLiveBreachesAreAnnouncedWhateverTheTickSchedule: events arrive when
// they happen, ticks come at random intervals up to 2.5h (a sparse
// schedule, or downtime); every breach is announced at some tick.
func TestLiveBreachesAreAnnouncedWhateverTheTickSchedule(t *testing.T) {
	// The pinned seed lost a breach in its first round while a later event
	// could silence it as history (about 3% of seeds did).
	for _, seed := range propSeeds(t, 1795381591751981219) {
		rng := rand.New(rand.NewPCG(seed, 17))
		for round := range testutil.Iterations(20) {
			events := slatest.RandomHistories(rng, 15)
			for i := range events {
				events[i].Seq = uint64(i)
			}
			end := slatest.T0.Add(6 * 24 * time.Hour)
			d := newDesk(t, slatest.DeskPolicy())
			d.run(append(slatest.WithTicks(slatest.InOrder(events), slatest.RandomTicks(rng, slatest.T0, end.Add(-24*time.Hour))), slatest.Step{At: end}))
			checkLiveBreachesAnnounced(t, fmt.Sprintf("seed %d round %d", seed, round), d, reqIDs(events), end)
			if t.Failed() {
				return
			}
		}
	}
}

// reloadVariants are configurations a reload may switch between: the desk
// policy, a tighter and a looser P1 target, warn_at added, an escalation
// step added, the SLA notifying nobody extra, and the SLA removed.
func reloadVariants() []*sla.Policy {
	warn := slatest.DeskPolicy()
	warn.SLAs[0].WarnAt = []float64{0.25, 0.5, 0.9}
	esc := slatest.DeskPolicy()
	esc.SLAs[0].Escalate = append(esc.SLAs[0].Escalate, sla.Escalation{After: 3 * time.Hour, Notify: []string{"cto"}})
	quiet := slatest.DeskPolicy()
	quiet.SLAs[0].Notify = nil
	return []*sla.Policy{slatest.DeskPolicy(), withResolutionP1(2 * time.Hour), withResolutionP1(8 * time.Hour), warn, esc, quiet, withoutSLAs()}
}

// TestReloadsKeepAlertsTrue interleaves live ingests, ticks at random times
// and reloads among reloadVariants, then restores the desk policy, ticks,
// and checks that the alerts stay true.
func TestReloadsKeepAlertsTrue(t *testing.T) {
	// The pinned seed lost the due stages of closed requests while an SLA
	// was removed for a while.
	for _, seed := range propSeeds(t, 1795382032052142190) {
		rng := rand.New(rand.NewPCG(seed, 19))
		for round := range testutil.Iterations(20) {
			events := slatest.RandomHistories(rng, 15)
			for i := range events {
				events[i].Seq = uint64(i)
			}
			end := slatest.T0.Add(8 * 24 * time.Hour)
			steps := slatest.WithTicks(slatest.InOrder(events), slatest.RandomTicks(rng, slatest.T0, end.Add(-3*24*time.Hour)))
			variants := reloadVariants()
			d := newDesk(t, slatest.DeskPolicy())
			for _, st := range steps {
				d.run([]slatest.Step{st})
				if rng.IntN(12) == 0 {
					d.reload(variants[rng.IntN(len(variants))], st.At)
				}
			}
			d.reload(slatest.DeskPolicy(), end)
			d.tick(end)
			checkAlertsTrue(t, fmt.Sprintf("seed %d round %d", seed, round), d, reqIDs(events), end)
			if t.Failed() {
				return
			}
		}
	}
}
