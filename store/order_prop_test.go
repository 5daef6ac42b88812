package store

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
)

// randomHistories draws requests' lives on the test policy: each opens,
// then responds, pauses, resumes, resolves, reopens, updates its priority
// or is cancelled, at increasing times within two days.
func randomHistories(rng *rand.Rand, requests int) []sla.Event {
	var out []sla.Event
	types := []sla.EventType{sla.Responded, sla.Paused, sla.Resumed, sla.Resolved, sla.Reopened, sla.Updated, sla.Cancelled}
	for r := range requests {
		req := fmt.Sprint("R", r)
		at := t0.Add(time.Duration(rng.IntN(24*60)) * time.Minute)
		out = append(out, ev(req+"-0", req, sla.Opened, at, func(e *sla.Event) { e.Priority = []string{"P1", "P2"}[rng.IntN(2)] }))
		for i := 1; i < 1+rng.IntN(8); i++ {
			at = at.Add(time.Duration(1+rng.IntN(300)) * time.Minute)
			e := ev(fmt.Sprint(req, "-", i), req, types[rng.IntN(len(types))], at)
			switch e.Type {
			case sla.Paused:
				e.Reason = []string{"waiting_for_customer", "other"}[rng.IntN(2)]
			case sla.Updated:
				e.Priority = []string{"P1", "P2"}[rng.IntN(2)]
			case sla.Resolved:
				e.CSAT = rng.IntN(6)
			}
			out = append(out, e)
		}
	}
	return out
}

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
	for _, e := range events {
		v, err := s.Request(e.Request)
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
	first, last := sla.DateOf(t0).AddDays(-1), sla.DateOf(t0).AddDays(30)
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
		events := randomHistories(rng, 20)
		now := t0.Add(4 * 24 * time.Hour) // old enough for every clock to be history
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

// arrival is one step of a store's life: a batch of events ingested at a
// moment, or a tick (no events).
type arrival struct {
	at     time.Time
	events []sla.Event
}

// inOrder delivers each event when it happens, one by one.
func inOrder(events []sla.Event) []arrival {
	sorted := slices.Clone(events)
	sla.SortEvents(sorted)
	var out []arrival
	for _, e := range sorted {
		out = append(out, arrival{at: e.At, events: []sla.Event{e}})
	}
	return out
}

// lateAndShuffled delivers two events in three up to maxDelay late, plus a
// duplicate; events arriving close together share a batch, shuffled.
func lateAndShuffled(rng *rand.Rand, events []sla.Event, maxDelay time.Duration) []arrival {
	type late struct {
		at time.Time
		e  sla.Event
	}
	var ls []late
	for _, e := range events {
		d := time.Duration(0)
		if rng.IntN(3) > 0 {
			d = time.Duration(rng.IntN(int(maxDelay/time.Minute))) * time.Minute
		}
		ls = append(ls, late{e.At.Add(d), e})
	}
	ls = append(ls, ls[rng.IntN(len(ls))])
	slices.SortStableFunc(ls, func(a, b late) int { return a.at.Compare(b.at) })
	var out []arrival
	for i := 0; i < len(ls); {
		n := min(len(ls)-i, 1+rng.IntN(5))
		batch := make([]sla.Event, 0, n)
		for _, l := range ls[i : i+n] {
			batch = append(batch, l.e)
		}
		rng.Shuffle(len(batch), func(a, b int) { batch[a], batch[b] = batch[b], batch[a] })
		out = append(out, arrival{at: ls[i+n-1].at, events: batch})
		i += n
	}
	return out
}

// withTicks adds ticks 1 to 150 minutes apart from t0 to until, in time
// order with the ingests (ingests first on ties), and a last tick at end.
func withTicks(rng *rand.Rand, ingests []arrival, until, end time.Time) []arrival {
	out := slices.Clone(ingests)
	for at := t0; at.Before(until); {
		at = at.Add(time.Duration(1+rng.IntN(150)) * time.Minute)
		out = append(out, arrival{at: at})
	}
	slices.SortStableFunc(out, func(a, b arrival) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		if (a.events == nil) != (b.events == nil) {
			if a.events == nil {
				return 1
			}
			return -1
		}
		return 0
	})
	return append(out, arrival{at: end})
}

