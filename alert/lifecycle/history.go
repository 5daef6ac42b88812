package lifecycle

import (
	"slices"
	"time"

	"github.com/slad-project/slad/sla"
)

// HistoryAge is how far before slad first heard of a clock a breach (or,
// for a clock that never breached, its stop) must lie to be history rather
// than news: its stages are then marked fired without an alert, so that
// importing last year's tickets pages nobody — even while an import spreads
// a request over several batches. A breach that happens after slad knows
// of the clock is news however late the events that show it arrive.
const HistoryAge = time.Hour

// StaleAge is how long ago a clock may have stopped for its breach still to
// be news. An alert older than that would be given up undelivered anyway
// (it is the receivers' default give_up_after), so a breach that only a late
// event or a changed target reveals days after the request closed stays
// quiet.
const StaleAge = 72 * time.Hour

// silenceHistory marks the stages of stopped clocks that were history when
// slad first heard of them as fired — silently, and remembered as such, so
// that the marks follow what the events known now tell and are dropped when
// a clock stops being history (a request reopened that breaches again).
func (s *State) silenceHistory(p *sla.Policy, live *sla.Request, now time.Time) {
	for i := range live.Clocks {
		clk := &live.Clocks[i]
		// Keys only looked up are built on the stack; key, kept in the
		// maps, is built for the clocks that change.
		if silent := s.Silent[clk.Key()]; len(silent) > 0 {
			key := clk.Key()
			s.Fired[key] = slices.DeleteFunc(s.Fired[key], func(k string) bool { return slices.Contains(silent, k) })
			delete(s.Silent, key)
		}
		sl := p.SLA(clk.SLA)
		if sl == nil || len(s.Told[clk.Key()]) > 0 || !s.isHistory(clk, now) {
			continue
		}
		key := clk.Key()
		var silent []string
		for _, st := range Stages(sl, clk) {
			if st.Threshold <= clk.Elapsed && !s.HasFired(key, st.Key) {
				silent = append(silent, st.Key)
				s.markFired(key, st.Key)
			}
		}
		if len(silent) > 0 {
			if s.Silent == nil {
				s.Silent = map[string][]string{}
			}
			s.Silent[key] = silent
		}
	}
}

// isHistory reports whether a clock's end was history when slad first
// heard of it: it stopped, and breached (or, never breached, stopped) more
// than HistoryAge before that, or stopped more than StaleAge before now.
func (s *State) isHistory(clk *sla.Clock, now time.Time) bool {
	if clk.Open() {
		return false
	}
	old := s.FirstSeen[clk.Key()].Add(-HistoryAge)
	if clk.Breached() {
		return clk.BreachedAt.Before(old) || now.Sub(clk.Since) > StaleAge
	}
	return clk.Since.Before(old) || now.Sub(clk.Since) > StaleAge
}

// grace is when the alerts of an open clock that breached long before slad
// first heard of it may go out (zero when they need not wait): an hour
// after that first time. A request that is still open and breached then is
// a live problem worth telling; one that an import in progress closes in
// its next batch never pages anyone.
func (s *State) grace(clk *sla.Clock, key string) time.Time {
	if !clk.Open() {
		return time.Time{}
	}
	return s.settlesAt(clk, key)
}

// AlertsWaitUntil is when the alerts of an open clock that breached more
// than HistoryAge before slad first heard of it may go out, the end of its
// grace hour; zero when they need not wait. The request page says so, so
// that a breach without an alert is not taken for a fault.
func (s *State) AlertsWaitUntil(clk *sla.Clock) time.Time { return s.grace(clk, clk.Key()) }

// BreachWasHistory reports whether a clock's breach was marked fired
// without an alert because it was history when slad learnt of it (see
// silenceHistory): no alert of it is ever sent.
func (s *State) BreachWasHistory(clk *sla.Clock) bool {
	return slices.Contains(s.Silent[clk.Key()], breachKey)
}

// Settled reports whether a clock's breach and stop are settled as of now,
// so that running totals that never go down (breaches, stops) may count
// them. A clock whose breach or stop lies more than HistoryAge before slad
// first saw it comes from history being imported, and the import's next
// batch may still undo it (a late pause, the real resolution): it settles
// HistoryAge after slad first saw it, as the grace of its alerts ends.
// Everything slad saw happen is settled at once.
func (s *State) Settled(clk *sla.Clock, now time.Time) bool {
	return !now.Before(s.settlesAt(clk, clk.Key()))
}

// settlesAt is when a clock settles (zero: it is settled), in whole
// seconds, as the deadline index keeps them: a tick in the last second
// must not find it due and leave it due. key is the clock's key. A
// cancelled clock that never breached counts in no total, so it has
// nothing to wait for; one that breached counts its breach, and an
// imported cancellation is history like an imported resolution: its
// breach waits the hour too.
func (s *State) settlesAt(clk *sla.Clock, key string) time.Time {
	seen, ok := s.FirstSeen[key]
	if !ok || (clk.Cancelled && !clk.Breached()) {
		return time.Time{}
	}
	old := seen.Add(-HistoryAge)
	breachOld := clk.Breached() && clk.BreachedAt.Before(old)
	stopOld := !clk.Open() && clk.Since.Before(old)
	if !breachOld && !stopOld {
		return time.Time{}
	}
	g := seen.Add(HistoryAge)
	if g.Nanosecond() != 0 {
		g = g.Truncate(time.Second).Add(time.Second)
	}
	return g
}
