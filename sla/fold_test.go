package sla

import (
	"slices"
	"testing"
	"time"
)

// TestFoldUpdates folds histories whose priority or category changes:
// the limit moves from the update, a clock whose SLA no longer matches is
// cancelled, one that matches again runs on.
func TestFoldUpdates(t *testing.T) {
	testFold(t, map[string]foldCase{
		"an update from P2 to P1 moves the limit from that moment": {
			events: func(h *history) {
				h.open("2026-11-23 09:00", "P2", "incident").add(Responded, "2026-11-23 09:05").
					add(Updated, "2026-11-23 12:00", priority("P1"))
			},
			now: "2026-11-23 12:30", status: StatusOpen,
			clocks: map[string]wantClock{
				"desk/response":   {StateMet, 5 * time.Minute, ""},
				"desk/resolution": {StateRunning, 210 * time.Minute, "2026-11-23 13:00"},
			},
		},
		"an update to P1 past the new limit breaches at the update": {
			events: func(h *history) {
				h.open("2026-11-23 09:00", "P2", "incident").add(Responded, "2026-11-23 09:05").
					add(Updated, "2026-11-24 09:30", priority("P1"))
			},
			now: "2026-11-24 10:00", status: StatusOpen,
			clocks: map[string]wantClock{
				"desk/response":   {StateMet, 5 * time.Minute, ""},
				"desk/resolution": {StateBreached, 9 * time.Hour, "2026-11-24 09:30"},
			},
		},
		"an update to P1 past the new limit breaches even while paused": {
			events: func(h *history) {
				h.open("2026-11-23 09:00", "P2", "incident").add(Responded, "2026-11-23 09:05").
					add(Paused, "2026-11-23 14:00", reason("waiting_for_customer")).
					add(Updated, "2026-11-23 15:00", priority("P1"))
			},
			now: "2026-11-23 16:00", status: StatusOpen,
			clocks: map[string]wantClock{
				"desk/response":   {StateMet, 5 * time.Minute, ""},
				"desk/resolution": {StateBreached, 5 * time.Hour, "2026-11-23 15:00"},
			},
		},
		"an update from P1 to P2 after the breach stays breached": {
			events: func(h *history) {
				h.open("2026-11-23 09:00", "P1", "incident").add(Responded, "2026-11-23 09:05").
					add(Updated, "2026-11-23 14:00", priority("P2"))
			},
			now: "2026-11-23 15:00", status: StatusOpen,
			clocks: map[string]wantClock{
				"desk/response":   {StateMet, 5 * time.Minute, ""},
				"desk/resolution": {StateBreached, 6 * time.Hour, "2026-11-23 13:00"},
			},
		},
		"an update out of the SLA cancels its open clocks and starts the newly matching SLA's": {
			events: func(h *history) {
				h.open("2026-11-23 09:00", "P2", "incident").add(Responded, "2026-11-23 09:05").
					add(Updated, "2026-11-23 10:00", priority("P3"))
			},
			now: "2026-11-23 12:00", status: StatusOpen,
			clocks: map[string]wantClock{
				"desk/response":    {StateMet, 5 * time.Minute, ""},
				"desk/resolution":  {StateCancelled, time.Hour, ""},
				"minor/resolution": {StateRunning, 2 * time.Hour, "2026-12-01 10:00"},
			},
		},
		"an update back into the SLA runs its clock on from the update": {
			events: func(h *history) {
				h.open("2026-11-23 09:00", "P2", "incident").add(Responded, "2026-11-23 09:05").
					add(Updated, "2026-11-23 10:00", priority("P3")).add(Updated, "2026-11-23 11:00", priority("P1"))
			},
			now: "2026-11-23 12:00", status: StatusOpen,
			clocks: map[string]wantClock{
				"desk/response":    {StateMet, 5 * time.Minute, ""},
				"desk/resolution":  {StateRunning, 2 * time.Hour, "2026-11-23 14:00"},
				"minor/resolution": {StateCancelled, time.Hour, ""},
			},
		},
		"an update out of the SLA after its breach stops the clock there, still breached; the 24x7 clock starts at the update": {
			events: func(h *history) {
				h.open("2026-11-23 09:00", "P1", "incident").add(Responded, "2026-11-23 09:05").
					add(Updated, "2026-11-23 16:30", category("outage"))
			},
			now: "2026-11-23 18:00", status: StatusOpen,
			clocks: map[string]wantClock{
				"desk/response":     {StateMet, 5 * time.Minute, ""},
				"desk/resolution":   {StateBreached, 7*time.Hour + 30*time.Minute, "2026-11-23 13:00"},
				"outage/resolution": {StateRunning, 90 * time.Minute, "2026-11-23 18:30"},
			},
		},
		"an update back into the SLA past the new limit breaches at the update": {
			events: func(h *history) {
				h.open("2026-11-23 09:00", "P2", "incident").add(Responded, "2026-11-23 09:05").
					add(Updated, "2026-11-23 14:00", priority("P3")).add(Updated, "2026-11-23 15:00", priority("P1"))
			},
			now: "2026-11-23 16:00", status: StatusOpen,
			clocks: map[string]wantClock{
				"desk/response":    {StateMet, 5 * time.Minute, ""},
				"desk/resolution":  {StateBreached, 6 * time.Hour, "2026-11-23 15:00"},
				"minor/resolution": {StateCancelled, time.Hour, ""},
			},
		},
		"an update while resolved applies when the request reopens": {
			events: func(h *history) {
				h.open("2026-11-23 09:00", "P2", "incident").add(Responded, "2026-11-23 09:05").
					add(Resolved, "2026-11-23 10:00").add(Updated, "2026-11-23 11:00", priority("P1")).
					add(Reopened, "2026-11-23 12:00")
			},
			now: "2026-11-23 16:00", status: StatusOpen,
			clocks: map[string]wantClock{
				"desk/response":   {StateMet, 5 * time.Minute, ""},
				"desk/resolution": {StateBreached, 5 * time.Hour, "2026-11-23 15:00"},
			},
		},
		"an update out of the SLA while resolved: the reopen runs the new SLA's clock": {
			events: func(h *history) {
				h.open("2026-11-23 09:00", "P2", "incident").add(Responded, "2026-11-23 09:05").
					add(Resolved, "2026-11-23 10:00").add(Updated, "2026-11-23 11:00", priority("P3")).
					add(Reopened, "2026-11-23 12:00")
			},
			now: "2026-11-23 13:00", status: StatusOpen,
			clocks: map[string]wantClock{
				"desk/response":    {StateMet, 5 * time.Minute, ""},
				"desk/resolution":  {StateCancelled, time.Hour, ""},
				"minor/resolution": {StateRunning, time.Hour, "2026-12-01 12:00"},
			},
		},
	})
}