func runTimeline(t *testing.T, s *Store, clock *testutil.Clock, steps []arrival) {
	t.Helper()
	for _, st := range steps {
		clock.Set(st.at)
		if st.events == nil {
			if _, err := s.Evaluate(st.at); err != nil {
				t.Fatal(err)
			}
		} else if _, err := s.Append(context.Background(), st.events); err != nil {
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
		policy    func(*testing.T) *sla.Policy
		histories func(*rand.Rand, int) []sla.Event
		rounds    int
		maxDelay  time.Duration // how late an event may arrive
		days      int           // from t0 to the last tick
		quiet     time.Duration // before the last tick, without random ticks
	}{
		"one SLA on 24x7, events up to 3h late": {
			stream: 11, policy: func(*testing.T) *sla.Policy { return testPolicy() }, histories: randomHistories,
			rounds: 6, maxDelay: 3 * time.Hour, days: 6, quiet: 24 * time.Hour,
		},
		"office hours, requests leaving SLAs, events up to 8h late": {
			stream: 13, policy: richPolicy, histories: richHistories,
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
				end := t0.Add(time.Duration(c.days) * 24 * time.Hour)
				late := lateAndShuffled(rng, events, c.maxDelay)
				open := func(clock *testutil.Clock) *Store {
					s, err := Open(Options{Dir: t.TempDir(), Policy: c.policy(t), Now: clock.Now})
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { s.Close() })
					return s
				}
				clockA, clockB := testutil.NewClock(t0), testutil.NewClock(t0)
				a, b := open(clockA), open(clockB)
				runTimeline(t, a, clockA, withTicks(rng, inOrder(events), end.Add(-c.quiet), end))
				runTimeline(t, b, clockB, withTicks(rng, late, end.Add(-c.quiet), end))

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
					first, last := sla.DateOf(t0).AddDays(-1), sla.DateOf(t0).AddDays(30)
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

// richPolicy adds to testPolicy an SLA on office hours (Mon-Fri
// 09:00-17:00 Berlin) for IT incidents of any customer, with two warnings
// and two escalation steps, and an HR SLA whose department and SLA name no
// receiver at all.
func richPolicy(t *testing.T) *sla.Policy {
	p := testPolicy()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	var week [7][]sla.Interval
	for d := time.Monday; d <= time.Friday; d++ {
		week[d] = []sla.Interval{{Start: 9 * 3600, End: 17 * 3600}}
	}
	office, err := sla.NewCalendar("office", berlin, week, nil)
	if err != nil {
		t.Fatal(err)
	}
	p.SLAs = append(p.SLAs,
		&sla.SLA{
			ID: "it-office", Provider: "it", Customers: []string{"*"}, Match: sla.Match{Category: []string{"incident"}},
			Calendar:   office,
			Response:   sla.Target{Default: time.Hour},
			Resolution: sla.Target{ByPriority: map[string]time.Duration{"P1": 2 * time.Hour}, Default: 8 * time.Hour},
			Objective:  0.9, Window: sla.Window{Kind: sla.Rolling, Days: 30},
			PauseOn: []string{"*"}, WarnAt: []float64{0.25, 0.75},
			Escalate: []sla.Escalation{{After: 30 * time.Minute, Notify: []string{"boss"}}, {After: 2 * time.Hour, Notify: []string{"cto"}}},
		},
		&sla.SLA{
			ID: "hr-any", Provider: "hr", Customers: []string{"*"}, Calendar: sla.AlwaysOpen(),
			Response: sla.Target{Default: 15 * time.Minute}, Resolution: sla.Target{Default: 3 * time.Hour},
			Objective: 0.9, Window: sla.Window{Kind: sla.Rolling, Days: 30}, WarnAt: []float64{0.5},
		})
	p.Departments["hr"] = &sla.Department{ID: "hr"}
	return p
}

// richHistories draws requests' lives on richPolicy: two providers, three
// priorities, incidents and changes (so requests leave and re-enter SLAs),
// within three days.
func richHistories(rng *rand.Rand, requests int) []sla.Event {
	var out []sla.Event
	types := []sla.EventType{sla.Responded, sla.Paused, sla.Resumed, sla.Resolved, sla.Reopened, sla.Updated, sla.Updated, sla.Cancelled, sla.Resolved, sla.Reopened}
	prios := []string{"P1", "P2", "P3"}
	cats := []string{"incident", "change"}
	for r := range requests {
		req := fmt.Sprint("Q", r)
		at := t0.Add(time.Duration(rng.IntN(36*60)) * time.Minute)
		prov := []string{"it", "it", "hr"}[rng.IntN(3)]
		out = append(out, ev(req+"-0", req, sla.Opened, at, func(e *sla.Event) {
			e.Provider, e.Priority, e.Category = prov, prios[rng.IntN(3)], cats[rng.IntN(2)]
		}))
		for i := 1; i < 1+rng.IntN(10); i++ {
			at = at.Add(time.Duration(1+rng.IntN(240)) * time.Minute)
			e := ev(fmt.Sprint(req, "-", i), req, types[rng.IntN(len(types))], at)
			switch e.Type {
			case sla.Paused:
				e.Reason = []string{"waiting_for_customer", "other"}[rng.IntN(2)]
			case sla.Updated:
				if rng.IntN(2) == 0 {
					e.Priority = prios[rng.IntN(3)]
				} else {
					e.Category = cats[rng.IntN(2)]
				}
			case sla.Resolved:
				e.CSAT = rng.IntN(6)
			}
			out = append(out, e)
		}
	}
	return out
}
