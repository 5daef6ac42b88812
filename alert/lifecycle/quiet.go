package lifecycle

import (
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/slad-project/slad/sla"
)

// Quiet hours. A department or a receiver may name a calendar as its
// notification hours ([sla.NotifyHours]); an alert that fires outside them
// is held, not sent, unless its stage is urgent for the request's
// priority, and goes out when the calendar next opens. The rules, all
// decided here and applied by the store (store/held.go):
//
//   - Which hours: the receiver's own, else the provider department's
//     ([sla.Policy.HoursOf]).
//   - A "resolved" breaks through when it is listed as urgent, or when the
//     breach or an escalation of the request's priority is (whoever is
//     woken by a breach hears that it is over).
//   - A held alert is released at the first opening of the hours in force
//     after it was held ([ReleaseAt]); after a reload that changes the
//     hours, or a restart after downtime, an opening already passed
//     releases it at once.
//   - A warning or a breach supersedes the warnings of its clock still
//     held (as after downtime, only the most advanced is sent); an alert
//     sent at once releases, first, what is held of its clock for the same
//     receiver, so that a receiver never hears of an escalation before
//     the breach it follows.
//   - A clock that stops drops what is held of it; a receiver whose first
//     alert of it (the breach, or the escalation step that brought it in:
//     [State.FirstTold]) was still held was told nothing, and gets no
//     "resolved" either, nor after a reopening ([State.Untell]) unless a
//     later escalation tells it. A clock that reopens drops the "resolved"
//     still held of it.

// ReleaseAt returns when a notice held for receiver since the instant
// since may go out under the policy's hours: the first opening of the
// receiver's hours at or after since. held is false when it need not wait
// at all: no hours govern it, its stage is urgent for the priority, or the
// hours are open at since.
func ReleaseAt(p *sla.Policy, receiver string, n *Notice, since time.Time) (at time.Time, held bool) {
	h := p.HoursOf(receiver, n.AlertedDepartment())
	if h == nil || urgent(h, n.Stage, n.Priority) {
		return time.Time{}, false
	}
	open, ok := h.Calendar.NextOpening(since)
	if !ok || !open.After(since) {
		return time.Time{}, false
	}
	return open, true
}

// urgent reports whether a stage of a request of the priority breaks
// through outside the hours.
func urgent(h *sla.NotifyHours, stage StageKind, priority string) bool {
	if h.UrgentFor(string(stage), priority) {
		return true
	}
	return stage == StageResolved &&
		(h.UrgentFor(string(StageBreach), priority) || h.UrgentFor(string(StageEscalation), priority))
}

// route turns a stage's notice for its receivers into effects, appended
// to out: a Send to those it may reach now, a Hold for the others, grouped
// by the instant they are released. Without notification hours anywhere
// it is the Send alone, as before quiet hours existed. earlier says
// whether an earlier stage of the clock fired, so that something of it may
// be held.
func route(out []Effect, p *sla.Policy, base Effect, kind StageKind, earlier bool, now time.Time) []Effect {
	if !p.HasNotifyHours() {
		base.Op = Send
		return append(out, base)
	}
	if earlier && (kind == StageWarning || kind == StageBreach) {
		// The warnings still held are stale: this stage says more.
		out = append(out, Effect{Op: Unhold, Provider: base.Provider, Request: base.Request, ClockKey: base.ClockKey, Drop: []StageKind{StageWarning}})
	}
	var sendNow []string
	held := map[time.Time][]string{}
	var order []time.Time
	for _, rcv := range base.Receivers {
		at, hold := ReleaseAt(p, rcv, base.Notice, now)
		if !hold {
			sendNow = append(sendNow, rcv)
			continue
		}
		if _, seen := held[at]; !seen {
			order = append(order, at)
		}
		held[at] = append(held[at], rcv)
	}
	if earlier && len(sendNow) > 0 && kind != StageWarning {
		// What is held of the clock for those told now goes first.
		out = append(out, Effect{Op: Unhold, Receivers: sendNow, Provider: base.Provider, Request: base.Request, ClockKey: base.ClockKey})
	}
	if len(sendNow) > 0 || len(held) == 0 {
		e := base
		e.Op, e.Receivers = Send, sendNow
		out = append(out, e)
	}
	for _, at := range order {
		// A copy of the notice: the stage's other effects share base's.
		n := *base.Notice
		n.HeldUntil = at.UTC()
		e := base
		e.Op, e.Receivers, e.Until, e.Notice = Hold, held[at], at, &n
		out = append(out, e)
	}
	return out
}

