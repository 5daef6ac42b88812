package sla

import (
	"slices"
	"time"
)

// Receivers returns who is told of a stage of one of the SLA's clocks: the
// provider department's receivers, the SLA's own, and for an escalation the
// receivers of that step. Each receiver appears once, in that order.
func (p *Policy) Receivers(s *SLA, st Stage) []string {
	var out []string
	add := func(names []string) {
		for _, n := range names {
			if !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	if d := p.Departments[s.Provider]; d != nil {
		add(d.Notify)
	}
	add(s.Notify)
	if st.Kind == StageEscalation && st.Step < len(s.Escalate) {
		add(s.Escalate[st.Step].Notify)
	}
	return out
}

// CalendarOf returns the SLA's calendar, or the 24x7 one when it has none.
func (s *SLA) CalendarOf() *Calendar {
	if s == nil || s.Calendar == nil {
		return AlwaysOpen()
	}
	return s.Calendar
}

// AdvanceTo brings every running clock of the request up to t, so that
// stored figures (elapsed, breached) are exact as of t. Clocks of SLAs the
// policy no longer has are left as they are.
func (r *Request) AdvanceTo(p *Policy, t time.Time) {
	for i := range r.Clocks {
		c := &r.Clocks[i]
		if s := p.SLA(c.SLA); s != nil {
			c.advance(t, s.CalendarOf())
		}
	}
}