// TestFoldOpening folds histories around the "opened" event: events dated
// before it are left out, a second one is ignored, no opening leaves the
// request pending and no matching SLA leaves it without clocks.
func TestFoldOpening(t *testing.T) {
	testFold(t, map[string]foldCase{
		"events dated before the opening neither stop nor pause a clock": {
			events: func(h *history) {
				h.add(Responded, "2026-11-23 08:50").add(Paused, "2026-11-23 08:55", reason("waiting_for_customer")).
					open("2026-11-23 09:00", "P1", "incident").add(Resumed, "2026-11-23 10:00")
			},
			now: "2026-11-23 11:00", status: StatusOpen,
			clocks: map[string]wantClock{
				"desk/response":   {StateBreached, 2 * time.Hour, "2026-11-23 09:30"},
				"desk/resolution": {StateRunning, 2 * time.Hour, "2026-11-23 13:00"},
			},
		},
		// Issue 9, item 9: a resolution dated before the opening made the
		// request "met in 0 s", hiding the breach to come.
		"a resolution dated before the opening, sent first, is never met in 0 s": {
			events: func(h *history) {
				h.add(Resolved, "2026-11-23 08:59").open("2026-11-23 09:00", "P1", "incident")
			},
			now: "2026-11-23 10:00", status: StatusOpen,
			clocks: map[string]wantClock{
				"desk/response":   {StateBreached, time.Hour, "2026-11-23 09:30"},
				"desk/resolution": {StateRunning, time.Hour, "2026-11-23 13:00"},
			},
		},
		"a resolution dated before the opening, sent after it, is never met in 0 s": {
			events: func(h *history) {
				h.open("2026-11-23 09:00", "P1", "incident").add(Resolved, "2026-11-23 08:59")
			},
			now: "2026-11-23 10:00", status: StatusOpen,
			clocks: map[string]wantClock{
				"desk/response":   {StateBreached, time.Hour, "2026-11-23 09:30"},
				"desk/resolution": {StateRunning, time.Hour, "2026-11-23 13:00"},
			},
		},
		"a resolution at the instant of the opening counts": {
			events: func(h *history) {
				h.add(Resolved, "2026-11-23 09:00").open("2026-11-23 09:00", "P1", "incident")
			},
			now: "2026-11-23 10:00", status: StatusResolved,
			clocks: map[string]wantClock{
				"desk/response":   {StateMet, 0, ""},
				"desk/resolution": {StateMet, 0, ""},
			},
		},
		"a second opened is ignored": {
			events: func(h *history) {
				h.open("2026-11-23 09:00", "P1", "incident").open("2026-11-23 10:00", "P2", "incident")
			},
			now: "2026-11-23 11:00", status: StatusOpen,
			clocks: map[string]wantClock{
				"desk/response":   {StateBreached, 2 * time.Hour, "2026-11-23 09:30"},
				"desk/resolution": {StateRunning, 2 * time.Hour, "2026-11-23 13:00"},
			},
		},
		"without an opened event the request is pending": {
			events: func(h *history) { h.add(Responded, "2026-11-23 09:00") },
			now:    "2026-11-23 11:00", status: StatusPending,
		},
		"a request no SLA matches has no clocks": {
			events: func(h *history) { h.open("2026-11-23 09:00", "P4", "incident") },
			now:    "2026-11-23 11:00", status: StatusOpen,
		},
	})
}

