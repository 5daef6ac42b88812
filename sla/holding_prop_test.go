package sla

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/slad-project/slad/internal/testutil"
)

// partyFixture is fixturePolicy with the parties of a handoff: Network's
// OLA with IT on office hours (no pause), a 24x7 OLA of the service desk
// itself, and Sales' promise to IT on a calendar with a night shift in
// Berlin (so that DST nights count two or four hours), with
// waiting_for_customer and approval as customer reasons.
func partyFixture(t testing.TB) *Policy {
	p := fixturePolicy(t)
	berlin := mustLoc(t, "Europe/Berlin")
	night := newCal(t, berlin, "mon-fri=09:00-17:00 sat-sun=01:00-04:00")
	office := p.Calendars["office"]
	p.CustomerReasons = []string{"waiting_for_customer", "approval"}
	p.Departments["network"] = &Department{ID: "network", Name: "Network"}
	p.SLAs = append(slices.Clone(p.SLAs),
		&SLA{ID: "net-ola", Provider: "network", Customers: []string{"it"}, Measures: MeasureHolding, Calendar: office,
			Response: Target{Default: time.Hour}, Resolution: Target{Default: 8 * time.Hour}, Objective: 0.9, WarnAt: []float64{0.5}},
		&SLA{ID: "desk-ola", Provider: "it", Customers: []string{"*"}, Measures: MeasureHolding,
			Resolution: Target{ByPriority: map[string]time.Duration{"P1": time.Hour, "P2": 4 * time.Hour}}, Objective: 0.9, PauseOn: []string{"vendor"}},
		&SLA{ID: "sales-promise", Provider: "sales", Customers: []string{"it"}, Measures: MeasureWaiting, Calendar: night,
			Response: Target{Default: 2 * time.Hour}, Resolution: Target{Default: 6 * time.Hour}, Objective: 0.9},
	)
	return p
}

// holderRef is the plain definition of who holds a request, written apart
// from the fold: events in fold order from the first "opened"; those dated
// before it, later "opened" events and those of another provider change
// nothing; the provider holds the request from its opening, each
// "assigned" hands it on, a pause for a customer reason gives it to the
// customer until it resumes (or closes), and nobody holds a resolved or
// cancelled one (a reopened one goes back to the last assigned). steps
// are the state after each event applied, in fold order.
type holderRef struct {
	steps []refStep
}

type refStep struct {
	at      time.Time
	typ     EventType
	dept    string
	waiting bool
	ok      bool // someone holds the request
}

func newHolderRef(p *Policy, events []Event) holderRef {
	evs := slices.Clone(events)
	SortEvents(evs)
	open := slices.IndexFunc(evs, func(e Event) bool { return e.Type == Opened })
	if open < 0 {
		return holderRef{}
	}
	o := evs[open]
	status, paused, reason, holder := StatusOpen, false, "", o.Provider
	m := holderRef{steps: []refStep{{at: o.At, typ: Opened, dept: o.Provider, ok: true}}}
	for i, e := range evs {
		if i == open || e.Type == Opened || e.At.Before(o.At) || (e.Provider != "" && e.Provider != o.Provider) {
			continue
		}
		switch e.Type {
		case Assigned:
			holder = e.Department
		case Paused:
			if status == StatusOpen && !paused {
				paused, reason = true, e.Reason
			}
		case Resumed:
			paused = false
		case Resolved:
			if status == StatusOpen {
				status, paused = StatusResolved, false
			}
		case Reopened:
			if status == StatusResolved {
				status = StatusOpen
			}
		case Cancelled:
			status, paused = StatusCancelled, false
		}
		st := refStep{at: e.At, typ: e.Type, dept: holder, ok: status == StatusOpen}
		if st.ok && paused && slices.Contains(p.CustomerReasons, reason) {
			st.dept, st.waiting = o.Customer, true
		}
		if !st.ok {
			st.dept = ""
		}
		m.steps = append(m.steps, st)
	}
	return m
}

// at says who holds the request during the minute starting at u: the
// state after every event dated at or before u.
func (m holderRef) at(u time.Time) (dept string, waiting, ok bool) {
	var st refStep
	for _, s := range m.steps {
		if s.at.After(u) {
			break
		}
		st = s
	}
	return st.dept, st.waiting, st.ok
}

// heldBy is HeldBy by the minute: each minute of [from, to) goes to its
// holder, counting 60 seconds when the calendar's reference counts it.
func (m holderRef) heldBy(cal refModel, from, to time.Time) []Held {
	var out []Held
	for u := from; u.Before(to); u = u.Add(time.Minute) {
		dept, waiting, ok := m.at(u)
		if !ok {
			continue
		}
		i := slices.IndexFunc(out, func(h Held) bool { return h.Department == dept && h.Waiting == waiting })
		if i < 0 {
			out = append(out, Held{Department: dept, Waiting: waiting})
			i = len(out) - 1
		}
		out[i].Seconds += 60 * b2i(cal.counts(u.Unix()))
	}
	return out
}

