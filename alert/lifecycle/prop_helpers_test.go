package lifecycle

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
)

// propSeeds returns the seeds a property test runs with, each logged (see
// package testutil): SLAD_SEED alone when it is set; otherwise the pinned
// ones (seeds that once showed a bug) and a fresh one.
func propSeeds(t *testing.T, pinned ...uint64) []uint64 {
	t.Helper()
	if os.Getenv(testutil.SeedEnv) != "" {
		return []uint64{testutil.Seed(t, 0)}
	}
	var seeds []uint64
	for _, p := range append(pinned, 0) {
		seeds = append(seeds, testutil.Seed(t, p))
	}
	return seeds
}

// randomHistories draws requests' lives on the desk policy: each opens,
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

// richPolicy adds to the desk policy an SLA on office hours (Mon-Fri
// 09:00-17:00 Berlin) for IT incidents of any customer, with two warnings
// and two escalation steps, and an HR SLA whose department and SLA name no
// receiver at all.
func richPolicy(t testing.TB) *sla.Policy {
	p := deskPolicy()
	var week [7][]sla.Interval
	for d := time.Monday; d <= time.Friday; d++ {
		week[d] = []sla.Interval{{Start: 9 * 3600, End: 17 * 3600}}
	}
	office, err := sla.NewCalendar("office", berlin(t), week, nil)
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

// step is one moment of a desk's life: a batch of events ingested, or a
// tick (no events).
type step struct {
	at     time.Time
	events []sla.Event
}

// liveSteps delivers each event when it happens, one by one, in order.
func liveSteps(events []sla.Event) []step {
	sorted := slices.Clone(events)
	sla.SortEvents(sorted)
	var out []step
	for _, e := range sorted {
		out = append(out, step{at: e.At, events: []sla.Event{e}})
	}
	return out
}

// lateSteps delivers two events in three up to maxDelay late, plus one
// duplicate; events arriving close together share a batch, shuffled.
func lateSteps(rng *rand.Rand, events []sla.Event, maxDelay time.Duration) []step {
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
	var out []step
	for i := 0; i < len(ls); {
		n := min(len(ls)-i, 1+rng.IntN(5))
		batch := make([]sla.Event, 0, n)
		for _, l := range ls[i : i+n] {
			batch = append(batch, l.e)
		}
		rng.Shuffle(len(batch), func(a, b int) { batch[a], batch[b] = batch[b], batch[a] })
		out = append(out, step{at: ls[i+n-1].at, events: batch})
		i += n
	}
	return out
}

// withTicks merges ingests and ticks in time order (ingests first on ties).
func withTicks(ingests []step, ticks []time.Time) []step {
	out := slices.Clone(ingests)
	for _, t := range ticks {
		out = append(out, step{at: t})
	}
	slices.SortStableFunc(out, func(a, b step) int {
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

// randomTicks draws ticks from from to to, 1 to 150 minutes apart (a
// sparse schedule, or downtime).
func randomTicks(rng *rand.Rand, from, to time.Time) []time.Time {
	var out []time.Time
	for t := from; t.Before(to); {
		t = t.Add(time.Duration(1+rng.IntN(150)) * time.Minute)
		out = append(out, t)
	}
	return out
}

// run takes the desk through the steps.
func (d *desk) run(steps []step) {
	for _, st := range steps {
		if st.events == nil {
			d.tick(st.at)
		} else {
			d.ingest(st.at, st.events...)
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

var propReceivers = []string{"it-chat", "am", "boss", "cto"}