func TestFoldRequestFields(t *testing.T) {
	p := fixturePolicy(t)
	h := newHistory(t).open("2026-11-23 09:00", "P2", "incident").
		add(Updated, "2026-11-23 09:30", func(e *Event) { e.Title = "VPN down"; e.Labels = map[string]string{"site": "berlin"} }).
		add(Paused, "2026-11-23 10:00", reason("waiting_for_customer")).
		add(Resolved, "2026-11-23 11:00", csat(4))
	r := Fold(p, "IT-1", h.evs)
	if r.ID != "IT-1" || r.Status != StatusResolved || r.CSAT != 4 || r.Title != "VPN down" || r.Labels["site"] != "berlin" ||
		!r.Opened.Equal(h.at("2026-11-23 09:00")) || !r.Responded.Equal(h.at("2026-11-23 11:00")) ||
		!r.Resolved.Equal(h.at("2026-11-23 11:00")) || r.Paused || !r.LastEvent.Equal(h.at("2026-11-23 11:00")) {
		t.Errorf("request = %+v", r)
	}
	h.add(Reopened, "2026-11-23 12:00").add(Paused, "2026-11-23 12:30", reason("vendor"))
	r = Fold(p, "IT-1", h.evs)
	if r.Status != StatusOpen || r.CSAT != 0 || !r.Resolved.IsZero() || !r.Paused || r.PauseReason != "vendor" {
		t.Errorf("after reopen and pause: %+v", r)
	}
	c := r.Clock("desk", Resolution)
	if c.Limit != 24*time.Hour || !c.Started.Equal(h.at("2026-11-23 09:00")) || c.Key() != "desk/resolution" {
		t.Errorf("clock = %+v", c)
	}
	if r.Clock("outage", Resolution) != nil {
		t.Error("Clock of an SLA that does not match")
	}
}

func TestFoldLeavesEventsAlone(t *testing.T) {
	p := fixturePolicy(t)
	h := newHistory(t).add(Responded, "2026-11-23 08:50").open("2026-11-23 09:00", "P1", "incident")
	before := slices.Clone(h.evs)
	Fold(p, "IT-1", h.evs)
	for i := range before {
		if !before[i].At.Equal(h.evs[i].At) || before[i].ID != h.evs[i].ID {
			t.Fatalf("Fold changed the caller's events: %+v", h.evs)
		}
	}
}