// partyElapsed is what a clock of a holding or waiting SLA without pauses
// and with one target for every priority has counted by now, by the
// minute: every business minute its party held the request (resolution),
// or those of its first holding until the party's answer (response: a
// "responded" while it holds, or the end of that holding). exists is
// whether the party ever held the request, even for no time.
func (m holderRef) partyElapsed(s *SLA, k TargetKind, cal refModel, now time.Time) (elapsed time.Duration, exists bool) {
	holds := func(st refStep) bool {
		return st.ok && st.dept == s.Provider && st.waiting == (s.Measures == MeasureWaiting)
	}
	var answered time.Time // the first answer, for a response clock
	for i, st := range m.steps {
		before := i > 0 && holds(m.steps[i-1])
		switch {
		case !answered.IsZero() || k != Response:
		case exists && before && !holds(st):
			answered = st.at
		case st.typ == Responded && holds(st) && s.Measures == MeasureHolding:
			answered = st.at
		}
		exists = exists || holds(st)
	}
	if len(m.steps) == 0 {
		return 0, false
	}
	for u := m.steps[0].at; u.Before(now); u = u.Add(time.Minute) {
		if !answered.IsZero() && !u.Before(answered) {
			break
		}
		if dept, waiting, ok := m.at(u); ok && dept == s.Provider && waiting == (s.Measures == MeasureWaiting) {
			elapsed += time.Duration(60*b2i(cal.counts(u.Unix()))) * time.Second
		}
	}
	return elapsed, exists
}

// randHandoffs draws a request's life with handoffs between the service
// desk, Network and HR, customer waits (waiting_for_customer, approval),
// other pauses, responses, resolutions, reopenings and cancellations, at
// whole minutes, often across a night on which Berlin's clocks change.
// Seq is the position in the returned (arrival) order, which is shuffled.
func randHandoffs(r *rand.Rand, loc *time.Location) []Event {
	starts := []time.Time{
		time.Date(2026, 3, 28, 22, 0, 0, 0, loc), time.Date(2026, 10, 24, 22, 0, 0, 0, loc),
		time.Date(2026, 11, 27, 15, 0, 0, 0, loc), time.Date(2026, 12, 23, 14, 0, 0, 0, loc), // the day before the office's Christmas holidays
		time.Date(2026, time.Month(1+r.IntN(12)), 1+r.IntN(28), r.IntN(24), 0, 0, 0, loc),
	}
	start := starts[r.IntN(len(starts))].Add(time.Duration(r.IntN(120)) * time.Minute)
	pick := func(s ...string) string { return s[r.IntN(len(s))] }
	evs := []Event{{Type: Opened, At: start, Provider: "it", Customer: pick("sales", "sales", "hr"), Priority: pick("P1", "P2", "P3"), Category: "incident"}}
	types := []EventType{Assigned, Assigned, Assigned, Paused, Paused, Resumed, Resumed, Responded, Resolved, Reopened, Updated, Cancelled}
	offset := 0
	for range r.IntN(14) {
		typ := types[r.IntN(len(types))]
		if typ == Cancelled && r.IntN(3) > 0 {
			typ = Resumed
		}
		if r.IntN(5) > 0 {
			offset += r.IntN(8 * 60)
		}
		at := offset
		if r.IntN(8) == 0 {
			at -= r.IntN(180) // out of order, sometimes before the opening
		}
		e := Event{Type: typ, At: start.Add(time.Duration(at) * time.Minute)}
		switch typ {
		case Assigned:
			e.Department = pick("network", "network", "it", "hr")
		case Paused:
			e.Reason = pick("waiting_for_customer", "approval", "vendor")
		case Updated:
			e.Priority = pick("P1", "P2", "P3")
		}
		if r.IntN(20) == 0 {
			e.Provider = "hr" // sent for the wrong request
		}
		evs = append(evs, e)
	}
	if r.IntN(10) == 0 {
		evs = append(evs, Event{Type: Opened, At: start.Add(time.Duration(r.IntN(600)) * time.Minute), Provider: "it", Customer: "sales"})
	}
	r.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
	for i := range evs {
		evs[i].ID, evs[i].Request, evs[i].Seq = fmt.Sprint("e", i), "R", uint64(i+1)
	}
	return evs
}

// refOf is the reference model of a calendar of the fixture.
func refOf(t testing.TB, c *Calendar, loc *time.Location, spec string) refModel {
	t.Helper()
	if c == AlwaysOpen() || c == nil {
		var week [7][]Interval
		for d := range week {
			week[d] = []Interval{{0, 24 * 3600}}
		}
		return newRef(time.UTC, week, nil)
	}
	return newRef(loc, parseWeek(t, spec), c.Holidays())
}

