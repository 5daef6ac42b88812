// Package slatest holds the fixtures that the tests of several packages
// (alert/lifecycle, store) build on: a small policy, an event builder and
// generators of random request histories for property tests. It is for
// tests only, as net/http/httptest is; package sla's own tests cannot use
// it (it imports sla).
package slatest

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/slad-project/slad/sla"
)

// T0 is a Monday morning, UTC: where the fixtures' histories start.
var T0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// DeskPolicy is a one-SLA policy: IT resolves Sales' incidents in 4h (P1) / 24h (P2) on 24x7,
// responds in 30m, pauses while waiting for the customer, warns at 50%,
// escalates 1h after the breach. The department's receiver is it-chat, the
// SLA's am (an Alertmanager: it re-posts the breaches firing for it), the
// escalation's boss.
func DeskPolicy() *sla.Policy {
	s := &sla.SLA{
		ID: "it-sales", Description: "IT fixes Sales incidents", Provider: "it", Customers: []string{"sales"},
		Calendar:   sla.AlwaysOpen(),
		Response:   sla.Target{Default: 30 * time.Minute},
		Resolution: sla.Target{ByPriority: map[string]time.Duration{"P1": 4 * time.Hour, "P2": 24 * time.Hour}},
		Objective:  0.95, Window: sla.Window{Kind: sla.Rolling, Days: 30},
		PauseOn:  []string{"waiting_for_customer"},
		WarnAt:   []float64{0.5},
		Escalate: []sla.Escalation{{After: time.Hour, Notify: []string{"boss"}}},
		Notify:   []string{"am"},
	}
	return &sla.Policy{
		SLAs: []*sla.SLA{s},
		Departments: map[string]*sla.Department{
			"it":    {ID: "it", Notify: []string{"it-chat"}},
			"sales": {ID: "sales"},
		},
		Calendars: map[string]*sla.Calendar{},
		Reposting: map[string]bool{"am": true},
	}
}

// HandoffPolicy adds to DeskPolicy the parties of a handoff: Network
// (receiver net-chat) holds IT's requests under an OLA (answer within
// 15m, give them back within 2h, warn at 50%, escalate to boss 30m after a
// breach), and Sales promises IT to answer within 1h (receiver
// sales-chat); waiting_for_customer and waiting_for_approval are
// customer reasons.
func HandoffPolicy(testing.TB) *sla.Policy {
	p := DeskPolicy()
	p.CustomerReasons = []string{"waiting_for_customer", "waiting_for_approval"}
	p.Departments["network"] = &sla.Department{ID: "network", Name: "Network", Notify: []string{"net-chat"}}
	p.Departments["sales"].Notify, p.Departments["sales"].Name = []string{"sales-chat"}, "Sales"
	p.Departments["it"].Name = "IT"
	p.SLAs = append(p.SLAs,
		&sla.SLA{
			ID: "network-ola", Provider: "network", Customers: []string{"it"}, Measures: sla.MeasureHolding,
			Calendar: sla.AlwaysOpen(), Response: sla.Target{Default: 15 * time.Minute}, Resolution: sla.Target{Default: 2 * time.Hour},
			Objective: 0.9, Window: sla.Window{Kind: sla.Rolling, Days: 30}, WarnAt: []float64{0.5},
			Escalate: []sla.Escalation{{After: 30 * time.Minute, Notify: []string{"boss"}}},
		},
		&sla.SLA{
			ID: "sales-answers", Provider: "sales", Customers: []string{"it"}, Measures: sla.MeasureWaiting,
			Calendar: sla.AlwaysOpen(), Resolution: sla.Target{Default: time.Hour},
			Objective: 0.9, Window: sla.Window{Kind: sla.Rolling, Days: 30}, WarnAt: []float64{0.5},
		})
	return p
}

// RichPolicy adds to DeskPolicy an SLA on office hours (Mon-Fri
// 09:00-17:00 Berlin) for IT incidents of any customer, with two warnings
// and two escalation steps (boss, cto), and an HR SLA whose department and
// SLA name no receiver at all.
func RichPolicy(t testing.TB) *sla.Policy {
	t.Helper()
	p := DeskPolicy()
	p.SLAs = append(p.SLAs,
		&sla.SLA{
			ID: "it-office", Provider: "it", Customers: []string{"*"}, Match: sla.Match{Category: []string{"incident"}},
			Calendar:   Office(t),
			Response:   sla.Target{Default: time.Hour},
			Resolution: sla.Target{ByPriority: map[string]time.Duration{"P1": 2 * time.Hour}, Default: 8 * time.Hour},
			Objective:  0.9, Window: sla.Window{Kind: sla.Rolling, Days: 30},
			PauseOn: []string{"*"}, WarnAt: []float64{0.25, 0.75},
			Escalate: []sla.Escalation{{After: 30 * time.Minute, Notify: []string{"boss"}}, {After: 2 * time.Hour, Notify: []string{"cto"}}},
		},
		&sla.SLA{
			ID: "hr-any", Provider: "hr", Customers: []string{"*"}, Calendar: sla.AlwaysOpen(),
			Response: sla.Target{Default: 15 * time.Minute}, Resolution: sla.Target{Default: 3 * time.Hour},
			Objective: 0.9, Window: sla.Window{Kind: sla.Rolling, Days: 30}, WarnAt: []float64{0.5},
		})
	p.Departments["hr"] = &sla.Department{ID: "hr"}
	return p
}

