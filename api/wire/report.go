package wire

import (
	"time"

	"github.com/slad-project/slad/sla"
)

// Report is the answer of GET /api/v1/report[?page=N]: the SLAs come
// ReportSLAsLimit at a time, in the configuration's order (Page of Pages,
// Next), each complete.
type Report struct {
	GeneratedAt time.Time `json:"generated_at"`
	// Page is the page of SLAs listed, of Pages (1 of 1 for none, or for
	// ?sla=). Next is the address of the next page, the query kept;
	// absent on the last. A client that reads every SLA follows it until
	// it is absent.
	Page  int    `json:"page"`
	Pages int    `json:"pages"`
	Next  string `json:"next,omitempty"`
	// SLAs is never null: an empty list when no SLA is configured.
	SLAs []ReportSLA `json:"slas"`
}

// ReportSLAsLimit is how many SLAs a page of a report lists. An SLA
// carries its customers' figures and who held its requests, and the
// server reads the stops of its period: on 1,000 SLAs over 50 departments
// with a million requests, 20 to 70 KB of JSON each, and a page 3.3 MB and
// about half a second of CPU (every SLA in one answer was 32 MB in 4 to
// 5 s).
const ReportSLAsLimit = 100

// ReportSLA is one SLA's figures over the report's period.
type ReportSLA struct {
	ID          string   `json:"id"`
	Description string   `json:"description,omitempty"`
	Provider    string   `json:"provider"`
	Customers   []string `json:"customers"`
	// Objective is the share of requests that must meet each target (0.95).
	Objective float64 `json:"objective"`
	// From and To are the period, local dates of the SLA's calendar, both
	// included.
	From string `json:"from"`
	To   string `json:"to"`
	// Customer is set when the report was asked for one customer
	// department (?customer=): the figures are then those of its requests
	// only, and ByCustomer is empty.
	Customer string `json:"customer,omitempty"`
	// CSATAverage is nil when no resolved request was rated.
	CSATAverage *float64       `json:"csat_average"`
	CSATCount   int64          `json:"csat_count"`
	Targets     []ReportTarget `json:"targets"`
	// ByCustomer holds the same figures for each customer's own requests,
	// one entry per customer of the SLA ("*" standing for every configured
	// department); never null.
	ByCustomer []ReportCustomer `json:"by_customer"`
	// Held is where the time of the period's requests went; absent with
	// ?customer= (it is not kept per customer).
	Held *Held `json:"held,omitempty"`
}

// ReportCustomer is an SLA's figures over the report's period for the
// requests of one customer department.
type ReportCustomer struct {
	Customer    string         `json:"customer"`
	CSATAverage *float64       `json:"csat_average"`
	CSATCount   int64          `json:"csat_count"`
	Targets     []ReportTarget `json:"targets"`
}

// ReportTarget is one target's figures over the report's period: the
// clocks that stopped in it.
type ReportTarget struct {
	Target   sla.TargetKind `json:"target"`
	Counted  int64          `json:"counted"`
	Met      int64          `json:"met"`
	Breached int64          `json:"breached"`
	// OpenBreached counts the requests still open and already past their
	// target, included in Breached when the period runs to today.
	OpenBreached int64 `json:"open_breached"`
	// Compliance is Met / Counted, and 1 when nothing was counted.
	Compliance     float64 `json:"compliance"`
	MeetsObjective bool    `json:"meets_objective"`
	// ErrorBudgetRemaining is 1 with no breach, 0 when the breaches the
	// objective allows are used up, negative beyond.
	ErrorBudgetRemaining float64 `json:"error_budget_remaining"`
	// MedianElapsedSeconds and P90ElapsedSeconds are business seconds on the
	// SLA's calendar (nearest rank); nil when nothing was counted.
	MedianElapsedSeconds *int64 `json:"median_elapsed_seconds"`
	P90ElapsedSeconds    *int64 `json:"p90_elapsed_seconds"`
}
