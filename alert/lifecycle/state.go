package lifecycle

import (
	"slices"
	"strings"
	"time"

	"github.com/slad-project/slad/sla"
)

// State is a request's alert bookkeeping: which stages of each clock have
// fired, who was told of each breach and by which alert first, which marks
// were made silently, when
// slad first heard of each clock, and how many alert cycles each clock has
// been through. The store keeps it beside the folded request and hands it
// to [Settle] and [Tick]; nothing else changes it.
//
// Maps are keyed by clock key ([sla.Clock.Key]).
type State struct {
	// Fired holds the keys of the stages that fired, with or without an
	// alert.
	Fired map[string][]string `json:"fired,omitempty"`
	// Told holds the receivers told of the clock's breach or escalations:
	// they are owed a "resolved" when it is over.
	Told map[string][]string `json:"told,omitempty"`
	// FirstTold names, per clock and receiver told, the stage whose alert
	// told the receiver first: the breach, or the escalation step that
	// brought it in — after an [State.Untell], the step that brought it in
	// again. If that alert is dropped held, the receiver heard nothing of
	// the clock (quiet.go). Records kept before it have no entry; their
	// first alert is taken from the order of the stages.
	FirstTold map[string]map[string]string `json:"first_told,omitempty"`
	// Silent holds the stages marked fired without an alert because the
	// clock was history when slad learnt of it (see history.go).
	Silent map[string][]string `json:"silent,omitempty"`
	// FirstSeen is when slad first stored each clock: what happened to it
	// long before is history.
	FirstSeen map[string]time.Time `json:"first_seen,omitempty"`
	// Cycle counts the breaches withdrawn by late events and the reopenings
	// after a "resolved": it keeps the notice ids of a new cycle apart from
	// those already delivered.
	Cycle map[string]int `json:"cycle,omitempty"`
}

// HasFired reports whether the stage of the clock has fired.
func (s *State) HasFired(clockKey, stageKey string) bool {
	return slices.Contains(s.Fired[clockKey], stageKey)
}

// Warned reports whether a warning of the clock has fired: an open clock
// that has been warned about and has not breached is at risk.
func (s *State) Warned(clockKey string) bool {
	return slices.ContainsFunc(s.Fired[clockKey], func(k string) bool {
		return strings.HasPrefix(k, string(StageWarning))
	})
}

func (s *State) markFired(clockKey, stageKey string) {
	if s.Fired == nil {
		s.Fired = map[string][]string{}
	}
	if !s.HasFired(clockKey, stageKey) {
		s.Fired[clockKey] = append(s.Fired[clockKey], stageKey)
	}
}

// unfire forgets that the stages with one of the given prefixes fired.
func (s *State) unfire(clockKey string, prefixes ...string) {
	if len(s.Fired[clockKey]) == 0 {
		return
	}
	s.Fired[clockKey] = slices.DeleteFunc(s.Fired[clockKey], func(k string) bool {
		return slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(k, p) })
	})
}

// tell adds receivers to those told of a clock's breach by the stage
// stageKey: they will hear that it is over. For those not told before, it
// is the alert that told them first.
func (s *State) tell(clockKey, stageKey string, receivers []string) {
	if s.Told == nil {
		s.Told = map[string][]string{}
	}
	// The lists and maps are looked up once and made at their size: a
	// tick of a breach storm tells every request's receivers.
	told, first := s.Told[clockKey], s.FirstTold[clockKey]
	for _, rcv := range receivers {
		if slices.Contains(told, rcv) {
			continue
		}
		if told == nil {
			told = make([]string, 0, len(receivers))
		}
		told = append(told, rcv)
		if first == nil {
			if s.FirstTold == nil {
				s.FirstTold = map[string]map[string]string{}
			}
			first = make(map[string]string, len(receivers))
			s.FirstTold[clockKey] = first
		}
		first[rcv] = stageKey
	}
	if len(told) > len(s.Told[clockKey]) {
		s.Told[clockKey] = told
	}
}

// forget forgets everyone told of a clock's breach.
func (s *State) forget(clockKey string) {
	delete(s.Told, clockKey)
	delete(s.FirstTold, clockKey)
}

// escalations counts the escalation steps fired for a clock: a resolved
// notice carries it so that Alertmanager can end each escalation alert.
func (s *State) escalations(clockKey string) int {
	n := 0
	for _, k := range s.Fired[clockKey] {
		if strings.HasPrefix(k, string(StageEscalation)) {
			n++
		}
	}
	return n
}

func (s *State) nextCycle(clockKey string) {
	if s.Cycle == nil {
		s.Cycle = map[string]int{}
	}
	s.Cycle[clockKey]++
}

// noteFirstSeen records now as the first time slad saw each clock of cur it
// had not seen yet. Clocks of old (the request as stored before) that have
// no such record were stored before slad kept FirstSeen: they count as seen
// from their start.
func (s *State) noteFirstSeen(old, cur *sla.Request, now time.Time) {
	see := func(clk *sla.Clock, at time.Time) {
		if _, ok := s.FirstSeen[clk.Key()]; ok { // a key only looked up is built on the stack
			return
		}
		if s.FirstSeen == nil {
			s.FirstSeen = make(map[string]time.Time, len(cur.Clocks))
		}
		s.FirstSeen[clk.Key()] = at
	}
	if old != nil {
		for i := range old.Clocks {
			see(&old.Clocks[i], old.Clocks[i].Started)
		}
	}
	for i := range cur.Clocks {
		see(&cur.Clocks[i], now)
	}
}
