package sla

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/slad-project/slad/internal/testutil"
)

// randHistory draws a request's events on the fixture policy: usually one
// "opened" (sometimes none, sometimes two), then pauses, resumes,
// responses, resolutions, reopens, updates and the odd cancel, some dated
// before the opening and some at the same instant. Seq is the position in
// the returned (arrival) order.
func randHistory(r *rand.Rand, loc *time.Location) []Event {
	start := time.Date(2026, time.Month(1+r.IntN(12)), 1+r.IntN(28), r.IntN(24), r.IntN(4)*15, 0, 0, loc)
	pick := func(s ...string) string { return s[r.IntN(len(s))] }
	var evs []Event
	add := func(typ EventType, offsetMin int, edit func(*Event)) {
		e := Event{ID: "e" + string(rune('A'+len(evs))), Request: "R", Type: typ, At: start.Add(time.Duration(offsetMin) * time.Minute)}
		if edit != nil {
			edit(&e)
		}
		evs = append(evs, e)
	}
	opens := 1
	switch r.IntN(12) {
	case 0:
		opens = 0
	case 1:
		opens = 2
	}
	for range opens {
		add(Opened, r.IntN(60), func(e *Event) {
			e.Provider, e.Customer = "it", pick("sales", "sales", "sales", "hr")
			e.Priority, e.Category = pick("P1", "P2", "P3", "P4"), pick("incident", "incident", "outage")
		})
	}
	types := []EventType{Responded, Paused, Paused, Resumed, Resumed, Resolved, Reopened, Updated, Updated, Cancelled, Rated, Rated}
	n := r.IntN(12)
	offset := 0
	for range n {
		typ := types[r.IntN(len(types))]
		if typ == Cancelled && r.IntN(3) > 0 {
			typ = Resumed
		}
		switch r.IntN(5) {
		case 0: // the same instant as the last event
		case 1:
			offset += r.IntN(3 * 24 * 60)
		default:
			offset += r.IntN(4 * 60)
		}
		at := offset
		if r.IntN(6) == 0 {
			at += r.IntN(240) - 120 // out of order, even before the opening
		}
		add(typ, at, func(e *Event) {
			switch typ {
			case Paused:
				e.Reason = pick("waiting_for_customer", "vendor")
			case Resolved:
				e.CSAT = r.IntN(6)
			case Rated:
				e.CSAT = 1 + r.IntN(5)
				e.Comment = pick("", "", "quick", "slow")
			case Updated:
				if r.IntN(2) == 0 {
					e.Priority = pick("P1", "P2", "P3", "P4")
				}
				if r.IntN(3) == 0 {
					e.Category = pick("incident", "outage")
				}
			}
		})
	}
	r.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
	for i := range evs {
		evs[i].Seq = uint64(i + 1)
	}
	return evs
}

func lastAt(evs []Event) time.Time {
	var t time.Time
	for _, e := range evs {
		if e.At.After(t) {
			t = e.At
		}
	}
	return t
}

// TestFoldIgnoresArrivalOrder: any permutation of a history (each event
// keeping its Seq, the order the store gave it) folds to the same request.
func TestFoldIgnoresArrivalOrder(t *testing.T) {
	r := testutil.Rand(t)
	p := fixturePolicy(t)
	loc := mustLoc(t, "Europe/Berlin")
	for i := range testutil.Iterations(1000) {
		evs := randHistory(r, loc)
		want := Fold(p, "R", evs)
		wantJSON, _ := json.Marshal(want)
		for range 3 {
			perm := append([]Event(nil), evs...)
			r.Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
			got := Fold(p, "R", perm)
			if !reflect.DeepEqual(got, want) {
				gotJSON, _ := json.Marshal(got)
				t.Fatalf("#%d: the order of arrival changed the fold\nevents %+v\nin order:  %s\npermuted: %s", i, evs, wantJSON, gotJSON)
			}
		}
		now := lastAt(evs).Add(time.Duration(r.IntN(5*24)) * time.Hour)
		checkClockInvariants(t, p, evs, now)
	}
}

