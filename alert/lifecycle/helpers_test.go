package lifecycle

import (
	"testing"
	"time"

	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// fixturePolicy is the policy of the stage tests:
//
//   - "desk": IT answers Sales' P1/P2 incidents on the office calendar
//     (Europe/Berlin, Mon-Fri 09:00-17:00): response 30m, resolution P1 4h /
//     P2 1d (24h of business time: three office days), paused while waiting
//     for the customer, warnings at 50% and 80%, one escalation an hour
//     after the breach.
func fixturePolicy(t testing.TB) *sla.Policy {
	t.Helper()
	office := slatest.Office(t)
	return &sla.Policy{
		Calendars: map[string]*sla.Calendar{"office": office},
		Departments: map[string]*sla.Department{
			"it":    {ID: "it", Name: "IT Service Desk", Notify: []string{"it-chat"}},
			"sales": {ID: "sales", Name: "Sales"},
		},
		SLAs: []*sla.SLA{{
			ID: "desk", Provider: "it", Customers: []string{"sales"},
			Match:    sla.Match{Priority: []string{"P1", "P2"}, Category: []string{"incident"}},
			Calendar: office,
			Response: sla.Target{Default: 30 * time.Minute},
			Resolution: sla.Target{ByPriority: map[string]time.Duration{
				"P1": 4 * time.Hour, "P2": 24 * time.Hour,
			}},
			Objective: 0.95, Window: sla.Window{Kind: sla.Rolling, Days: 30},
			PauseOn:  []string{"waiting_for_customer"},
			WarnAt:   []float64{0.5, 0.8},
			Escalate: []sla.Escalation{{After: time.Hour, Notify: []string{"cto"}}},
		}},
	}
}

// history builds a request's events; times are Berlin wall times
// ("2026-11-23 09:00"; 2026-11-23 is a Monday) and Seq follows the order
// the events are written in.
type history struct {
	t   testing.TB
	loc *time.Location
	evs []sla.Event
}

func newHistory(t testing.TB) *history { return &history{t: t, loc: slatest.Berlin(t)} }

func (h *history) at(s string) time.Time {
	h.t.Helper()
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04"} {
		if v, err := time.ParseInLocation(layout, s, h.loc); err == nil {
			return v
		}
	}
	h.t.Fatalf("bad time %q", s)
	return time.Time{}
}

func (h *history) add(typ sla.EventType, when string, edit ...func(*sla.Event)) *history {
	h.t.Helper()
	e := sla.Event{ID: "e" + string(rune('a'+len(h.evs))), Request: "IT-1", Type: typ, At: h.at(when), Seq: uint64(len(h.evs) + 1)}
	for _, f := range edit {
		f(&e)
	}
	h.evs = append(h.evs, e)
	return h
}

func (h *history) open(when, priority, category string) *history {
	h.t.Helper()
	return h.add(sla.Opened, when, func(e *sla.Event) {
		e.Provider, e.Customer, e.Priority, e.Category = "it", "sales", priority, category
	})
}

func reason(r string) func(*sla.Event)   { return func(e *sla.Event) { e.Reason = r } }
func priority(p string) func(*sla.Event) { return func(e *sla.Event) { e.Priority = p } }
