package sla

import (
	"testing"
	"time"
)

// TestADeadlineAtClosingTimeStaysPut: a target that runs out exactly at
// closing time leaves the clock at its limit all night; its deadline is
// that closing time, not "now", until the breach on the next morning.
func TestADeadlineAtClosingTimeStaysPut(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	var week [7][]Interval
	for d := time.Monday; d <= time.Friday; d++ {
		week[d] = []Interval{{9 * 3600, 17 * 3600}}
	}
	cal, err := NewCalendar("office", berlin, week, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := &Policy{SLAs: []*SLA{{ID: "s", Provider: "it", Customers: []string{"*"}, Calendar: cal, Response: Target{Default: time.Hour}, Objective: 0.9}}}
	opened := time.Date(2026, 11, 20, 16, 0, 0, 0, berlin) // Friday 16:00
	r := Fold(p, "R", []Event{{ID: "1", Request: "R", Type: Opened, At: opened, Provider: "it", Customer: "hr"}})
	closing := time.Date(2026, 11, 20, 17, 0, 0, 0, berlin)
	for _, now := range []time.Time{closing, closing.Add(time.Hour), time.Date(2026, 11, 22, 21, 0, 0, 0, berlin)} {
		l := r.Clocks[0].At(now, cal)
		if l.State != StateRunning || l.Remaining != 0 || !l.Deadline.Equal(closing) {
			t.Errorf("at %s: %s, %v left, deadline %s; want running, 0 left, deadline %s", now, l.State, l.Remaining, l.Deadline, closing)
		}
	}
	monday := time.Date(2026, 11, 23, 9, 0, 1, 0, berlin)
	if l := r.Clocks[0].At(monday, cal); l.State != StateBreached || !l.Deadline.Equal(closing) {
		t.Errorf("Monday 09:00:01: %s, deadline %s; want breached, deadline %s", l.State, l.Deadline, closing)
	}
}
