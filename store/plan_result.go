package store

import (
	"slices"
	"strings"
	"time"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/sla"
)

// A plan's result, and how each request's folds are tallied into it.

// Plan is what putting a policy in force would do to the open requests.
type Plan struct {
	// Rematch says the open requests would be folded again under the new
	// policy (its fingerprint differs); otherwise only the requests due at
	// Now were looked at, for the alerts of the first tick.
	Rematch bool
	// MatchedUnder is the fingerprint the open requests were last matched
	// under, as the store recorded it.
	MatchedUnder string
	// Examined counts the requests looked at; Changed those whose clocks
	// would change (gained, lost, another limit, state or deadline).
	Examined, Changed int
	// Requests lists changed requests, up to Listed per SLA, in the
	// order of their keys.
	Requests []PlannedRequest
	// SLAs counts, per SLA id of either policy, the requests whose clock
	// under it would change.
	SLAs map[string]*PlannedSLA
	// Alerts counts, per receiver, the notices the first tick after the
	// reload would send, and those it would send without the edit.
	Alerts map[string]*PlannedAlerts

	// sums are the differences the re-match and the first tick would
	// write to the counters and day aggregates, and baseSums those the
	// first tick would write without the edit (read by PlanView).
	sums, baseSums *pendingSums
}

// PlannedSLA counts what a plan changes under one SLA.
type PlannedSLA struct {
	// Changed counts the requests whose clock under the SLA would change;
	// Listed those of them in Plan.Requests.
	Changed, Listed int
	// Transitions counts clocks by state before and after, keyed by
	// [Transition]; a clock gained comes from "", one lost goes to "".
	Transitions map[Transition]int
}

// Transition is a clock's state before and after a plan. Stops is set
// when the clock stops with the edit though its state reads the same (a
// breached clock is "breached" stopped or not): its SLA no longer times
// the request, as an OLA whose department no longer holds it.
type Transition struct {
	From, To sla.ClockState
	Stops    bool
}

// PlannedAlerts counts the notices one receiver would be sent.
type PlannedAlerts struct {
	// With counts the notices of the first tick after the reload, by
	// stage kind in Stages; Without those of the same tick without it.
	With, Without int
	Stages        map[lifecycle.StageKind]int
	// Held and HeldWithout count the notices held instead, until the
	// receiver's notification hours open (lifecycle.Hold).
	Held, HeldWithout int
}

// PlannedRequest is a request whose clocks a plan changes.
type PlannedRequest struct {
	Ref        Ref
	Attributes sla.Attributes
	Clocks     []PlannedClock
}

// PlannedClock is one clock a plan changes; Before or After is nil for a
// clock gained or lost.
type PlannedClock struct {
	SLA           string
	Target        sla.TargetKind
	Before, After *ClockStanding
}

// ClockStanding is a clock's standing at the plan's moment.
type ClockStanding struct {
	State sla.ClockState
	// Stopped says the clock has stopped (met, breached and stopped,
	// cancelled): a breached clock's State is the same either way.
	Stopped bool
	Limit   time.Duration
	// Deadline is when it breaches or breached; zero while paused, met or
	// cancelled.
	Deadline time.Time
}

// add takes one request's folds into the plan.
func (pl *Plan) add(cur *sla.Policy, q PlanQuery, p *planned, bound []byte) {
	pl.Examined++
	first, last := p.refold, p.tick // the request as it was, and as it ends
	if first == nil {
		first = p.tick
	}
	if last == nil {
		last = p.refold
	}
	for _, f := range []*fold{p.refold, p.tick} {
		if f == nil {
			continue
		}
		pl.count(f.effects, false)
		pl.sums.add(f.counters, f.old.Contrib, f.rec.Contrib, nil) // a plan reads no attention
	}
	if b := p.base; b != nil && due(b.old.Contrib, bound) {
		// Due now: the evaluator ticks it whether or not the reload comes.
		pl.count(b.effects, true)
		pl.baseSums.add(b.counters, b.old.Contrib, b.rec.Contrib, nil)
	}
	if p.kept {
		return // a closed request the re-match leaves as it is
	}
	clocks := diffClocks(cur, q.Policy, &first.old.Request, &last.rec.Request, q.Now)
	if len(clocks) == 0 {
		return
	}
	pl.Changed++
	list := false
	for _, c := range clocks {
		ps := pl.SLAs[c.SLA]
		if ps == nil {
			ps = &PlannedSLA{Transitions: map[Transition]int{}}
			pl.SLAs[c.SLA] = ps
		}
		ps.Transitions[transitionOf(c)]++
		list = list || ps.Listed < q.Listed
	}
	// Counted once per SLA, however many of its targets change.
	seen := map[string]bool{}
	for _, c := range clocks {
		if seen[c.SLA] {
			continue
		}
		seen[c.SLA] = true
		ps := pl.SLAs[c.SLA]
		ps.Changed++
		if list {
			ps.Listed++
		}
	}
	if list {
		pl.Requests = append(pl.Requests, PlannedRequest{Ref: last.ref, Attributes: last.rec.Request.Attributes, Clocks: clocks})
	}
}

