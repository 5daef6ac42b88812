package sla

import (
	"slices"
	"time"
)

// NotifyHours are the hours in which a department or a receiver wants to
// hear of alerts (its notify_hours calendar), and the stages urgent enough
// to be sent outside them. The rule that holds an alert until they open is
// alert/lifecycle's (quiet.go); this is only what the configuration said.
type NotifyHours struct {
	// Calendar is when alerts go out; nil means at any time (a receiver
	// that takes no hours, such as Alertmanager, whose own muting applies).
	Calendar *Calendar
	// Urgent maps a stage ("warning", "breach", "escalation", "resolved")
	// that breaks through outside the hours to the priorities it does so
	// for; an empty list means every priority.
	Urgent map[string][]string
}

// UrgentFor reports whether the stage of a request of the priority breaks
// through outside the hours.
func (h *NotifyHours) UrgentFor(stage, priority string) bool {
	prios, ok := h.Urgent[stage]
	return ok && (len(prios) == 0 || slices.Contains(prios, priority))
}

// NextOpening returns the first instant at or after t at which the
// calendar counts business time: t itself when it is open then. ok is
// false for a calendar that never opens again (one without hours).
func (c *Calendar) NextOpening(t time.Time) (time.Time, bool) {
	if c.Between(t, t.Add(time.Second)) > 0 {
		return t, true
	}
	end, ok := c.Add(t, time.Second)
	if !ok {
		return time.Time{}, false
	}
	return end.Add(-time.Second), true
}

// HoursOf returns the notification hours that govern an alert about one of
// provider's SLAs sent to receiver: the receiver's own when it has them,
// else the provider department's; nil when the alert may go out at any
// time.
func (p *Policy) HoursOf(receiver, provider string) *NotifyHours {
	if h, ok := p.ReceiverHours[receiver]; ok {
		if h.Calendar == nil {
			return nil
		}
		return h
	}
	if d := p.Departments[provider]; d != nil && d.Hours != nil && d.Hours.Calendar != nil {
		return d.Hours
	}
	return nil
}

// HasNotifyHours reports whether any department or receiver has
// notification hours: without them no alert is ever held. It is asked for
// every alert queued, so the policy's index keeps the answer.
func (p *Policy) HasNotifyHours() bool { return p.indexed().anyHours }

func (p *Policy) anyNotifyHours() bool {
	for _, h := range p.ReceiverHours {
		if h.Calendar != nil {
			return true
		}
	}
	for _, d := range p.Departments {
		if d.Hours != nil && d.Hours.Calendar != nil {
			return true
		}
	}
	return false
}