// TestEventsBeforeTheOpeningChangeNothing (issue 9, item 9): an event dated
// before the request's opening is left out of the fold whether it arrived
// before or after the "opened" event, so a history folds as it would
// without those events, and IgnoredEvents lists each of them.
func TestEventsBeforeTheOpeningChangeNothing(t *testing.T) {
	r := testutil.Rand(t)
	p := fixturePolicy(t)
	loc := mustLoc(t, "Europe/Berlin")
	for i := range testutil.Iterations(1000) {
		evs := randHistory(r, loc)
		sorted := slices.Clone(evs)
		SortEvents(sorted)
		open := slices.IndexFunc(sorted, func(e Event) bool { return e.Type == Opened })
		if open < 0 {
			continue
		}
		opened := sorted[open].At
		var kept []Event
		early := map[string]bool{}
		for _, e := range evs {
			if e.At.Before(opened) {
				early[e.ID] = true
				continue
			}
			kept = append(kept, e)
		}
		got, want := Fold(p, "R", evs), Fold(p, "R", kept)
		if !reflect.DeepEqual(got, want) {
			gotJSON, _ := json.Marshal(got)
			wantJSON, _ := json.Marshal(want)
			t.Fatalf("#%d: events before the opening (%s) changed the fold\nevents %+v\nwith them:    %s\nwithout them: %s", i, opened, evs, gotJSON, wantJSON)
		}
		for _, ig := range IgnoredEvents(evs) {
			delete(early, ig.ID)
		}
		if len(early) > 0 {
			t.Fatalf("#%d: IgnoredEvents does not list %v, dated before the opening at %s\nevents %+v", i, early, opened, evs)
		}
	}
}

// checkClockInvariants checks what must hold of every clock whatever the
// history: met within target, over target means breached, deadline and
// remaining agree with the calendar, the ledger adds up to elapsed, and a
// breach, once seen, stays.
func checkClockInvariants(t *testing.T, p *Policy, evs []Event, now time.Time) {
	t.Helper()
	req, ledgers := Explain(p, "R", evs, now)
	for _, c := range req.Clocks {
		cal := slaCal(p, c.SLA)
		l := c.At(now, cal)
		fail := func(format string, args ...any) {
			t.Helper()
			js, _ := json.Marshal(c)
			t.Fatalf("clock %s %s: "+format+"\nclock %s\nevents %+v", append(append([]any{c.Key(), l.State}, args...), js, evs)...)
		}
		switch l.State {
		case StateMet:
			if l.Elapsed > c.Limit {
				fail("met with %v elapsed over a %v limit", l.Elapsed, c.Limit)
			}
		case StateRunning, StatePaused:
			if l.Elapsed > c.Limit {
				fail("%v elapsed over a %v limit and not breached", l.Elapsed, c.Limit)
			}
		case StateBreached:
			// c is as of the last event: it may have breached since.
			if (c.Breached() && c.BreachedAt.Before(c.Deadline)) || l.Deadline.IsZero() {
				fail("breached at %s, deadline %s", c.BreachedAt, l.Deadline)
			}
		}
		if c.Breached() && !c.Cancelled && !l.Deadline.Equal(c.Deadline) {
			fail("deadline %s, recorded %s", l.Deadline, c.Deadline)
		}
		if l.State == StateRunning {
			if l.Deadline.IsZero() || cal.Between(now, l.Deadline) != l.Remaining {
				fail("deadline %s is not %v of business time after %s", l.Deadline, l.Remaining, now)
			}
		}
		if (l.State == StatePaused || l.State == StateMet || l.State == StateCancelled) && !l.Deadline.IsZero() {
			fail("a deadline (%s) while %s", l.Deadline, l.State)
		}
		var counted time.Duration
		for _, s := range ledgers[c.Key()] {
			if s.Kind == SegmentCounting {
				counted += s.To.Sub(s.From)
			}
			if s.Kind == SegmentPaused && s.Reason == "" {
				fail("paused segment without a reason")
			}
		}
		if counted != l.Elapsed {
			fail("ledger counts %v, elapsed %v; ledger %+v", counted, l.Elapsed, ledgers[c.Key()])
		}
	}
}

// TestBreachesStay folds every prefix of random histories (in fold order)
// and checks that a clock breached at one step is breached at the next,
// with the same deadline, unless cancelled.
func TestBreachesStay(t *testing.T) {
	r := testutil.Rand(t)
	p := fixturePolicy(t)
	loc := mustLoc(t, "Europe/Berlin")
	for range testutil.Iterations(500) {
		evs := randHistory(r, loc)
		SortEvents(evs)
		for k := 1; k < len(evs); k++ {
			tk := evs[k].At
			before := Fold(p, "R", evs[:k])
			after := Fold(p, "R", evs[:k+1])
			for _, c := range before.Clocks {
				cal := slaCal(p, c.SLA)
				lb := c.At(tk, cal)
				if lb.State != StateBreached {
					continue
				}
				ca := after.Clock(c.SLA, c.Target)
				la := ca.At(tk, cal)
				if la.State == StateCancelled {
					continue
				}
				if la.State != StateBreached || !la.Deadline.Equal(lb.Deadline) {
					t.Fatalf("%s breached (deadline %s) before %s at %s; after it %s (deadline %s)\nevents %+v",
						c.Key(), lb.Deadline, evs[k].Type, tk, la.State, la.Deadline, evs[:k+1])
				}
			}
		}
	}
}

