package lifecycle

import (
	"maps"
	"slices"
	"time"

	"github.com/slad-project/slad/sla"
)

// Settle brings a request's alert state up to date after its clocks
// changed — new events, late ones, or a reload that re-matched it — and
// returns what must be sent or recorded as firing because of it. cur is the
// request as folded now, old as it was stored before (nil for a new one).
//
// It notes when slad first saw each clock, marks history silently (see
// history.go), and reconciles the alerts already sent with the clocks as
// they now stand (see reconcile).
func Settle(p *sla.Policy, st *State, old, cur *sla.Request, now time.Time) []Effect {
	live := cur.At(p, now)
	return SettleLive(p, st, old, cur, &live, now)
}

// SettleLive is Settle with cur as it stands at now (live, cur.At(p, now))
// given, for a caller that has it already: the store's fold computes it
// once for settling, ticking and the request's contribution (a copy of
// the clocks and their advance, for every request folded). It reads cur
// and live and changes neither.
func SettleLive(p *sla.Policy, st *State, old, cur, live *sla.Request, now time.Time) []Effect {
	st.noteFirstSeen(old, cur, now)
	st.silenceHistory(p, live, now)
	effects := st.reconcile(p, old, live, now)
	return append(effects, st.dropStopped(p, old, live)...)
}

// reconcile keeps the alerts already sent true to a request that late
// events, a reopening or a reload changed:
//   - a breach that no longer holds (late events show the clock never
//     passed its target, or its SLA is gone) is declared over to those told
//     of it, and may fire again if the clock really breaches later;
//   - a breach declared over whose request was reopened is firing again,
//     and will be declared over again when it stops.
func (s *State) reconcile(p *sla.Policy, old, live *sla.Request, now time.Time) []Effect {
	var out []Effect
	// A breach nobody was told of (marked in passing, history) that late
	// events undo is forgotten, so that a real one later fires.
	for i := range live.Clocks {
		clk := &live.Clocks[i]
		if len(s.Told[clk.Key()]) == 0 && !clk.Breached() && len(s.Fired[clk.Key()]) > 0 {
			s.unfire(clk.Key(), string(StageBreach), string(StageEscalation))
		}
	}
	if len(s.Told) == 0 {
		return out // nobody was told anything: the common case, and the cheap one
	}
	for _, key := range slices.Sorted(maps.Keys(s.Told)) {
		told := s.Told[key]
		slaID, target := sla.SplitKey(key)
		clk := live.Clock(slaID, target)
		switch {
		case clk == nil || !clk.Breached():
			if !s.HasFired(key, ResolvedKey) {
				src, req := clk, live
				if src == nil && old != nil {
					src, req = old.Clock(slaID, target), old
				}
				out = append(out, s.dropHeldOwed(p, p.SLA(slaID), live.Provider, live.ID, key)...)
				if src != nil {
					n := s.resolvedNotice(p, req, src, p.SLA(slaID), now)
					if clk == nil { // the request lost the clock: nothing stopped it
						n.Untimed = UntimedUnmatched
						if p.SLA(slaID) == nil {
							n.Untimed = UntimedSLARemoved
						}
					}
					out = append(out, Effect{Op: Send, Receivers: told, Provider: live.Provider, Request: live.ID, ClockKey: key, Notice: &n})
				}
			}
			out = append(out, Effect{Op: Unfire, Receivers: told, Provider: live.Provider, Request: live.ID, ClockKey: key})
			s.forget(key)
			s.unfire(key, string(StageBreach), string(StageEscalation), ResolvedKey)
			s.nextCycle(key)
		case clk.Open() && s.HasFired(key, ResolvedKey):
			out = append(out, dropHeldResolved(p, live.Provider, live.ID, key)...) // quiet.go
			s.unfire(key, ResolvedKey)
			s.nextCycle(key)
			if firing := firingFor(p, told); len(firing) > 0 {
				n := s.notice(p, live, clk, p.SLA(slaID), Stage{Kind: StageBreach, Key: breachKey}, now)
				out = append(out, Effect{Op: Fire, Receivers: firing, Provider: live.Provider, Request: live.ID, ClockKey: key, Notice: &n})
			}
		}
	}
	return out
}
