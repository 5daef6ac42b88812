package wire

import "github.com/slad-project/slad/sla"

// History is the answer of GET /api/v1/slas/{id}/history: an SLA's
// figures (or one customer's) period by period, week by week over the last
// 12 weeks or month by month over the last 12 months, oldest first, the
// last period being the current one (up to today).
type History struct {
	SLA       string  `json:"sla"`
	Provider  string  `json:"provider"`
	Objective float64 `json:"objective"`
	// Customer is the customer department the figures are restricted to;
	// empty for every request under the SLA.
	Customer string `json:"customer,omitempty"`
	// By is "week" (ISO weeks, Monday to Sunday) or "month", in the SLA
	// calendar's time zone, named by Calendar.
	By       string `json:"by"`
	Calendar string `json:"calendar"`
	// Periods is never null.
	Periods []HistoryPeriod `json:"periods"`
}

// HistoryPeriod is one week or month of an SLA's history.
type HistoryPeriod struct {
	// Period names it: "2026-W47" (ISO week) or "2026-11".
	Period string `json:"period"`
	// From and To are its local dates, both included; To is today for the
	// current period.
	From string `json:"from"`
	To   string `json:"to"`
	// Current says the period holds today: its figures are not final, and
	// open clocks already past their target count as breached in it.
	Current bool `json:"current"`
	// Compliance is that of the target that binds (as in SLAStanding); nil
	// when no clock was counted in the period.
	Compliance     *float64 `json:"compliance"`
	MeetsObjective bool     `json:"meets_objective"`
	// Breached counts the clocks of every target that breached in the
	// period (and, in the current one, the open ones already past their
	// target).
	Breached int64 `json:"breached"`
	// MedianResolutionSeconds is the median business time to resolution of
	// the requests resolved in the period (nearest rank); nil when none was.
	MedianResolutionSeconds *int64 `json:"median_resolution_seconds"`
	// Targets holds each target's figures in the period.
	Targets []HistoryTarget `json:"targets"`
}

// HistoryTarget is one target's figures in one period.
type HistoryTarget struct {
	Target   sla.TargetKind `json:"target"`
	Counted  int64          `json:"counted"`
	Met      int64          `json:"met"`
	Breached int64          `json:"breached"`
	// Compliance is nil when nothing was counted.
	Compliance           *float64 `json:"compliance"`
	MedianElapsedSeconds *int64   `json:"median_elapsed_seconds"`
}
