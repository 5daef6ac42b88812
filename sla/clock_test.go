package sla

import (
	"slices"
	"testing"
	"time"
)

type wantClock struct {
	state    ClockState
	elapsed  time.Duration
	deadline string // Berlin wall time; "" for none
}

// TestFold folds request histories on the fixture policy (see
// fixturePolicy; 2026-11-23 is a Monday, times are Berlin wall times) and
// checks each clock's standing at "now".
func TestFold(t *testing.T) {
	tests := map[string]struct {
		events func(h *history)
		now    string
		status RequestStatus
		clocks map[string]wantClock
	}{
		"a P1 untouched for an hour has breached its response and runs toward its resolution": {
			events: func(h *history) { h.open("2026-11-23 09:00", "P1", "incident") },
			now:    "2026-11-23 10:00", status: StatusOpen,
			clocks: map[string]wantClock{
				"desk/response":   {StateBreached, time.Hour, "2026-11-23 09:30"},
				"desk/resolution": {StateRunning, time.Hour, "2026-11-23 13:00"},
			},
		},
		"a response after 20 minutes meets the target": {
			events: func(h *history) {
				h.open("2026-11-23 09:00", "P1", "incident").add(Responded, "2026-11-23 09:20")
			},
			now: "2026-11-23 10:00", status: StatusOpen,
			clocks: map[string]wantClock{
				"desk/response":   {StateMet, 20 * time.Minute, ""},
				"desk/resolution": {StateRunning, time.Hour, "2026-11-23 13:00"},
			},
		},
		"a response exactly at the target is met": {
			events: func(h *history) {
				h.open("2026-11-23 09:00", "P1", "incident").add(Responded, "2026-11-23 09:30")
			},
			now: "2026-11-23 10:00", status: StatusOpen,
			clocks: map[string]wantClock{
				"desk/response":   {StateMet, 30 * time.Minute, ""},
				"desk/resolution": {StateRunning, time.Hour, "2026-11-23 13:00"},
			},
		},
		"a response one second late breaches, the deadline being the target": {
			events: func(h *history) {
				h.open("2026-11-23 09:00", "P1", "incident").add(Responded, "2026-11-23 09:30:01")
			},
			now: "2026-11-23 10:00", status: StatusOpen,
			clocks: map[string]wantClock{
				"desk/response":   {StateBreached, 30*time.Minute + time.Second, "2026-11-23 09:30"},
				"desk/resolution": {StateRunning, time.Hour, "2026-11-23 13:00"},
			},
		},
		"only the first response counts": {
			events: func(h *history) {
				h.open("2026-11-23 09:00", "P1", "incident").add(Responded, "2026-11-23 09:10").add(Responded, "2026-11-23 09:50")
			},
			now: "2026-11-23 10:00", status: StatusOpen,
			clocks: map[string]wantClock{
				"desk/response":   {StateMet, 10 * time.Minute, ""},
				"desk/resolution": {StateRunning, time.Hour, "2026-11-23 13:00"},
			},
		},
		"opened Friday 16:30, the clocks sleep over the weekend": {
			events: func(h *history) { h.open("2026-11-27 16:30", "P1", "incident") },
			now:    "2026-11-30 11:00", status: StatusOpen,
			clocks: map[string]wantClock{
				"desk/response":   {StateBreached, 150 * time.Minute, "2026-11-27 17:00"},
				"desk/resolution": {StateRunning, 150 * time.Minute, "2026-11-30 12:30"},
			},
		},
		"a pause from Friday 16:00 to Monday 10:00 across closed hours": {
			events: func(h *history) {
				h.open("2026-11-27 15:00", "P1", "incident").add(Responded, "2026-11-27 15:10").
					add(Paused, "2026-11-27 16:00", reason("waiting_for_customer")).add(Resumed, "2026-11-30 10:00")
			},
			now: "2026-11-30 11:00", status: StatusOpen,
			clocks: map[string]wantClock{
				"desk/response":   {StateMet, 10 * time.Minute, ""},
				"desk/resolution": {StateRunning, 2 * time.Hour, "2026-11-30 13:00"},
			},
		},
		"a paused clock stands still and has no deadline": {
			events: func(h *history) {
				h.open("2026-11-27 15:00", "P1", "incident").add(Responded, "2026-11-27 15:10").
					add(Paused, "2026-11-27 16:00", reason("waiting_for_customer"))
			},
			now: "2026-11-30 16:00", status: StatusOpen,
			clocks: map[string]wantClock{
				"desk/response":   {StateMet, 10 * time.Minute, ""},
				"desk/resolution": {StatePaused, time.Hour, ""},
			},
		},
		"a pause for a reason the SLA does not list changes nothing": {
			events: func(h *history) {
				h.open("2026-11-23 09:00", "P1", "incident").add(Responded, "2026-11-23 09:05").
					add(Paused, "2026-11-23 10:00", reason("vendor"))
			},
			now: "2026-11-23 12:00", status: StatusOpen,
			clocks: map[string]wantClock{
				"desk/response":   {StateMet, 5 * time.Minute, ""},
				"desk/resolution": {StateRunning, 3 * time.Hour, "2026-11-23 13:00"},
			},
		},
		"a second pause while paused changes nothing, even for a listed reason": {
			events: func(h *history) {
				h.open("2026-11-23 09:00", "P1", "incident").add(Responded, "2026-11-23 09:05").
					add(Paused, "2026-11-23 10:00", reason("vendor")).
					add(Paused, "2026-11-23 10:30", reason("waiting_for_customer"))
			},
			now: "2026-11-23 12:00", status: StatusOpen,
			clocks: map[string]wantClock{
				"desk/response":   {StateMet, 5 * time.Minute, ""},
				"desk/resolution": {StateRunning, 3 * time.Hour, "2026-11-23 13:00"},
			},
		},
		"a pause, a second pause and one resume": {
			events: func(h *history) {
				h.open("2026-11-23 09:00", "P1", "incident").add(Responded, "2026-11-23 09:05").
					add(Paused, "2026-11-23 10:00", reason("waiting_for_customer")).
					add(Paused, "2026-11-23 10:30", reason("vendor")).add(Resumed, "2026-11-23 11:00")
			},
			now: "2026-11-23 12:00", status: StatusOpen,
			clocks: map[string]wantClock{
				"desk/response":   {StateMet, 5 * time.Minute, ""},
				"desk/resolution": {StateRunning, 2 * time.Hour, "2026-11-23 14:00"},
			},
		},
		"a resume while running changes nothing": {
			events: func(h *history) {
				h.open("2026-11-23 09:00", "P1", "incident").add(Responded, "2026-11-23 09:05").
					add(Resumed, "2026-11-23 10:00")
			},
			now: "2026-11-23 12:00", status: StatusOpen,
			clocks: map[string]wantClock{
				"desk/response":   {StateMet, 5 * time.Minute, ""},
				"desk/resolution": {StateRunning, 3 * time.Hour, "2026-11-23 13:00"},
			},
		},
		"a resolution stops the response clock too": {
			events: func(h *history) {
				h.open("2026-11-23 09:00", "P1", "incident").add(Resolved, "2026-11-23 09:20", csat(5))
			},
			now: "2026-11-23 12:00", status: StatusResolved,
			clocks: map[string]wantClock{
				"desk/response":   {StateMet, 20 * time.Minute, ""},
				"desk/resolution": {StateMet, 20 * time.Minute, ""},
			},
		},
		"a resolution while paused stops the clock where the pause held it": {
			events: func(h *history) {
				h.open("2026-11-23 09:00", "P1", "incident").add(Responded, "2026-11-23 09:05").
					add(Paused, "2026-11-23 09:30", reason("waiting_for_customer")).add(Resolved, "2026-11-23 10:00")
			},
			now: "2026-11-23 12:00", status: StatusResolved,
			clocks: map[string]wantClock{
				"desk/response":   {StateMet, 5 * time.Minute, ""},
				"desk/resolution": {StateMet, 30 * time.Minute, ""},
			},
		},
		"a reopen after a met resolution runs the clock on until it breaches": {
			events: func(h *history) {
				h.open("2026-11-23 09:00", "P1", "incident").add(Responded, "2026-11-23 09:05").
					add(Resolved, "2026-11-23 11:00").add(Reopened, "2026-11-23 14:00")
			},
			now: "2026-11-23 17:00", status: StatusOpen,
			clocks: map[string]wantClock{
				"desk/response":   {StateMet, 5 * time.Minute, ""},
				"desk/resolution": {StateBreached, 5 * time.Hour, "2026-11-23 16:00"},
			},
		},
		"resolved again after the breach, the clock stays breached": {
			events: func(h *history) {
				h.open("2026-11-23 09:00", "P1", "incident").add(Responded, "2026-11-23 09:05").
					add(Resolved, "2026-11-23 11:00").add(Reopened, "2026-11-23 14:00").add(Resolved, "2026-11-23 16:30")
			},
			now: "2026-11-24 10:00", status: StatusResolved,
			clocks: map[string]wantClock{
				"desk/response":   {StateMet, 5 * time.Minute, ""},
				"desk/resolution": {StateBreached, 4*time.Hour + 30*time.Minute, "2026-11-23 16:00"},
			},
		},
		"a reopen the next day counts from the reopen": {
			events: func(h *history) {
				h.open("2026-11-23 09:00", "P1", "incident").add(Responded, "2026-11-23 09:05").
					add(Resolved, "2026-11-23 11:00").add(Reopened, "2026-11-24 10:00")
			},
			now: "2026-11-24 11:00", status: StatusOpen,
			clocks: map[string]wantClock{
				"desk/response":   {StateMet, 5 * time.Minute, ""},
				"desk/resolution": {StateRunning, 3 * time.Hour, "2026-11-24 12:00"},
			},
		},
		"a reopen of a request that is open changes nothing": {
			events: func(h *history) {
				h.open("2026-11-23 09:00", "P1", "incident").add(Responded, "2026-11-23 09:05").
					add(Reopened, "2026-11-23 10:00")
			},
			now: "2026-11-23 11:00", status: StatusOpen,
			clocks: map[string]wantClock{
				"desk/response":   {StateMet, 5 * time.Minute, ""},
				"desk/resolution": {StateRunning, 2 * time.Hour, "2026-11-23 13:00"},
			},
		},
		"a cancel stops every clock": {
			events: func(h *history) {
				h.open("2026-11-23 09:00", "P1", "incident").add(Responded, "2026-11-23 09:05").
					add(Cancelled, "2026-11-23 10:00")
			},
			now: "2026-11-23 17:00", status: StatusCancelled,
			clocks: map[string]wantClock{
				"desk/response":   {StateCancelled, 5 * time.Minute, ""},
				"desk/resolution": {StateCancelled, time.Hour, ""},
			},
		},
		"a cancel after a breach is a cancel": {
			events: func(h *history) {
				h.open("2026-11-23 09:00", "P1", "incident").add(Cancelled, "2026-11-23 10:00").
					add(Reopened, "2026-11-23 11:00").add(Responded, "2026-11-23 11:00")
			},
			now: "2026-11-23 17:00", status: StatusCancelled,
			clocks: map[string]wantClock{
				"desk/response":   {StateCancelled, time.Hour, ""},
				"desk/resolution": {StateCancelled, time.Hour, ""},
			},
		},
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
		"Christmas holidays push the deadline to Monday": {
			events: func(h *history) {
				h.open("2026-12-23 16:00", "P1", "incident").add(Responded, "2026-12-23 16:10")
			},
			now: "2026-12-23 17:00", status: StatusOpen,
			clocks: map[string]wantClock{
				"desk/response":   {StateMet, 10 * time.Minute, ""},
				"desk/resolution": {StateRunning, time.Hour, "2026-12-28 12:00"},
			},
		},
		"24x7: an outage opened on Saturday breaches on Saturday": {
			events: func(h *history) { h.open("2026-11-28 10:00", "P1", "outage") },
			now:    "2026-11-28 12:30", status: StatusOpen,
			clocks: map[string]wantClock{
				"outage/resolution": {StateBreached, 150 * time.Minute, "2026-11-28 12:00"},
			},
		},
		"24x7: any pause reason stops an outage clock": {
			events: func(h *history) {
				h.open("2026-11-28 10:00", "P1", "outage").add(Paused, "2026-11-28 10:30", reason("vendor")).
					add(Resumed, "2026-11-28 11:30")
			},
			now: "2026-11-28 12:00", status: StatusOpen,
			clocks: map[string]wantClock{
				"outage/resolution": {StateRunning, time.Hour, "2026-11-28 13:00"},
			},
		},
		"24x7: across the fall-back night, 01:30 to 03:00 is two and a half real hours": {
			events: func(h *history) { h.open("2026-10-25 01:30", "P1", "outage") },
			now:    "2026-10-25 03:00", status: StatusOpen,
			clocks: map[string]wantClock{
				"outage/resolution": {StateBreached, 150 * time.Minute, "2026-10-25 02:30 +0100"},
			},
		},
		"24x7: a limit reached exactly is not a breach": {
			events: func(h *history) { h.open("2026-10-25 01:30", "P1", "outage") },
			now:    "2026-10-25 02:30 +0100", status: StatusOpen,
			clocks: map[string]wantClock{
				"outage/resolution": {StateRunning, 2 * time.Hour, "2026-10-25 02:30 +0100"},
			},
		},
	}
	p := fixturePolicy(t)
	cals := map[string]*Calendar{"desk": p.SLA("desk").Calendar, "minor": p.SLA("minor").Calendar, "outage": AlwaysOpen()}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			h := newHistory(t)
			tc.events(h)
			r := Fold(p, "IT-1", h.evs)
			if r.Status != tc.status {
				t.Errorf("status = %s, want %s", r.Status, tc.status)
			}
			now := h.at(tc.now)
			var keys []string
			for _, c := range r.Clocks {
				keys = append(keys, c.Key())
			}
			for key, want := range tc.clocks {
				sla, target := SplitKey(key)
				c := r.Clock(sla, target)
				if c == nil {
					t.Errorf("%s: no clock; have %v", key, keys)
					continue
				}
				l := c.At(now, cals[sla])
				var deadline time.Time
				if want.deadline != "" {
					deadline = h.at(want.deadline)
				}
				if l.State != want.state || l.Elapsed != want.elapsed || !l.Deadline.Equal(deadline) {
					t.Errorf("%s at %s = %s, elapsed %v, deadline %s; want %s, %v, %s",
						key, tc.now, l.State, l.Elapsed, fmtTime(l.Deadline, h.loc), want.state, want.elapsed, fmtTime(deadline, h.loc))
				}
				if l.Remaining != c.Limit-l.Elapsed {
					t.Errorf("%s: remaining %v with limit %v and elapsed %v", key, l.Remaining, c.Limit, l.Elapsed)
				}
			}
			if len(r.Clocks) != len(tc.clocks) {
				t.Errorf("clocks %v, want %d", keys, len(tc.clocks))
			}
		})
	}
}

func fmtTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "none"
	}
	return t.In(loc).Format("2006-01-02 15:04:05 -0700")
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

func TestClockAtBeforeSinceChangesNothing(t *testing.T) {
	p := fixturePolicy(t)
	h := newHistory(t).open("2026-11-23 09:00", "P1", "incident").add(Responded, "2026-11-23 09:05")
	r := Fold(p, "IT-1", h.evs)
	c := r.Clock("desk", Resolution)
	l := c.At(h.at("2026-11-23 08:00"), p.SLA("desk").Calendar)
	if l.State != StateRunning || l.Elapsed != 0 || !l.Deadline.Equal(h.at("2026-11-23 13:00")) {
		t.Errorf("At before the last update = %+v", l)
	}
}
