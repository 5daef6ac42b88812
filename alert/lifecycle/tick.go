package lifecycle

import (
	"slices"
	"time"

	"github.com/slad-project/slad/sla"
)

// TickResult is what one evaluation of a request decided.
type TickResult struct {
	Effects []Effect
	Fired   int // stages fired (one notice each, sent to zero or more receivers)
	Skipped int // stages passed over because a more advanced one fired
}

// Tick fires the stages of a request that are due at now, as the
// evaluator's tick does for each request the deadline index names. cur is
// the request as folded (as of its last event).
//
// A clock past several stages (after downtime) sends only the most advanced
// of its warnings and breach, and every escalation; those told of a breach
// or an escalation are owed a "resolved" once the clock stops, and the
// breach is firing for them until then. An open clock that breached long
// before slad heard of it waits out its grace hour (see history.go).
func Tick(p *sla.Policy, st *State, cur *sla.Request, now time.Time) TickResult {
	live := cur.At(p, now)
	return TickLive(p, st, &live, now)
}

// TickLive is Tick of the request as it stands at now (cur.At(p, now)),
// for a caller that has it already: the store's tick computes it once for
// the tick and the request's contribution (a copy of the clocks and their
// advance, for every due request). It reads live and does not change it.
func TickLive(p *sla.Policy, st *State, live *sla.Request, now time.Time) TickResult {
	var res TickResult
	for i := range live.Clocks {
		clk := &live.Clocks[i]
		st.tickClock(p, live, clk, now, &res)
	}
	return res
}

func (st *State) tickClock(p *sla.Policy, live *sla.Request, clk *sla.Clock, now time.Time, res *TickResult) {
	s := p.SLA(clk.SLA) // nil for an SLA a reload removed: only a resolution can be owed
	var sendBuf, skipBuf [4]Stage
	send, skip := sendBuf[:0], skipBuf[:0]
	if s != nil && !now.Before(st.grace(clk, clk.Key())) {
		send, skip = dueStages(s, *clk, now, st.Fired[clk.Key()], send, skip)
	}
	if len(send) == 0 && len(skip) == 0 && !st.resolvedOwed(clk, clk.Key()) {
		return // most clocks of a due request: the key, kept below, is not built
	}
	key := clk.Key()
	for _, stage := range skip {
		st.markFired(key, stage.Key)
		res.Skipped++
	}
	if len(send) > 0 && !p.HasNotifyHours() {
		// A Send for each stage, and a Fire for a breach or an escalation:
		// grown once.
		res.Effects = slices.Grow(res.Effects, 2*len(send))
	}
	for _, stage := range send {
		receivers := Receivers(p, s, live.Provider, stage)
		n := new(Notice) // shared by the stage's Send (or Holds) and Fire
		*n = st.notice(p, live, clk, s, stage, now)
		send := Effect{Receivers: receivers, Provider: live.Provider, Request: live.ID, ClockKey: key, Notice: n}
		res.Effects = route(res.Effects, p, send, stage.Kind, len(st.Fired[key]) > 0, now)
		st.markFired(key, stage.Key)
		res.Fired++
		if stage.Kind == StageBreach || stage.Kind == StageEscalation {
			// Those told of the breach, the boss included, will hear
			// that it is over; until then it is firing for those of
			// them that re-post it.
			st.tell(key, stage.Key, receivers)
			if firing := firingFor(p, receivers); len(firing) > 0 {
				res.Effects = append(res.Effects, Effect{Op: Fire, Receivers: firing, Provider: live.Provider, Request: live.ID, ClockKey: key, Notice: n})
			}
		}
	}
	if st.resolvedOwed(clk, key) {
		n := new(Notice)
		*n = st.resolvedNotice(p, live, clk, s, now)
		n.FiredAt = clk.Since
		told := st.Told[key]
		// What is still held of the clock is dropped first: those whose
		// first alert of it was held were told nothing and hear nothing more.
		res.Effects = append(res.Effects, st.dropHeldOwed(p, s, live.Provider, live.ID, key)...)
		resolved := Effect{Receivers: told, Provider: live.Provider, Request: live.ID, ClockKey: key, Notice: n}
		res.Effects = route(res.Effects, p, resolved, StageResolved, false, now)
		res.Effects = append(res.Effects, Effect{Op: Unfire, Receivers: told, Provider: live.Provider, Request: live.ID, ClockKey: key})
		st.markFired(key, ResolvedKey)
		res.Fired++
	}
}

// resolvedOwed reports whether a breached clock has stopped and the
// receivers told of its breach have not yet been told it is over. key is
// the clock's key.
func (st *State) resolvedOwed(clk *sla.Clock, key string) bool {
	return clk.Breached() && !clk.Open() && len(st.Told[key]) > 0 && !st.HasFired(key, ResolvedKey)
}

// Due is when the evaluator must look at a request again (NextDue), and
// whether that look only settles.
type Due struct {
	At time.Time
	// OnlySettles says that settling imported clocks (see [State.Settled])
	// is all that comes due, then or later: no stage, no end of a grace
	// hour, no "resolved" owed. Such a look changes what the totals count
	// and fires nothing, so it may come late: the store takes it after
	// every other due request, a bounded number a tick, so that settling
	// a large import never holds up an alert.
	OnlySettles bool
	// OnlyHistory says that all that comes due, then or later, is history
	// imported long after it happened: clocks that settle, and the stages
	// of open clocks that breached long before slad first saw them, held
	// until their grace hour ends (see [State.grace]). Such a look may
	// come a few ticks late too: those breaches are days or weeks old and
	// nobody has heard of them, while a live alert must not wait behind
	// the catch-up of a million-request import, six alerts a request.
	OnlyHistory bool
}

// NextDue is the earliest moment the evaluator must look at the request
// again (the store keeps it in its deadline index): a time-driven stage of
// an open clock, the end of a grace hour, the moment an imported clock
// settles (see [State.Settled]), or a "resolved" owed to the receivers told
// of a breach. live is the request as it stands at now.
func NextDue(p *sla.Policy, st *State, live *sla.Request, now time.Time) (Due, bool) {
	var due Due
	var ok bool
	settling := true // every reason considered is a settling
	history := true  // every reason considered is a settling or a catch-up after a grace hour
	consider := func(t time.Time, settles, catchUp bool) {
		settling = settling && settles
		history = history && (settles || catchUp)
		if !ok || t.Before(due.At) {
			due.At, ok = t, true
		}
	}
	for i := range live.Clocks {
		clk := &live.Clocks[i]
		key := clk.Key() // only looked up: built on the stack
		if st.resolvedOwed(clk, key) {
			consider(clk.Since, false, false) // even for an SLA a reload removed
		}
		settles := st.settlesAt(clk, key)
		if settles.After(now) {
			consider(settles, true, false) // the totals count the clock then
		}
		s := p.SLA(clk.SLA)
		if s == nil {
			// A reload removed the SLA, perhaps for a moment: a breach not
			// yet announced is looked at again hourly, in case it returns,
			// for as long as it would still be news.
			if clk.Breached() && !st.HasFired(key, breachKey) && (clk.Open() || now.Sub(clk.Since) < StaleAge) {
				consider(now.Add(time.Hour), false, false)
			}
			continue
		}
		if t, found := nextStage(s, clk, st.Fired[key]); found {
			// A stage passed long before slad saw the clock waits for
			// the grace hour's end: its catch-up.
			g := st.grace(clk, key)
			catchUp := t.Before(g)
			if catchUp {
				t = g
			}
			consider(t, false, catchUp)
		}
	}
	due.OnlySettles = ok && settling
	due.OnlyHistory = ok && history
	return due, ok
}
