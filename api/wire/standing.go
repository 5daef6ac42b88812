package wire

import "github.com/slad-project/slad/sla"

// SLAStanding is an SLA and where it stands over its window: the answer of
// GET /api/v1/slas/{id}, and each entry of GET /api/v1/slas.
type SLAStanding struct {
	ID          string   `json:"id"`
	Description string   `json:"description,omitempty"`
	Provider    string   `json:"provider"`
	Customers   []string `json:"customers"`
	Calendar    string   `json:"calendar"`
	Objective   float64  `json:"objective"`
	Window      string   `json:"window"`
	WindowStart string   `json:"window_start"` // local date, inclusive
	WindowEnd   string   `json:"window_end"`   // local date, inclusive (today)
	// Compliance, ErrorBudgetRemaining and BreachesAffordable are those of
	// the target that stands worst: the one that binds.
	Compliance           float64          `json:"compliance"`
	ErrorBudgetRemaining float64          `json:"error_budget_remaining"`
	BreachesAffordable   int64            `json:"breaches_affordable"`
	Open                 int64            `json:"open"`
	AtRisk               int64            `json:"at_risk"`
	Breached             int64            `json:"breached"` // open requests past a target
	CSATAverage          *float64         `json:"csat_average"`
	CSATCount            int64            `json:"csat_count"`
	Targets              []TargetStanding `json:"targets"`
}

// TargetStanding is one target's figures over an SLA's window.
type TargetStanding struct {
	Target               sla.TargetKind   `json:"target"`
	TargetSeconds        map[string]int64 `json:"target_seconds"` // per priority; "default" for the rest
	Counted              int64            `json:"counted"`
	Met                  int64            `json:"met"`
	Breached             int64            `json:"breached"`
	OpenBreached         int64            `json:"open_breached"`
	Compliance           float64          `json:"compliance"`
	ErrorBudgetRemaining float64          `json:"error_budget_remaining"`
	BreachesAffordable   int64            `json:"breaches_affordable"`
}
