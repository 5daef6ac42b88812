package sla

import (
	"fmt"
	"maps"
	"slices"
	"time"
)

// A request's clocks start at its opening: its first "opened" event in fold
// order. What an event dated before that means cannot be told (a sender's
// clock, a wrong request id, a reply to a ticket that was reopened
// elsewhere), and applying it at the opening would let a "resolved" dated
// before it stop every clock at once: "met in 0 s". So the fold leaves out
// every event dated before the opening, whether it arrived before or after
// the "opened" event (events at the same instant count); the API refuses
// such an event when it knows the opening ([CheckAfterOpening]), and
// explain lists those it could not refuse ([IgnoredEvents]).

// IgnoredEvent is an event the fold leaves out, and why.
type IgnoredEvent struct {
	ID     string    `json:"id"`
	Type   EventType `json:"type"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason"`
}

// opening is the index in evs (in fold order) of the request's opening, or
// -1 while it has none.
func opening(evs []Event) int {
	return slices.IndexFunc(evs, func(e Event) bool { return e.Type == Opened })
}

// ignoreReason says why the fold leaves an event of an opened request out,
// or "" when it applies it. r has opened; e is not its opening.
func ignoreReason(r *Request, e Event) string {
	switch {
	case e.Type == Opened:
		return fmt.Sprintf("the request had already opened at %s: a second %q changes nothing", stamp(r.Opened), Opened)
	case e.At.Before(r.Opened):
		return fmt.Sprintf("dated %s, before the request opened at %s: an event before the opening starts, pauses or stops no clock", stamp(e.At), stamp(r.Opened))
	case foreign(r, e):
		return fmt.Sprintf("it names provider %q, but the request is %q's", e.Provider, r.Provider)
	}
	return ""
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// IgnoredEvents lists, in fold order, the events of a request that [Fold]
// leaves out, each with the reason; none while the request has not opened
// (its events wait for the opening).
func IgnoredEvents(events []Event) []IgnoredEvent {
	evs := slices.Clone(events)
	SortEvents(evs)
	open := opening(evs)
	if open < 0 {
		return nil
	}
	r := Request{Opened: evs[open].At, Attributes: Attributes{Provider: evs[open].Provider}}
	var out []IgnoredEvent
	for i, e := range evs {
		if i == open {
			continue
		}
		if why := ignoreReason(&r, e); why != "" {
			out = append(out, IgnoredEvent{ID: e.ID, Type: e.Type, At: e.At, Reason: why})
		}
	}
	return out
}

// CheckAfterOpening refuses the first event of a batch dated before its
// request's opening, when the opening is known: in opened (the requests
// already stored as opened) or from an "opened" event of the batch, the
// earlier of the two. It returns the event's index and a sentence naming
// the field, or -1 and nil. An "opened" event is never refused: the
// earliest one is the opening. Nor is an event whose id is in stored: it
// is a repeat of one accepted before its request opened (the store tells a
// duplicate from another event), so sending a batch again stays safe.
func CheckAfterOpening(events []Event, opened map[string]time.Time, stored map[string]bool) (int, error) {
	first := maps.Clone(opened)
	if first == nil {
		first = map[string]time.Time{}
	}
	for _, e := range events {
		if t, ok := first[e.Request]; e.Type == Opened && (!ok || e.At.Before(t)) {
			first[e.Request] = e.At
		}
	}
	for i, e := range events {
		if t, ok := first[e.Request]; ok && e.Type != Opened && e.At.Before(t) && !stored[e.ID] {
			return i, fmt.Errorf(`field "at" (%s) is before request %q opened (%s): an event before its request's opening would stop no clock and be ignored; check the sender's clock and time zone, or the "at" of the "opened" event`,
				e.At.Format(time.RFC3339), e.Request, stamp(t))
		}
	}
	return -1, nil
}
