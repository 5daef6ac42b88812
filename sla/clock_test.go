package sla

import (
	"testing"
	"time"
)

type wantClock struct {
	state    ClockState
	elapsed  time.Duration
	deadline string // Berlin wall time; "" for none
}

// foldCase is a request history folded on the fixture policy (see
// fixturePolicy; 2026-11-23 is a Monday, times are Berlin wall times) and
// each clock's standing expected at "now".
type foldCase struct {
	events func(h *history)
	now    string
	status RequestStatus
	clocks map[string]wantClock
}

// TestFold folds request histories on the fixture policy and checks each
// clock's standing at "now": responses, pauses, resolutions, reopens,
// cancels and calendars (business hours, holidays, 24x7 across DST).
func TestFold(t *testing.T) {
	testFold(t, map[string]foldCase{
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
	})
}

// testFold folds each case's history and checks its status and every
// clock's standing at its "now".
func testFold(t *testing.T, tests map[string]foldCase) {
	t.Helper()
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
