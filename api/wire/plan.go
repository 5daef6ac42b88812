package wire

import (
	"time"

	"github.com/slad-project/slad/sla"
)

// Plan is what applying a configuration would do, changing nothing: the
// answer of POST /-/reload?dry_run=1 and what slad plan prints (its table
// is this, laid out for people; --format json prints it as it is).
type Plan struct {
	// Config names the configuration planned (its file, or the name the
	// client sent it under); At is the moment planned for: the reload and
	// its first tick.
	Config string    `json:"config"`
	At     time.Time `json:"at"`
	// Changes says applying it would change something: a setting, or an
	// open request's clocks, or the alerts or figures. slad plan exits 2
	// then, 0 otherwise.
	Changes bool `json:"changes"`
	// Rematch says the reload would re-match the open requests: what the
	// configuration means to them changed (its policy fingerprint).
	Rematch bool `json:"rematch"`
	// Settings lists what is added, removed or changed, by kind and name
	// (never null).
	Settings []SettingChange `json:"settings"`
	// Requests is what happens to the open requests' clocks.
	Requests PlanRequests `json:"requests"`
	// Alerts lists, per receiver, the notices the first tick after the
	// reload would send (never null).
	Alerts []PlanAlerts `json:"alerts"`
	// SLAs lists the SLAs of either configuration whose standing over
	// their window, a customer's, or where their time went differs after
	// the first tick without the reload (Before) and with it (After)
	// (never null): what a tick due anyway changes is in both.
	// SLAsUnchanged counts the others, whose figures the edit leaves as
	// they are.
	SLAs          []PlanStanding `json:"slas"`
	SLAsUnchanged int            `json:"slas_unchanged"`
	// Warnings are the new configuration's warnings, as file:line:col:
	// message (never null).
	Warnings []string `json:"warnings"`
}

// Values of SettingChange.Kind, in the order a plan lists them.
const (
	SettingGlobal     = "global"
	SettingCalendar   = "calendar"
	SettingDepartment = "department"
	SettingReceiver   = "receiver"
	SettingToken      = "token"
	SettingSLA        = "sla"
)

// Values of SettingChange.Change.
const (
	ChangeAdded   = "added"
	ChangeRemoved = "removed"
	ChangeChanged = "changed"
)

// SettingChange is one thing of the configuration added, removed or
// changed.
type SettingChange struct {
	Kind   string `json:"kind"`   // global, calendar, department, receiver, token, sla
	Name   string `json:"name"`   // its id or name ("" for global)
	Change string `json:"change"` // added, removed, changed
	// At is where the new definition is (file:line); empty for one removed.
	At string `json:"at,omitempty"`
	// Fields lists what changed, field by field (changed only).
	Fields []FieldChange `json:"fields,omitempty"`
}

// FieldChange is one field of a setting changed. A secret's values are
// never shown: Secret is set and Old and New are empty.
type FieldChange struct {
	Field  string `json:"field"` // as in the file: "resolution.P1", "hours.mon"
	Old    string `json:"old,omitempty"`
	New    string `json:"new,omitempty"`
	At     string `json:"at,omitempty"` // file:line of the new value
	Secret bool   `json:"secret,omitempty"`
}

// PlanRequests is what a plan does to the open requests' clocks.
type PlanRequests struct {
	// Examined counts the open requests looked at: all of them for a
	// re-match, else those due at the first tick. Changed counts those
	// whose clocks change.
	Examined int `json:"examined"`
	Changed  int `json:"changed"`
	// BySLA counts per SLA the requests whose clock under it changes and
	// how (never null).
	BySLA []PlanSLARequests `json:"by_sla"`
	// Listed holds the changed requests, the first Listed of each SLA in
	// BySLA (never null).
	Listed []PlanRequest `json:"listed"`
}

// PlanSLARequests counts the requests whose clocks under one SLA change.
type PlanSLARequests struct {
	SLA         string           `json:"sla"`
	Changed     int              `json:"changed"`
	Listed      int              `json:"listed"`
	Transitions []PlanTransition `json:"transitions"`
}

// PlanTransition counts clocks going from one state to another; From is
// empty for a clock gained, To for one lost.
type PlanTransition struct {
	From sla.ClockState `json:"from,omitempty"`
	To   sla.ClockState `json:"to,omitempty"`
	// Stops is set when the clocks stop though their state stays (a
	// breached clock reads "breached" stopped or not).
	Stops  bool `json:"stops,omitempty"`
	Clocks int  `json:"clocks"`
}

// PlanRequest is an open request whose clocks change.
type PlanRequest struct {
	Provider string      `json:"provider"`
	ID       string      `json:"id"`
	Customer string      `json:"customer"`
	Priority string      `json:"priority,omitempty"`
	Title    string      `json:"title,omitempty"`
	Clocks   []PlanClock `json:"clocks"`
}

// PlanClock is a clock that changes; Before is null for one gained, After
// for one lost.
type PlanClock struct {
	SLA    string         `json:"sla"`
	Target sla.TargetKind `json:"target"`
	Before *ClockStanding `json:"before"`
	After  *ClockStanding `json:"after"`
}

// ClockStanding is a clock's state at the plan's moment.
type ClockStanding struct {
	State sla.ClockState `json:"state"`
	// Stopped says the clock has stopped (omitted while it runs or is
	// paused): a breached clock's state is "breached" either way.
	Stopped       bool  `json:"stopped,omitempty"`
	TargetSeconds int64 `json:"target_seconds"`
	// Deadline is when it breaches or breached; absent while paused, met
	// or cancelled.
	Deadline *time.Time `json:"deadline,omitempty"`
}

// PlanAlerts counts the notices one receiver would be sent by the first
// tick after the reload (Notices, by stage kind in Stages) and by the
// same tick without it (WithoutChange): the difference is the edit's.
type PlanAlerts struct {
	Receiver      string         `json:"receiver"`
	Notices       int            `json:"notices"`
	WithoutChange int            `json:"without_change"`
	Stages        map[string]int `json:"stages"`
	// Held counts the notices held instead until the receiver's
	// notify_hours open (HeldWithoutChange without the edit).
	Held              int `json:"held"`
	HeldWithoutChange int `json:"held_without_change"`
}

// PlanStanding is an SLA's standing over its window before and after the
// reload; Before is null for an SLA added, After for one removed.
type PlanStanding struct {
	SLA        string                 `json:"sla"`
	Before     *Standing              `json:"before"`
	After      *Standing              `json:"after"`
	ByCustomer []PlanCustomerStanding `json:"by_customer"`
	// HeldBefore and HeldAfter are where the time of the SLA's requests
	// went over its window (GET /api/v1/report's held), before and after;
	// both absent when the edit changes none of it.
	HeldBefore *Held `json:"held_before,omitempty"`
	HeldAfter  *Held `json:"held_after,omitempty"`
}

// PlanCustomerStanding is one customer's standing under an SLA before and
// after.
type PlanCustomerStanding struct {
	Customer string    `json:"customer"`
	Before   *Standing `json:"before"`
	After    *Standing `json:"after"`
}