// transitionOf is a changed clock's transition: its state before and
// after, and whether it stops in a state that stays.
func transitionOf(c PlannedClock) Transition {
	var t Transition
	if c.Before != nil {
		t.From = c.Before.State
	}
	if c.After != nil {
		t.To = c.After.State
	}
	t.Stops = c.Before != nil && c.After != nil && !c.Before.Stopped && c.After.Stopped && t.From == t.To
	return t
}

// count adds the notices a list of effects sends or holds per receiver,
// with the edit or without it.
func (pl *Plan) count(effects []lifecycle.Effect, without bool) {
	for _, e := range effects {
		if e.Op != lifecycle.Send && e.Op != lifecycle.Hold {
			continue
		}
		for _, r := range e.Receivers {
			a := pl.alerts(r)
			switch {
			case e.Op == lifecycle.Send && without:
				a.Without++
			case e.Op == lifecycle.Send:
				a.With++
				a.Stages[e.Notice.Stage]++
			case without:
				a.HeldWithout++
			default:
				a.Held++
			}
		}
	}
}

func (pl *Plan) alerts(receiver string) *PlannedAlerts {
	a := pl.Alerts[receiver]
	if a == nil {
		a = &PlannedAlerts{Stages: map[lifecycle.StageKind]int{}}
		pl.Alerts[receiver] = a
	}
	return a
}

// diffClocks lists the clocks whose standing at now differs between a
// request folded under cur (before) and under next (after).
func diffClocks(cur, next *sla.Policy, before, after *sla.Request, now time.Time) []PlannedClock {
	b, a := standings(cur, before, now), standings(next, after, now)
	var out []PlannedClock
	for _, clk := range before.Clocks {
		k := clk.Key()
		if sb, sa := b[k], a[k]; sa == nil || !sb.equal(sa) {
			out = append(out, PlannedClock{SLA: clk.SLA, Target: clk.Target, Before: sb, After: sa})
		}
	}
	for _, clk := range after.Clocks {
		if b[clk.Key()] == nil {
			out = append(out, PlannedClock{SLA: clk.SLA, Target: clk.Target, After: a[clk.Key()]})
		}
	}
	slices.SortFunc(out, func(x, y PlannedClock) int {
		if c := strings.Compare(x.SLA, y.SLA); c != 0 {
			return c
		}
		return strings.Compare(string(x.Target), string(y.Target))
	})
	return out
}

func (c *ClockStanding) equal(o *ClockStanding) bool {
	return c.State == o.State && c.Stopped == o.Stopped && c.Limit == o.Limit && c.Deadline.Equal(o.Deadline)
}

// standings are a request's clocks standing at now, by clock key.
func standings(p *sla.Policy, r *sla.Request, now time.Time) map[string]*ClockStanding {
	out := make(map[string]*ClockStanding, len(r.Clocks))
	for _, clk := range r.Clocks {
		st := &ClockStanding{State: clk.State(), Stopped: !clk.Open(), Limit: clk.Limit}
		if s := p.SLA(clk.SLA); s != nil {
			l := clk.At(now, s.CalendarOf())
			st.State, st.Deadline = l.State, l.Deadline
		}
		out[clk.Key()] = st
	}
	return out
}
