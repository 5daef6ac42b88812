package store

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/sla"
)

// arrival is one step of a store's life: a batch of events ingested at a
// moment, or a tick.
type arrival struct {
	at     time.Time
	events []sla.Event // nil: a tick
}

// timeline merges ingests and ticks in time order (ingests first on ties).
func timeline(ingests []arrival, ticks []time.Time) []arrival {
	out := slices.Clone(ingests)
	for _, t := range ticks {
		out = append(out, arrival{at: t})
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
	return out
}

func randomTicks(rng *rand.Rand, from, to time.Time) []time.Time {
	var out []time.Time
	for t := from; t.Before(to); {
		t = t.Add(time.Duration(1+rng.IntN(150)) * time.Minute)
		out = append(out, t)
	}
	return out
}

func runTimeline(t *testing.T, s *Store, clock *fakeClock, steps []arrival) {
	t.Helper()
	ctx := context.Background()
	for _, st := range steps {
		clock.Set(st.at)
		if st.events == nil {
			if _, err := s.Evaluate(st.at); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if _, err := s.Append(ctx, st.events); err != nil {
			t.Fatal(err)
		}
	}
}

// alertInvariants checks what must hold whatever the order of ingests and
// ticks, once a tick at end has run:
//   - no receiver is queued the same notice id twice;
//   - a "resolved" goes only to a receiver told of that clock's breach or
//     escalation, and every receiver told of a clock that is over (request
//     resolved or cancelled, or clock no longer breached) has heard the
//     "resolved" last;
//   - Firing is empty for closed requests, and holds the breach of every
//     open breached clock for a receiver told of it;
//   - nothing due by end is left unfired (the deadline index is past end).
func alertInvariants(t *testing.T, name string, s *Store, reqs []string, end time.Time) {
	t.Helper()
	p := s.Policy()
	final := map[string]sla.Request{}
	for _, id := range reqs {
		v, err := s.Request(id)
		if err != nil {
			t.Fatal(err)
		}
		lr := v.Request
		lr.Clocks = slices.Clone(v.Request.Clocks)
		lr.AdvanceTo(p, end)
		final[id] = lr // as it stands at end
		if due, ok := lifecycle.NextDue(p, &lifecycle.State{Fired: v.Fired}, &lr, end); ok && !due.After(end) {
			t.Errorf("%s: %s: stage due at %s left unfired after the tick at %s (fired %v)", name, id, due, end, v.Fired)
		}
	}
	if d, ok, _ := s.NextDeadline(); ok && !d.After(end) {
		t.Errorf("%s: deadline index still holds %s after the tick at %s", name, d, end)
	}
	for _, rcv := range []string{"it-chat", "am", "boss", "cto"} {
		items := outboxOf(t, s, rcv)
		seen := map[string]bool{}
		told := map[string]bool{}   // request/clock → told of a breach or escalation at some point
		last := map[string]string{} // request/clock → last breach/escalation/resolved stage
		for _, it := range items {
			n := it.Notice
			if seen[n.ID] {
				t.Errorf("%s: %s queued notice %s (%s %s %s/%s) twice", name, rcv, n.ID, n.RequestID, n.StageKey, n.SLAID, n.Target)
			}
			seen[n.ID] = true
			k := n.RequestID + "|" + n.SLAID + "/" + string(n.Target)
			switch n.Stage {
			case lifecycle.StageBreach, lifecycle.StageEscalation:
				told[k] = true
				last[k] = string(n.Stage)
			case lifecycle.StageResolved:
				if !told[k] {
					t.Errorf("%s: %s got resolved for %s without having been told of a breach", name, rcv, k)
				}
				last[k] = string(n.Stage)
			}
		}
		for k, stage := range last {
			var id, key string
			for i := range k {
				if k[i] == '|' {
					id, key = k[:i], k[i+1:]
				}
			}
			r := final[id]
			var clk *sla.Clock
			for i := range r.Clocks {
				if r.Clocks[i].Key() == key {
					clk = &r.Clocks[i]
				}
			}
			over := r.Status != sla.StatusOpen || clk == nil || !clk.Breached() || !clk.Open()
			if over && stage != string(lifecycle.StageResolved) {
				cj, _ := json.Marshal(clk)
				t.Errorf("%s: %s was told of %s (%s, request %s) but never that it is over; clock %s", name, rcv, k, stage, r.Status, cj)
			}
		}
		firing, err := s.Firing(rcv)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range firing {
			r := final[n.RequestID]
			if r.Status != sla.StatusOpen {
				t.Errorf("%s: %s: request %s is %s but still firing %s %s/%s", name, rcv, n.RequestID, r.Status, n.StageKey, n.SLAID, n.Target)
			}
		}
		// Told of a breach that is still open: firing.
		for k, stage := range last {
			if stage == string(lifecycle.StageResolved) {
				continue
			}
			var id, key string
			for i := range k {
				if k[i] == '|' {
					id, key = k[:i], k[i+1:]
				}
			}
			r := final[id]
			var clk *sla.Clock
			for i := range r.Clocks {
				if r.Clocks[i].Key() == key {
					clk = &r.Clocks[i]
				}
			}
			if r.Status != sla.StatusOpen || clk == nil || !clk.Open() || !clk.Breached() {
				continue
			}
			if !slices.ContainsFunc(firing, func(n lifecycle.Notice) bool {
				return n.RequestID == id && n.SLAID+"/"+string(n.Target) == key
			}) {
				t.Errorf("%s: %s was told of the breach of %s %s, still open, but it is not firing for it", name, rcv, id, key)
			}
		}
	}
}

func reqIDs(events []sla.Event) []string {
	var out []string
	for _, e := range events {
		if !slices.Contains(out, e.Request) {
			out = append(out, e.Request)
		}
	}
	return out
}

func review2Seed(t *testing.T) uint64 {
	if v, err := strconv.ParseUint(os.Getenv("REVIEW2_SEED"), 10, 64); err == nil {
		return v
	}
	return uint64(time.Now().UnixNano())
}

// TestReview2ArrivalOrderWithTicks extends TestArrivalOrderDoesNotMatter
// with evaluation ticks at random times between ingests. One store gets
// every event at its own time, in order, one by one; the other gets them
// late by up to a few hours, shuffled, in random batches. Both tick at
// their own random times and finally at the same late instant. The final
// requests and figures must agree; the alerts each store queued must obey
// alertInvariants.
func TestArrivalOrderWithTicks(t *testing.T) {
	seed := review2Seed(t)
	t.Logf("seed %d (REVIEW2_SEED=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 11))
	for round := range 6 {
		events := randomHistories(rng, 15)
		for i := range events {
			events[i].Seq = uint64(i)
		}
		end := t0.Add(6 * 24 * time.Hour)
		ids := reqIDs(events)

		// In order, each event when it happens.
		sorted := slices.Clone(events)
		sla.SortEvents(sorted)
		var inOrder []arrival
		for _, e := range sorted {
			inOrder = append(inOrder, arrival{at: e.At, events: []sla.Event{e}})
		}
		// Late and shuffled: each event arrives up to 3h late; those
		// arriving close together share a batch.
		type late struct {
			at time.Time
			e  sla.Event
		}
		var ls []late
		for _, e := range events {
			d := time.Duration(0)
			if rng.IntN(3) > 0 {
				d = time.Duration(rng.IntN(180)) * time.Minute
			}
			ls = append(ls, late{e.At.Add(d), e})
		}
		ls = append(ls, ls[rng.IntN(len(ls))]) // a duplicate
		slices.SortStableFunc(ls, func(a, b late) int { return a.at.Compare(b.at) })
		var shuffled []arrival
		for i := 0; i < len(ls); {
			n := min(len(ls)-i, 1+rng.IntN(5))
			batch := make([]sla.Event, 0, n)
			for _, l := range ls[i : i+n] {
				batch = append(batch, l.e)
			}
			rng.Shuffle(len(batch), func(a, b int) { batch[a], batch[b] = batch[b], batch[a] })
			shuffled = append(shuffled, arrival{at: ls[i+n-1].at, events: batch})
			i += n
		}

		clockA, clockB := &fakeClock{t: t0}, &fakeClock{t: t0}
		a := openTest(t, t.TempDir(), clockA)
		b := openTest(t, t.TempDir(), clockB)
		runTimeline(t, a, clockA, append(timeline(inOrder, randomTicks(rng, t0, end.Add(-24*time.Hour))), arrival{at: end}))
		runTimeline(t, b, clockB, append(timeline(shuffled, randomTicks(rng, t0, end.Add(-24*time.Hour))), arrival{at: end}))

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
		alertInvariants(t, fmt.Sprintf("seed %d round %d in order", seed, round), a, ids, end)
		alertInvariants(t, fmt.Sprintf("seed %d round %d shuffled", seed, round), b, ids, end)
		if t.Failed() {
			return
		}
	}
}

// review2Policy adds to testPolicy an SLA on office hours (Mon-Fri
// 09:00-17:00 Berlin) for IT incidents of any customer, with two warnings
// and two escalation steps, and an HR SLA whose department and SLA name no
// receiver at all.
func review2Policy(t *testing.T) *sla.Policy {
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

func randomHistories2(rng *rand.Rand, requests int) []sla.Event {
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

// TestReview2ArrivalOrderWithTicksRich is TestReview2ArrivalOrderWithTicks
// over review2Policy: three SLAs, office hours, zero receivers, requests
// leaving and re-entering SLAs, and delays up to 8 hours.
func TestArrivalOrderWithTicksRich(t *testing.T) {
	seed := review2Seed(t)
	t.Logf("seed %d (REVIEW2_SEED=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 13))
	for round := range 4 {
		events := randomHistories2(rng, 15)
		for i := range events {
			events[i].Seq = uint64(i)
		}
		end := t0.Add(10 * 24 * time.Hour)
		ids := reqIDs(events)
		sorted := slices.Clone(events)
		sla.SortEvents(sorted)
		var inOrder []arrival
		for _, e := range sorted {
			inOrder = append(inOrder, arrival{at: e.At, events: []sla.Event{e}})
		}
		type late struct {
			at time.Time
			e  sla.Event
		}
		var ls []late
		for _, e := range events {
			d := time.Duration(0)
			if rng.IntN(3) > 0 {
				d = time.Duration(rng.IntN(480)) * time.Minute
			}
			ls = append(ls, late{e.At.Add(d), e})
		}
		ls = append(ls, ls[rng.IntN(len(ls))])
		slices.SortStableFunc(ls, func(a, b late) int { return a.at.Compare(b.at) })
		var shuffled []arrival
		for i := 0; i < len(ls); {
			n := min(len(ls)-i, 1+rng.IntN(5))
			batch := make([]sla.Event, 0, n)
			for _, l := range ls[i : i+n] {
				batch = append(batch, l.e)
			}
			rng.Shuffle(len(batch), func(a, b int) { batch[a], batch[b] = batch[b], batch[a] })
			shuffled = append(shuffled, arrival{at: ls[i+n-1].at, events: batch})
			i += n
		}
		mk := func(clock *fakeClock) *Store {
			s, err := Open(Options{Dir: t.TempDir(), Policy: review2Policy(t), Now: clock.Now})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
		clockA, clockB := &fakeClock{t: t0}, &fakeClock{t: t0}
		a, b := mk(clockA), mk(clockB)
		runTimeline(t, a, clockA, append(timeline(inOrder, randomTicks(rng, t0, end.Add(-3*24*time.Hour))), arrival{at: end}))
		runTimeline(t, b, clockB, append(timeline(shuffled, randomTicks(rng, t0, end.Add(-3*24*time.Hour))), arrival{at: end}))

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
		for _, sid := range []string{"it-office", "hr-any"} {
			first, last := sla.DateOf(t0).AddDays(-1), sla.DateOf(t0).AddDays(30)
			wa, _ := a.WindowFigures(sid, first, last)
			wb, _ := b.WindowFigures(sid, first, last)
			if !reflect.DeepEqual(wa, wb) {
				t.Errorf("seed %d round %d: %s window differs: in order %+v, shuffled %+v", seed, round, sid, wa, wb)
			}
		}
		alertInvariants(t, fmt.Sprintf("seed %d round %d in order", seed, round), a, ids, end)
		alertInvariants(t, fmt.Sprintf("seed %d round %d shuffled", seed, round), b, ids, end)
		if t.Failed() {
			return
		}
	}
}

// liveBreachesAnnounced checks a store that got every event when it
// happened: each clock breached at end, of an SLA with receivers, was
// announced to them (its breach fired was news when it happened).
func liveBreachesAnnounced(t *testing.T, name string, s *Store, reqs []string, end time.Time) {
	t.Helper()
	p := s.Policy()
	got := map[string]bool{} // receiver|request|clock
	for _, rcv := range []string{"it-chat", "am", "boss", "cto"} {
		for _, it := range outboxOf(t, s, rcv) {
			if it.Notice.Stage == lifecycle.StageBreach {
				got[rcv+"|"+it.Notice.RequestID+"|"+it.Notice.SLAID+"/"+string(it.Notice.Target)] = true
			}
		}
	}
	for _, id := range reqs {
		v, err := s.Request(id)
		if err != nil {
			t.Fatal(err)
		}
		r := v.Request
		r.Clocks = slices.Clone(r.Clocks)
		r.AdvanceTo(p, end)
		for _, clk := range r.Clocks {
			sl := p.SLA(clk.SLA)
			if sl == nil || !clk.Breached() || (clk.Cancelled && !clk.Unmatched) {
				continue
			}
			for _, rcv := range lifecycle.Receivers(p, sl, lifecycle.Stage{Kind: lifecycle.StageBreach}) {
				if !got[rcv+"|"+id+"|"+clk.Key()] {
					t.Errorf("%s: %s %s breached at %s (stopped %s) while slad was receiving its events live, yet %s was never told (fired %v)",
						name, id, clk.Key(), clk.BreachedAt.Format(time.DateTime), clk.Stopped.Format(time.DateTime), rcv, v.Fired[clk.Key()])
				}
			}
		}
	}
}

// TestReview2LiveBreachesAreAnnouncedWhateverTheTickSchedule: events arrive
// when they happen, ticks come at random intervals up to 2.5h (a sparse
// schedule, or downtime). Every breach must be announced at some tick.
func TestLiveBreachesAreAnnouncedWhateverTheTickSchedule(t *testing.T) {
	// A seed that shows the finding in its first round; REVIEW2_SEED
	// explores others (about 3% of random seeds fail).
	seed := uint64(1795381591751981219)
	if os.Getenv("REVIEW2_SEED") != "" {
		seed = review2Seed(t)
	}
	t.Logf("seed %d (REVIEW2_SEED=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 17))
	for round := range 4 {
		events := randomHistories(rng, 15)
		for i := range events {
			events[i].Seq = uint64(i)
		}
		end := t0.Add(6 * 24 * time.Hour)
		sorted := slices.Clone(events)
		sla.SortEvents(sorted)
		var inOrder []arrival
		for _, e := range sorted {
			inOrder = append(inOrder, arrival{at: e.At, events: []sla.Event{e}})
		}
		clock := &fakeClock{t: t0}
		s := openTest(t, t.TempDir(), clock)
		runTimeline(t, s, clock, append(timeline(inOrder, randomTicks(rng, t0, end.Add(-24*time.Hour))), arrival{at: end}))
		liveBreachesAnnounced(t, fmt.Sprintf("seed %d round %d", seed, round), s, reqIDs(events), end)
		if t.Failed() {
			return
		}
	}
}