// TestContinueEqualsFoldingEverything: folding a history's prefix and then
// continuing with the rest gives exactly what folding it all at once gives.
func TestContinueEqualsFoldingEverything(t *testing.T) {
	p := continuePolicy()
	rng := testutil.Rand(t)
	for i := range testutil.Iterations(300) {
		events := randomContinueHistory(rng)
		cut := 1 + rng.IntN(len(events))
		whole := Fold(p, "R", events)
		part := Fold(p, "R", events[:cut])
		part.Clocks = slices.Clone(part.Clocks)
		if !Continue(p, &part, events[cut:]) {
			t.Fatal("Continue refused an in-order suffix")
		}
		if !reflect.DeepEqual(whole, part) {
			t.Fatalf("history %d cut at %d:\nfold:     %+v\ncontinue: %+v", i, cut, whole, part)
		}
	}
}

func TestContinueRefusesEventsBeforeTheLastOne(t *testing.T) {
	p := continuePolicy()
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	r := Fold(p, "R", []Event{
		{ID: "1", Request: "R", Type: Opened, At: at, Provider: "it", Customer: "sales", Seq: 1},
		{ID: "2", Request: "R", Type: Responded, At: at.Add(time.Hour), Seq: 2},
	})
	before := r
	if Continue(p, &r, []Event{{ID: "3", Request: "R", Type: Resolved, At: at.Add(time.Minute), Seq: 3}}) {
		t.Fatal("Continue took an event dated before the last one folded")
	}
	if !reflect.DeepEqual(before, r) {
		t.Fatal("a refused Continue changed the request")
	}
}

func continuePolicy() *Policy {
	return &Policy{SLAs: []*SLA{{
		ID: "s", Provider: "it", Customers: []string{"*"}, Calendar: AlwaysOpen(),
		Response: Target{Default: 30 * time.Minute}, Resolution: Target{ByPriority: map[string]time.Duration{"P1": 4 * time.Hour}, Default: 8 * time.Hour},
		Objective: 0.9, PauseOn: []string{"wait"}, WarnAt: []float64{0.5},
	}}}
}

// randomContinueHistory is an opened event followed by events in
// increasing time and arrival order.
func randomContinueHistory(rng *rand.Rand) []Event {
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	events := []Event{{ID: "0", Request: "R", Type: Opened, At: at, Provider: "it", Customer: "sales", Priority: "P1", Seq: 1}}
	types := []EventType{Responded, Paused, Resumed, Resolved, Reopened, Updated, Cancelled}
	for i := 1; i < 2+rng.IntN(10); i++ {
		at = at.Add(time.Duration(rng.IntN(180)) * time.Minute)
		e := Event{ID: fmt.Sprint(i), Request: "R", Type: types[rng.IntN(len(types))], At: at, Seq: uint64(i + 1)}
		switch e.Type {
		case Paused:
			e.Reason = []string{"wait", "other"}[rng.IntN(2)]
		case Updated:
			e.Priority = []string{"P1", "P2"}[rng.IntN(2)]
		}
		events = append(events, e)
	}
	return events
}

