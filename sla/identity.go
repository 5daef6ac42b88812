package sla

import "maps"

// Differences names the fields in which two events with the same id differ,
// in the order of the contract; none means they are the same event, so the
// second is a harmless repeat (a duplicate) and not a second event
// reusing the id (a conflict).
//
// Every field as sent counts, with two readings that follow what an event
// means rather than how it was written: "at" is compared as an instant (the
// same moment written in another offset is the same event), and labels as a
// set of pairs (an empty set and none are the same, since an empty set is
// not stored). Seq is not compared: it is when the store received an
// event, not part of the event.
func (e *Event) Differences(o *Event) []string {
	var d []string
	add := func(name string, differs bool) {
		if differs {
			d = append(d, name)
		}
	}
	add("id", e.ID != o.ID)
	add("request", e.Request != o.Request)
	add("type", e.Type != o.Type)
	add("at", !e.At.Equal(o.At))
	add("provider", e.Provider != o.Provider)
	add("customer", e.Customer != o.Customer)
	add("priority", e.Priority != o.Priority)
	add("category", e.Category != o.Category)
	add("title", e.Title != o.Title)
	add("labels", !maps.Equal(e.Labels, o.Labels))
	add("reason", e.Reason != o.Reason)
	add("csat", e.CSAT != o.CSAT)
	add("comment", e.Comment != o.Comment)
	add("department", e.Department != o.Department)
	return d
}
