package store

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// snapshot is what must not depend on the order events arrived in.
type snapshot struct {
	Requests     map[string]sla.Request
	Fired        map[string][]string // request/clock → stages marked fired
	Open         map[[3]string]int64
	OpenBreached map[[2]string]int64
	Window       Window
	Stops        []Stop
	Deadline     time.Time
}

func takeSnapshot(t *testing.T, s *Store, events []sla.Event) snapshot {
	t.Helper()
	snap := snapshot{Requests: map[string]sla.Request{}, Fired: map[string][]string{}}
	provider := map[string]string{} // each request's, from its opening
	for _, e := range events {
		if e.Type == sla.Opened {
			provider[e.Request] = e.Provider
		}
	}
	for _, e := range events {
		v, err := s.Request(Ref{Provider: provider[e.Request], ID: e.Request})
		if err != nil {
			t.Fatal(err)
		}
		snap.Requests[e.Request] = v.Request
		for k, stages := range v.Fired {
			if len(stages) > 0 {
				snap.Fired[e.Request+"/"+k] = stages
			}
		}
	}
	c, err := s.Counters()
	if err != nil {
		t.Fatal(err)
	}
	snap.Open, snap.OpenBreached = c.Open, c.OpenBreached
	first, last := sla.DateOf(slatest.T0).AddDays(-1), sla.DateOf(slatest.T0).AddDays(30)
	if snap.Window, err = s.WindowFigures("it-sales", first, last); err != nil {
		t.Fatal(err)
	}
	if snap.Stops, err = s.Stops("it-sales", sla.Resolution, first, last); err != nil {
		t.Fatal(err)
	}
	snap.Deadline, _, _ = s.NextDeadline()
	return snap
}

// TestArrivalOrderDoesNotMatter ingests the same histories one event at a
// time in time order (each applied on top of the stored request) and
// shuffled in random batches (each request folded from scratch), and
// expects the same requests, gauges, day aggregates, stops and deadlines.
func TestArrivalOrderDoesNotMatter(t *testing.T) {
	seed := testutil.Seed(t, 0)
	rng := rand.New(rand.NewPCG(seed, 7))
	for round := range testutil.Iterations(5) {
		events := slatest.RandomHistories(rng, 20)
		now := slatest.T0.Add(4 * 24 * time.Hour) // old enough for every clock to be history
		clock := testutil.NewClock(now)
		inOrder := openTest(t, t.TempDir(), clock)
		shuffled := openTest(t, t.TempDir(), clock)
		ctx := context.Background()

		sorted := append([]sla.Event(nil), events...)
		for i := range sorted {
			sorted[i].Seq = uint64(i) // keep generation order for ties
		}
		sla.SortEvents(sorted)
		for _, e := range sorted {
			if _, err := inOrder.Append(ctx, []sla.Event{e}); err != nil {
				t.Fatal(err)
			}
		}
		mixed := append([]sla.Event(nil), events...)
		rng.Shuffle(len(mixed), func(i, j int) { mixed[i], mixed[j] = mixed[j], mixed[i] })
		mixed = append(mixed, events[rng.IntN(len(events))]) // and a duplicate
		for len(mixed) > 0 {
			n := min(len(mixed), 1+rng.IntN(7))
			if _, err := shuffled.Append(ctx, mixed[:n]); err != nil {
				t.Fatal(err)
			}
			mixed = mixed[n:]
		}
		a, b := takeSnapshot(t, inOrder, events), takeSnapshot(t, shuffled, events)
		for id := range a.Requests {
			if !reflect.DeepEqual(a.Requests[id], b.Requests[id]) {
				ja, _ := json.Marshal(a.Requests[id])
				jb, _ := json.Marshal(b.Requests[id])
				t.Fatalf("seed %d round %d: request %s differs:\nin order: %s\nshuffled: %s", seed, round, id, ja, jb)
			}
		}
		for k := range a.Fired {
			if !reflect.DeepEqual(a.Fired[k], b.Fired[k]) {
				t.Fatalf("seed %d round %d: %s fired %v in order, %v shuffled", seed, round, k, a.Fired[k], b.Fired[k])
			}
		}
		for k := range b.Fired {
			if _, ok := a.Fired[k]; !ok {
				t.Fatalf("seed %d round %d: %s fired %v shuffled, nothing in order", seed, round, k, b.Fired[k])
			}
		}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("seed %d round %d: derived figures differ:\nin order: %+v\nshuffled: %+v", seed, round, a, b)
		}
	}
}