// TestHolderAttributionMatchesTheReference (issue 12): over random
// histories with handoffs, customer waits, pauses, reopenings and DST
// nights, each clock's held_by is what a minute-by-minute replay of the
// events gives, and the clocks of holding and waiting SLAs have counted
// exactly the business minutes their party held the request.
func TestHolderAttributionMatchesTheReference(t *testing.T) {
	rng := testutil.Rand(t)
	p := partyFixture(t)
	berlin := mustLoc(t, "Europe/Berlin")
	refs := map[string]refModel{
		"desk": refOf(t, p.Calendars["office"], berlin, "mon-fri=09:00-17:00"), "minor": refOf(t, p.Calendars["office"], berlin, "mon-fri=09:00-17:00"),
		"net-ola": refOf(t, p.Calendars["office"], berlin, "mon-fri=09:00-17:00"), "outage": refOf(t, nil, nil, ""), "desk-ola": refOf(t, nil, nil, ""),
		"sales-promise": refOf(t, p.SLA("sales-promise").Calendar, berlin, "mon-fri=09:00-17:00 sat-sun=01:00-04:00"),
	}
	for i := range testutil.Iterations(400) {
		evs := randHandoffs(rng, berlin)
		now := lastAt(evs).Add(time.Duration(rng.IntN(48*60)) * time.Minute)
		r, hs := Holdings(p, "R", evs)
		m := newHolderRef(p, evs)
		for key, got := range HeldByClock(p, &r, hs, now) {
			c := r.Clock(SplitKey(key))
			from, to := c.Span(now)
			if want := m.heldBy(refs[c.SLA], from, to); !reflect.DeepEqual(got, want) && (len(got) > 0 || len(want) > 0) {
				t.Fatalf("#%d %s over [%s, %s): held by %+v, the reference says %+v\nholdings %+v\nevents %+v", i, key, from, to, got, want, hs, evs)
			}
		}
		for _, s := range []*SLA{p.SLA("net-ola"), p.SLA("sales-promise")} {
			for _, k := range TargetKinds {
				want, exists := m.partyElapsed(s, k, refs[s.ID], now)
				c := r.Clock(s.ID, k)
				if (c != nil) != exists {
					t.Fatalf("#%d %s/%s: clock %+v, but the party held the request: %v\nevents %+v", i, s.ID, k, c, exists, evs)
				}
				if c != nil {
					if got := c.At(now, s.Calendar).Elapsed; got != want {
						t.Fatalf("#%d %s/%s: elapsed %v, the reference counts %v\nclock %+v\nholdings %+v\nevents %+v", i, s.ID, k, got, want, c, hs, evs)
					}
				}
			}
		}
	}
}

// TestHandoffsFoldTheSameWhateverTheDelivery (issue 12): any permutation
// of a history with handoffs and customer waits, the same events sent
// twice, and any split into batches (continued when they come after the
// last event, folded anew otherwise, as the store does) give the same
// request, clocks and holdings; the clock invariants (met within target,
// ledger adds up to elapsed) hold for the clocks of holding and waiting
// SLAs too.
func TestHandoffsFoldTheSameWhateverTheDelivery(t *testing.T) {
	rng := testutil.Rand(t)
	p := partyFixture(t)
	berlin := mustLoc(t, "Europe/Berlin")
	for i := range testutil.Iterations(1000) {
		evs := randHandoffs(rng, berlin)
		want, wantHs := Holdings(p, "R", evs)
		perm := slices.Clone(evs)
		rng.Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		if got, gotHs := Holdings(p, "R", perm); !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gotHs, wantHs) {
			t.Fatalf("#%d: the order of arrival changed the fold\nevents %+v\n got %+v %+v\nwant %+v %+v", i, evs, got, gotHs, want, wantHs)
		}
		// Batches in arrival order, a repeat of an earlier event now and then.
		sorted := slices.Clone(evs)
		if rng.IntN(2) == 0 {
			SortEvents(sorted) // mostly in order, so that Continue is taken
			for j := range sorted {
				sorted[j].Seq = uint64(j + 1)
			}
		}
		var stored []Event
		var r Request
		have := false
		for k := 0; k < len(sorted); {
			n := min(len(sorted)-k, 1+rng.IntN(3))
			batch := slices.Clone(sorted[k : k+n])
			k += n
			stored = append(stored, batch...)
			if have {
				r.Clocks = slices.Clone(r.Clocks)
				if Continue(p, &r, batch) {
					continue
				}
			}
			r, have = Fold(p, "R", stored), true
		}
		if whole := Fold(p, "R", sorted); !reflect.DeepEqual(whole, r) {
			t.Fatalf("#%d: batches differ from one fold\nevents %+v\nfold:    %+v\nbatches: %+v", i, sorted, whole, r)
		}
		now := lastAt(evs).Add(time.Duration(rng.IntN(72)) * time.Hour)
		checkClockInvariants(t, p, evs, now)
		r1, ledgers := Explain(p, "R", evs, now)
		r2, ledgers2, hs := ExplainHeld(p, "R", evs, now)
		if !reflect.DeepEqual(r1, r2) || !reflect.DeepEqual(ledgers, ledgers2) || !reflect.DeepEqual(hs, wantHs) {
			t.Fatalf("#%d: ExplainHeld differs from Explain and Holdings\nevents %+v", i, evs)
		}
	}
}
