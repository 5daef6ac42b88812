package sla

import (
	"slices"
	"testing"
	"time"
)

func TestDifferencesTellARepeatFromAnotherEvent(t *testing.T) {
	at := time.Date(2026, 11, 23, 9, 14, 0, 0, time.UTC)
	opened := func(edit func(*Event)) Event {
		e := Event{ID: "e1", Request: "IT-4711", Type: Opened, At: at, Provider: "it", Customer: "sales",
			Priority: "P1", Title: "VPN down", Labels: map[string]string{"site": "berlin"}, Seq: 1}
		if edit != nil {
			edit(&e)
		}
		return e
	}
	tests := map[string]struct {
		sent Event
		want []string
	}{
		"the same event is no different":                         {opened(nil), nil},
		"another arrival (seq) is the same event":                {opened(func(e *Event) { e.Seq = 7 }), nil},
		"the same instant written at another offset is the same": {opened(func(e *Event) { e.At = at.In(time.FixedZone("", 3600)) }), nil},
		"another type is another event": {opened(func(e *Event) { e.Type, e.Customer, e.Priority, e.Title, e.Labels = Resolved, "", "", "", nil }),
			[]string{"type", "customer", "priority", "title", "labels"}},
		"another second is another event":                  {opened(func(e *Event) { e.At = at.Add(time.Second) }), []string{"at"}},
		"another request is another event":                 {opened(func(e *Event) { e.Request = "IT-4712" }), []string{"request"}},
		"another label value is another event":             {opened(func(e *Event) { e.Labels = map[string]string{"site": "paris"} }), []string{"labels"}},
		"an empty label set is not the labels sent before": {opened(func(e *Event) { e.Labels = map[string]string{} }), []string{"labels"}},
		"a score is part of the event":                     {opened(func(e *Event) { e.CSAT = 4 }), []string{"csat"}},
		"a handoff to another department is another event": {opened(func(e *Event) { e.Department = "network" }), []string{"department"}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			stored := opened(nil)
			if got := stored.Differences(&tt.sent); !slices.Equal(got, tt.want) {
				t.Errorf("Differences = %q, want %q", got, tt.want)
			}
		})
	}
	t.Run("no labels and an empty set are the same", func(t *testing.T) {
		a, b := opened(func(e *Event) { e.Labels = nil }), opened(func(e *Event) { e.Labels = map[string]string{} })
		if d := a.Differences(&b); d != nil {
			t.Errorf("Differences = %q, want none", d)
		}
	})
}
