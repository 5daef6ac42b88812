package wire

import "github.com/slad-project/slad/sla"

// SLAStanding is an SLA and where it stands over its window: the answer of
// GET /api/v1/slas/{id}, and each entry of GET /api/v1/slas. Its figures
// (Standing) are those of every request under the SLA; ByCustomer holds
// the same figures for each customer's own requests: all of them in the
// SLA's own answer, the first ByCustomerLimit in the list.
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
	Standing
	// ByCustomer holds one entry per customer of the SLA, in the order of
	// the configuration (for "*", the configured departments with a
	// request under the SLA in its window or open, in id order); in
	// GET /api/v1/slas, the first ByCustomerLimit of them. Never null.
	ByCustomer []CustomerStanding `json:"by_customer"`
	// ByCustomerTotal counts the customers of ByCustomer, listed or not.
	ByCustomerTotal int `json:"by_customer_total"`
	// ByCustomerAll is, when ByCustomer lists fewer than ByCustomerTotal,
	// the address of the SLA's own answer (GET /api/v1/slas/{id}), which
	// lists them all; absent otherwise.
	ByCustomerAll string `json:"by_customer_all,omitempty"`
}

// ByCustomerLimit is how many customers an SLA's entry of
// GET /api/v1/slas lists, and the scorecard page shows: with 1,000 SLAs,
// 200 of which serve every department ("*") and had an entry for each of
// 49 customers, by_customer made 8.97 MB of a list of 9.1 MB.
const ByCustomerLimit = 20

// Standing is what a set of requests under one SLA adds up to over the
// SLA's window: every request under it, or one customer's.
type Standing struct {
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

// CustomerStanding is an SLA's standing for the requests of one customer
// department.
type CustomerStanding struct {
	Customer string `json:"customer"`
	Standing
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