// batchPolicy has two SLAs of provider it: one 24x7 for every request, one
// on office hours (Berlin, Mon-Fri 09-17 with a lunch break, a holiday) for
// incidents only, with per-priority targets that P3 lacks, so that updates
// move clocks in and out.
func batchPolicy(t *testing.T) *Policy {
	berlin := mustLoc(t, "Europe/Berlin")
	var week [7][]Interval
	for d := time.Monday; d <= time.Friday; d++ {
		week[d] = []Interval{{9 * 3600, 12*3600 + 1800}, {13 * 3600, 17 * 3600}}
	}
	office, err := NewCalendar("office", berlin, week, []Date{DateOf(time.Date(2026, 11, 25, 0, 0, 0, 0, berlin))})
	if err != nil {
		t.Fatal(err)
	}
	return &Policy{SLAs: []*SLA{
		{ID: "all", Provider: "it", Customers: []string{"*"}, Calendar: AlwaysOpen(),
			Response: Target{Default: 30 * time.Minute}, Resolution: Target{ByPriority: map[string]time.Duration{"P1": 4 * time.Hour, "P2": 8 * time.Hour}},
			Objective: 0.9, PauseOn: []string{"wait"}, WarnAt: []float64{0.5}},
		{ID: "office", Provider: "it", Customers: []string{"sales"}, Match: Match{Category: []string{"incident"}}, Calendar: office,
			Response: Target{ByPriority: map[string]time.Duration{"P1": time.Hour}}, Resolution: Target{ByPriority: map[string]time.Duration{"P1": 2 * time.Hour, "P2": 6 * time.Hour}},
			Objective: 0.9, PauseOn: []string{"*"}},
	}}
}

// randomMessyHistory is a request's events as an import may deliver them:
// some before the opening, a second opening, updates that change which
// SLAs match, and events naming a foreign provider.
func randomMessyHistory(rng *rand.Rand) []Event {
	at := time.Date(2026, 11, 23, 7, 0, 0, 0, time.UTC).Add(time.Duration(rng.IntN(48*60)) * time.Minute)
	prios, cats := []string{"P1", "P2", "P3"}, []string{"incident", "change"}
	var events []Event
	// Some events before the opening.
	for i := range rng.IntN(3) {
		events = append(events, Event{ID: fmt.Sprint("pre", i), Request: "R", Type: []EventType{Paused, Updated, Responded}[rng.IntN(3)],
			At: at.Add(-time.Duration(1+rng.IntN(120)) * time.Minute), Reason: "wait", Priority: prios[rng.IntN(3)]})
	}
	events = append(events, Event{ID: "open", Request: "R", Type: Opened, At: at, Provider: "it", Customer: []string{"sales", "hr"}[rng.IntN(2)],
		Priority: prios[rng.IntN(3)], Category: cats[rng.IntN(2)]})
	types := []EventType{Responded, Paused, Resumed, Resolved, Reopened, Updated, Updated, Cancelled, Opened}
	for i := 1; i < 2+rng.IntN(12); i++ {
		if rng.IntN(4) > 0 {
			at = at.Add(time.Duration(rng.IntN(200)) * time.Minute)
		}
		e := Event{ID: fmt.Sprint(i), Request: "R", Type: types[rng.IntN(len(types))], At: at}
		switch e.Type {
		case Paused:
			e.Reason = []string{"wait", "other"}[rng.IntN(2)]
		case Updated:
			e.Priority, e.Category = prios[rng.IntN(3)], cats[rng.IntN(2)]
		case Opened:
			e.Provider, e.Customer = "it", "sales"
		}
		if rng.IntN(10) == 0 {
			e.Provider = "hr" // foreign
		}
		events = append(events, e)
	}
	return events
}

// TestBatchesContinuedOrRefoldedEqualFoldingEverything: events arriving in
// random batches, each applied as the store does (Continue when it accepts
// the batch, Fold of everything otherwise), give what folding everything at
// once gives, on a policy with two calendars and targets that come and go.
func TestBatchesContinuedOrRefoldedEqualFoldingEverything(t *testing.T) {
	p := batchPolicy(t)
	rng := testutil.Rand(t)
	for n := range testutil.Iterations(2000) {
		events := randomMessyHistory(rng)
		arrival := slices.Clone(events)
		rng.Shuffle(len(arrival), func(i, j int) { arrival[i], arrival[j] = arrival[j], arrival[i] })
		if rng.IntN(2) == 0 {
			SortEvents(arrival) // mostly in order
		}
		for i := range arrival {
			arrival[i].Seq = uint64(i + 1)
		}
		var stored []Event
		var r Request
		have := false
		for len(stored) < len(arrival) {
			k := min(len(arrival)-len(stored), 1+rng.IntN(3))
			batch := arrival[len(stored) : len(stored)+k]
			stored = append(stored, batch...)
			if have {
				r.Clocks = slices.Clone(r.Clocks)
				if Continue(p, &r, batch) {
					continue
				}
			}
			r, have = Fold(p, "R", stored), true
		}
		whole := Fold(p, "R", stored)
		if !reflect.DeepEqual(whole, r) {
			t.Fatalf("history %d: incremental differs from fold\nevents %+v\nfold:        %+v\nincremental: %+v", n, stored, whole, r)
		}
	}
}