// Berlin is the Europe/Berlin zone.
func Berlin(t testing.TB) *time.Location { return Zone(t, "Europe/Berlin") }

// Zone is the IANA zone of that name: Europe/Berlin, America/New_York.
func Zone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// Office is a calendar open Mon-Fri 09:00-17:00 in Berlin, without holidays.
func Office(t testing.TB) *sla.Calendar { return OfficeIn(t, Berlin(t)) }

// OfficeIn is a calendar open Mon-Fri 09:00-17:00 in loc, closed on the
// holidays (local dates "2026-12-24").
func OfficeIn(t testing.TB, loc *time.Location, holidays ...string) *sla.Calendar {
	t.Helper()
	var week [7][]sla.Interval
	for d := time.Monday; d <= time.Friday; d++ {
		week[d] = []sla.Interval{{Start: 9 * 3600, End: 17 * 3600}}
	}
	var days []sla.Date
	for _, h := range holidays {
		d, err := sla.ParseDate(h)
		if err != nil {
			t.Fatal(err)
		}
		days = append(days, d)
	}
	office, err := sla.NewCalendar("office", loc, week, days)
	if err != nil {
		t.Fatal(err)
	}
	return office
}

// Event builds an event; an opened one is IT's P1 for Sales unless mod
// says otherwise.
func Event(id, req string, typ sla.EventType, at time.Time, mod ...func(*sla.Event)) sla.Event {
	e := sla.Event{ID: id, Request: req, Type: typ, At: at}
	if typ == sla.Opened {
		e.Provider, e.Customer, e.Priority = "it", "sales", "P1"
	}
	for _, m := range mod {
		m(&e)
	}
	return e
}

// WaitingForCustomer gives a paused event the reason DeskPolicy pauses on.
func WaitingForCustomer(e *sla.Event) { e.Reason = "waiting_for_customer" }

// RandomHistories draws requests' lives on DeskPolicy: each opens, then
// responds, pauses (for the customer, its approval or another reason),
// resumes, is handed to a department, resolves, reopens, updates its
// priority or is cancelled, at increasing times within two days of T0.
// On HandoffPolicy the handoffs and the customer's waits start the clocks
// of Network's OLA and of Sales' promise.
func RandomHistories(rng *rand.Rand, requests int) []sla.Event {
	var out []sla.Event
	types := []sla.EventType{sla.Responded, sla.Paused, sla.Resumed, sla.Resolved, sla.Reopened, sla.Updated, sla.Cancelled, sla.Rated, sla.Assigned, sla.Assigned}
	for r := range requests {
		req := fmt.Sprint("R", r)
		at := T0.Add(time.Duration(rng.IntN(24*60)) * time.Minute)
		out = append(out, Event(req+"-0", req, sla.Opened, at, func(e *sla.Event) { e.Priority = []string{"P1", "P2"}[rng.IntN(2)] }))
		for i := 1; i < 1+rng.IntN(8); i++ {
			at = at.Add(time.Duration(1+rng.IntN(300)) * time.Minute)
			e := Event(fmt.Sprint(req, "-", i), req, types[rng.IntN(len(types))], at)
			switch e.Type {
			case sla.Paused:
				e.Reason = []string{"waiting_for_customer", "waiting_for_approval", "other"}[rng.IntN(3)]
			case sla.Assigned:
				e.Department = []string{"network", "network", "it"}[rng.IntN(3)]
			case sla.Updated:
				e.Priority = []string{"P1", "P2"}[rng.IntN(2)]
			case sla.Resolved:
				e.CSAT = rng.IntN(6)
			case sla.Rated:
				e.CSAT = 1 + rng.IntN(5)
			}
			out = append(out, e)
		}
	}
	return out
}

// RichHistories draws requests' lives on RichPolicy: two providers, three
// priorities, incidents and changes (so requests leave and re-enter SLAs),
// within three days of T0.
func RichHistories(rng *rand.Rand, requests int) []sla.Event {
	var out []sla.Event
	types := []sla.EventType{sla.Responded, sla.Paused, sla.Resumed, sla.Resolved, sla.Reopened, sla.Updated, sla.Updated, sla.Cancelled, sla.Resolved, sla.Reopened, sla.Rated}
	prios := []string{"P1", "P2", "P3"}
	cats := []string{"incident", "change"}
	for r := range requests {
		req := fmt.Sprint("Q", r)
		at := T0.Add(time.Duration(rng.IntN(36*60)) * time.Minute)
		prov := []string{"it", "it", "hr"}[rng.IntN(3)]
		out = append(out, Event(req+"-0", req, sla.Opened, at, func(e *sla.Event) {
			e.Provider, e.Priority, e.Category = prov, prios[rng.IntN(3)], cats[rng.IntN(2)]
		}))
		for i := 1; i < 1+rng.IntN(10); i++ {
			at = at.Add(time.Duration(1+rng.IntN(240)) * time.Minute)
			e := Event(fmt.Sprint(req, "-", i), req, types[rng.IntN(len(types))], at)
			switch e.Type {
			case sla.Paused:
				e.Reason = []string{"waiting_for_customer", "other"}[rng.IntN(2)]
			case sla.Updated:
				if rng.IntN(2) == 0 {
					e.Priority = prios[rng.IntN(3)]
				} else {
					e.Category = cats[rng.IntN(2)]
				}
			case sla.Resolved:
				e.CSAT = rng.IntN(6)
			case sla.Rated:
				e.CSAT = 1 + rng.IntN(5)
			}
			out = append(out, e)
		}
	}
	return out
}
