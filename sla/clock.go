package sla

import (
	"strings"
	"time"
)

// ClockState is where a clock stands.
type ClockState string

// Clock states, as the HTTP API reports them.
const (
	StateRunning   ClockState = "running"   // open, within target
	StatePaused    ClockState = "paused"    // open, within target, stopped by a pause
	StateBreached  ClockState = "breached"  // elapsed passed the target, stopped or not
	StateMet       ClockState = "met"       // stopped within target
	StateCancelled ClockState = "cancelled" // the request was cancelled, or left the SLA within target
)

// RequestStatus is where a request stands as a whole.
type RequestStatus string

// Request statuses.
const (
	StatusPending   RequestStatus = "pending" // events arrived, but no "opened" yet
	StatusOpen      RequestStatus = "open"
	StatusResolved  RequestStatus = "resolved"
	StatusCancelled RequestStatus = "cancelled"
)

// Clock is one SLA target's clock on one request, as of the last event that
// touched it. Elapsed is exact up to Since; a running clock's business time
// after Since is computed on demand by [Clock.At].
type Clock struct {
	SLA    string        `json:"sla"`
	Target TargetKind    `json:"target"`
	Limit  time.Duration `json:"limit"` // the target's business time for the request's priority

	Started time.Time     `json:"started"`
	Elapsed time.Duration `json:"elapsed"` // business time counted up to Since
	Since   time.Time     `json:"since"`   // when Elapsed was last brought up to date

	Counting    bool      `json:"counting,omitempty"` // running now (not paused, not stopped)
	Paused      bool      `json:"paused,omitempty"`
	PauseReason string    `json:"pause_reason,omitempty"`
	Stopped     time.Time `json:"stopped,omitzero"` // zero while open
	Cancelled   bool      `json:"cancelled,omitempty"`
	Unmatched   bool      `json:"unmatched,omitempty"` // an update moved the request out of the SLA: cancelled, or stopped if already breached

	// Deadline is when elapsed reached Limit (set once it has, even if it
	// has not passed it yet); BreachedAt the instant it first
	// exceeded it. Both are zero until the clock breaches.
	Deadline   time.Time `json:"deadline,omitzero"`
	BreachedAt time.Time `json:"breached_at,omitzero"`
	// BreachElapsed is the elapsed time at which the clock breached: its
	// limit then, or more when a change of priority lowered the limit under
	// the time already spent. Escalations count from it, whatever the limit
	// becomes later.
	BreachElapsed time.Duration `json:"breach_elapsed,omitempty"`
}

// Key identifies the clock within its request: "sla-id/target".
func (c *Clock) Key() string { return c.SLA + "/" + string(c.Target) }

// SplitKey is the inverse of [Clock.Key].
func SplitKey(key string) (slaID string, target TargetKind) {
	i := strings.LastIndexByte(key, '/')
	if i < 0 {
		return key, ""
	}
	return key[:i], TargetKind(key[i+1:])
}

// Open reports whether the clock has not stopped: running or paused.
func (c *Clock) Open() bool { return c.Stopped.IsZero() && !c.Cancelled }

// Breached reports whether elapsed has passed the target.
func (c *Clock) Breached() bool { return !c.BreachedAt.IsZero() }

// State reports the clock's state as of its last update.
func (c *Clock) State() ClockState {
	switch {
	case c.Cancelled:
		return StateCancelled
	case c.Breached():
		return StateBreached
	case !c.Stopped.IsZero():
		return StateMet
	case c.Paused:
		return StatePaused
	}
	return StateRunning
}

// Advance brings Elapsed up to t on the clock's calendar, noting the
// breach if it happens on the way; a clock that is not counting, or already
// past t, is left as it is.
func (c *Clock) Advance(t time.Time, cal *Calendar) {
	if !c.Counting || !t.After(c.Since) {
		return
	}
	elapsed := c.Elapsed + cal.Between(c.Since, t)
	if c.Deadline.IsZero() && c.Elapsed <= c.Limit && elapsed >= c.Limit {
		// Reached: remember when, for a clock that stands at its limit
		// exactly until the next business second (closing time) says so
		// all night, not "now".
		c.Deadline, _ = cal.Add(c.Since, c.Limit-c.Elapsed)
	}
	if !c.Breached() && elapsed > c.Limit {
		c.BreachedAt, _ = cal.Add(c.Since, c.Limit-c.Elapsed+time.Second)
		c.BreachElapsed = c.Limit
	}
	c.Elapsed, c.Since = elapsed, t
}

func (c *Clock) stop(t time.Time, cal *Calendar) {
	c.Advance(t, cal)
	c.Counting, c.Paused, c.PauseReason = false, false, ""
	c.Stopped, c.Since = t, t
}

func (c *Clock) pause(t time.Time, reason string, cal *Calendar) {
	c.Advance(t, cal)
	c.Counting, c.Paused, c.PauseReason = false, true, reason
}

func (c *Clock) run(t time.Time) {
	c.Counting, c.Paused, c.PauseReason = true, false, ""
	c.Since = t
}

// Live is a clock's standing at a given moment.
type Live struct {
	State     ClockState
	Elapsed   time.Duration
	Remaining time.Duration // Limit - Elapsed; negative once breached
	// Deadline is when elapsed reaches (or reached) the limit; zero while
	// the clock is paused or stopped within its target, or cancelled.
	Deadline time.Time
}

// At returns the clock's standing at now (no earlier than its last update).
func (c Clock) At(now time.Time, cal *Calendar) Live {
	c.Advance(now, cal)
	l := Live{State: c.State(), Elapsed: c.Elapsed, Remaining: c.Limit - c.Elapsed}
	switch {
	case c.Breached() && !c.Cancelled:
		l.Deadline = c.Deadline
	case l.State == StateRunning && !c.Deadline.IsZero():
		l.Deadline = c.Deadline // at its limit exactly: the moment it got there
	case l.State == StateRunning:
		l.Deadline, _ = cal.Add(c.Since, c.Limit-c.Elapsed)
	}
	return l
}
