package sla

import (
	"slices"
	"time"
)

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
			c.Advance(t, s.CalendarOf())
		}
	}
}

// At returns a copy of the request as it stands at t: every running clock
// brought up to t, so that a breach that happened since the last event
// shows. The request itself is left as of its last event.
func (r *Request) At(p *Policy, t time.Time) Request {
	l := *r
	l.Clocks = slices.Clone(r.Clocks)
	l.AdvanceTo(p, t)
	return l
}