// dropHeld is the effect that drops what is held of a clock that stopped:
// nothing of it is news any more.
func dropHeld(p *sla.Policy, provider, request, clockKey string) []Effect {
	if !p.HasNotifyHours() {
		return nil
	}
	return []Effect{{Op: Unhold, Provider: provider, Request: request, ClockKey: clockKey, Drop: StageKinds}}
}

// dropStopped drops what is held of each clock that stopped since old was
// stored. A breached clock whose told are owed a "resolved" is left to
// Tick, which drops what is held of it with that "resolved", so that those
// whose breach was held hear nothing.
func (st *State) dropStopped(p *sla.Policy, old, live *sla.Request) []Effect {
	if old == nil || !p.HasNotifyHours() {
		return nil
	}
	var out []Effect
	for i := range live.Clocks {
		clk := &live.Clocks[i]
		was := old.Clock(clk.SLA, clk.Target)
		if clk.Open() || was == nil || !was.Open() || st.resolvedOwed(clk, clk.Key()) {
			continue
		}
		out = append(out, dropHeld(p, live.Provider, live.ID, clk.Key())...)
	}
	return out
}

// dropHeldOwed is dropHeld before the "resolved" owed to those told of
// the clock: it names the alert that told each of them first
// ([State.FirstTold]), so that the store can tell who heard nothing
// because that one was still held. A receiver told before FirstTold was
// kept is taken to have been told first by the first stage routed to it
// (the breach, or the escalation step that brought it in), or by the
// breach when s is nil (an SLA a reload removed).
func (st *State) dropHeldOwed(p *sla.Policy, s *sla.SLA, provider, request, clockKey string) []Effect {
	out := dropHeld(p, provider, request, clockKey)
	if len(out) == 0 {
		return out
	}
	first := map[string]string{}
	for _, rcv := range st.Told[clockKey] {
		if k, ok := st.FirstTold[clockKey][rcv]; ok {
			first[rcv] = k
		} else if k, ok := firstRouted(p, s, provider, rcv); ok {
			first[rcv] = k
		}
	}
	out[0].FirstTold = first
	return out
}

// firstRouted returns the key of the first stage of a breach routed to
// receiver: the breach, or the escalation step that brings it in; the
// breach when s is nil.
func firstRouted(p *sla.Policy, s *sla.SLA, provider, receiver string) (string, bool) {
	if s == nil {
		return breachKey, true
	}
	stages := []Stage{{Kind: StageBreach, Key: breachKey}}
	for i := range s.Escalate {
		stages = append(stages, Stage{Kind: StageEscalation, Key: "escalation-" + strconv.Itoa(i+1), Step: i})
	}
	for _, stage := range stages {
		if slices.Contains(Receivers(p, s, provider, stage), receiver) {
			return stage.Key, true
		}
	}
	return "", false
}

// Untell records that receivers were told nothing of a clock's breach
// after all: the alert that told each first ([State.FirstTold]) was still
// held when the clock stopped and was dropped unsent (an Unhold with
// FirstTold; the store, which keeps what is held, finds who). They are
// owed no "resolved", now or in a later cycle after a reopening, and the
// breach is not firing for them; a later escalation that brings one in
// again tells it first. When nobody is left told, the "resolved" reached
// nobody: it is forgotten too, so that whoever a later escalation brings
// in is owed one.
func (st *State) Untell(clockKey string, receivers []string) {
	told := slices.DeleteFunc(slices.Clone(st.Told[clockKey]), func(r string) bool { return slices.Contains(receivers, r) })
	if len(told) == 0 {
		st.forget(clockKey)
		st.unfire(clockKey, ResolvedKey)
		return
	}
	st.Told[clockKey] = told
	maps.DeleteFunc(st.FirstTold[clockKey], func(r, _ string) bool { return slices.Contains(receivers, r) })
}

// dropHeldResolved drops the "resolved" still held of a clock that
// reopened: it is no longer true, and the breach is firing again.
func dropHeldResolved(p *sla.Policy, provider, request, clockKey string) []Effect {
	if !p.HasNotifyHours() {
		return nil
	}
	return []Effect{{Op: Unhold, Provider: provider, Request: request, ClockKey: clockKey, Drop: []StageKind{StageResolved}}}
}
