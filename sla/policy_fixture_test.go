package sla

import (
	"encoding/json"
	"testing"
	"time"
)

// The fixture policy of the clock, stage and ledger tests.
//
//   - "desk": IT answers Sales' P1/P2 incidents on the office calendar
//     (Europe/Berlin, Mon-Fri 09:00-17:00, Christmas off): response 30m,
//     resolution P1 4h / P2 1d (24h of business time: three office days),
//     paused while waiting for the customer, warnings at 50% and 80%, one
//     escalation an hour after the breach.
//   - "minor": the same desk's P3 incidents, resolution 2d.
//   - "outage": any department's outages, 24x7, resolution 2h, paused by
//     any reason.
func fixturePolicy(t testing.TB) *Policy {
	t.Helper()
	office := newCal(t, mustLoc(t, "Europe/Berlin"), "mon-fri=09:00-17:00", "2026-12-24", "2026-12-25")
	return &Policy{
		Calendars: map[string]*Calendar{"office": office, Always: AlwaysOpen()},
		Departments: map[string]*Department{
			"it":    {ID: "it", Name: "IT Service Desk", Notify: []string{"it-chat"}},
			"sales": {ID: "sales", Name: "Sales"},
		},
		SLAs: []*SLA{
			{
				ID: "desk", Provider: "it", Customers: []string{"sales"},
				Match:    Match{Priority: []string{"P1", "P2"}, Category: []string{"incident"}},
				Calendar: office,
				Response: Target{Default: 30 * time.Minute},
				Resolution: Target{ByPriority: map[string]time.Duration{
					"P1": 4 * time.Hour, "P2": 24 * time.Hour,
				}},
				Objective: 0.95, Window: Window{Kind: Rolling, Days: 30},
				PauseOn:  []string{"waiting_for_customer"},
				WarnAt:   []float64{0.5, 0.8},
				Escalate: []Escalation{{After: time.Hour, Notify: []string{"cto"}}},
			},
			{
				ID: "minor", Provider: "it", Customers: []string{"sales"},
				Match:      Match{Priority: []string{"P3"}, Category: []string{"incident"}},
				Calendar:   office,
				Resolution: Target{Default: 48 * time.Hour},
				Objective:  0.9, Window: Window{Kind: Month},
			},
			{
				ID: "outage", Provider: "it", Customers: []string{"*"},
				Match:      Match{Category: []string{"outage"}},
				Resolution: Target{Default: 2 * time.Hour},
				Objective:  0.99, Window: Window{Kind: Rolling, Days: 7},
				PauseOn: []string{"*"},
			},
		},
	}
}

// history builds a request's events; times are Berlin wall times
// ("2026-11-23 09:00"; 2026-11-23 is a Monday) and Seq follows the order
// the events are written in.
type history struct {
	t   testing.TB
	loc *time.Location
	evs []Event
}

func newHistory(t testing.TB) *history {
	return &history{t: t, loc: mustLoc(t, "Europe/Berlin")}
}

func (h *history) at(s string) time.Time { h.t.Helper(); return at(h.t, h.loc, s) }

func (h *history) add(typ EventType, when string, edit ...func(*Event)) *history {
	h.t.Helper()
	e := Event{ID: "e" + string(rune('a'+len(h.evs))), Request: "IT-1", Type: typ, At: h.at(when), Seq: uint64(len(h.evs) + 1)}
	for _, f := range edit {
		f(&e)
	}
	h.evs = append(h.evs, e)
	return h
}

func (h *history) open(when, priority, category string) *history {
	h.t.Helper()
	return h.add(Opened, when, func(e *Event) {
		e.Provider, e.Customer, e.Priority, e.Category = "it", "sales", priority, category
	})
}

func reason(r string) func(*Event)   { return func(e *Event) { e.Reason = r } }
func priority(p string) func(*Event) { return func(e *Event) { e.Priority = p } }
func category(c string) func(*Event) { return func(e *Event) { e.Category = c } }
func csat(n int) func(*Event)        { return func(e *Event) { e.CSAT = n } }

// slaCal is the calendar an SLA's clocks run on.
func slaCal(p *Policy, id string) *Calendar {
	if s := p.SLA(id); s != nil && s.Calendar != nil {
		return s.Calendar
	}
	return AlwaysOpen()
}

func equalJSON(t testing.TB, a, b any) bool {
	t.Helper()
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(ja) == string(jb)
}