func runTimeline(t *testing.T, s *Store, clock *testutil.Clock, steps []slatest.Step) {
	t.Helper()
	for _, st := range steps {
		clock.Set(st.At)
		if st.Events == nil {
			if _, err := s.Evaluate(st.At); err != nil {
				t.Fatal(err)
			}
		} else if _, err := s.Append(context.Background(), st.Events); err != nil {
			t.Fatal(err)
		}
	}
}

// TestArrivalOrderWithTicksKeepsTheSameFigures: one store gets every event
// when it happens, one by one; the other gets two in three late, shuffled
// in batches. Both tick at their own random times (ticks record breaches
// and move the deadline index) and finally at the same late instant. The
// requests and every SLA's figures must agree, and neither index may hold
// anything due by then. (That the alerts stay true is package lifecycle's
// property test.)
func TestArrivalOrderWithTicksKeepsTheSameFigures(t *testing.T) {
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
			rounds: 6, maxDelay: 3 * time.Hour, days: 6, quiet: 24 * time.Hour,
		},
		"handoffs to Network's OLA and waits on Sales' promise, events up to 3h late": {
			stream: 17, policy: slatest.HandoffPolicy, histories: slatest.RandomHistories,
			rounds: 6, maxDelay: 3 * time.Hour, days: 6, quiet: 24 * time.Hour,
		},
		"office hours, requests leaving SLAs, events up to 8h late": {
			stream: 13, policy: slatest.RichPolicy, histories: slatest.RichHistories,
			rounds: 4, maxDelay: 8 * time.Hour, days: 10, quiet: 3 * 24 * time.Hour,
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			seed := testutil.Seed(t, 0)
			rng := rand.New(rand.NewPCG(seed, c.stream))
			for round := range testutil.Iterations(c.rounds) {
				events := c.histories(rng, 15)
				for i := range events {
					events[i].Seq = uint64(i)
				}
				end := slatest.T0.Add(time.Duration(c.days) * 24 * time.Hour)
				late := slatest.LateAndShuffled(rng, events, c.maxDelay)
				open := func(clock *testutil.Clock) *Store {
					s, err := Open(Options{Dir: t.TempDir(), Policy: c.policy(t), Now: clock.Now})
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { s.Close() })
					return s
				}
				clockA, clockB := testutil.NewClock(slatest.T0), testutil.NewClock(slatest.T0)
				a, b := open(clockA), open(clockB)
				runTimeline(t, a, clockA, append(slatest.WithTicks(slatest.InOrder(events), slatest.RandomTicks(rng, slatest.T0, end.Add(-c.quiet))), slatest.Step{At: end}))
				runTimeline(t, b, clockB, append(slatest.WithTicks(late, slatest.RandomTicks(rng, slatest.T0, end.Add(-c.quiet))), slatest.Step{At: end}))

				sa, sb := takeSnapshot(t, a, events), takeSnapshot(t, b, events)
				for id := range sa.Requests {
					if !reflect.DeepEqual(sa.Requests[id], sb.Requests[id]) {
						ja, _ := json.Marshal(sa.Requests[id])
						jb, _ := json.Marshal(sb.Requests[id])
						t.Fatalf("seed %d round %d: request %s differs:\nin order: %s\nshuffled: %s", seed, round, id, ja, jb)
					}
				}
				if !reflect.DeepEqual(sa.Open, sb.Open) || !reflect.DeepEqual(sa.OpenBreached, sb.OpenBreached) ||
					!reflect.DeepEqual(sa.Window, sb.Window) || !reflect.DeepEqual(sa.Stops, sb.Stops) {
					t.Errorf("seed %d round %d: figures differ:\nin order: open %v openBreached %v window %+v\nshuffled: open %v openBreached %v window %+v",
						seed, round, sa.Open, sa.OpenBreached, sa.Window, sb.Open, sb.OpenBreached, sb.Window)
				}
				for _, s := range a.Policy().SLAs {
					first, last := sla.DateOf(slatest.T0).AddDays(-1), sla.DateOf(slatest.T0).AddDays(30)
					wa, _ := a.WindowFigures(s.ID, first, last)
					wb, _ := b.WindowFigures(s.ID, first, last)
					if !reflect.DeepEqual(wa, wb) {
						t.Errorf("seed %d round %d: %s window differs: in order %+v, shuffled %+v", seed, round, s.ID, wa, wb)
					}
				}
				for _, s := range []*Store{a, b} {
					if d, ok, _ := s.NextDeadline(); ok && !d.After(end) {
						t.Errorf("seed %d round %d: deadline index still holds %s after the tick at %s", seed, round, d, end)
					}
				}
				if t.Failed() {
					return
				}
			}
		})
	}
}
