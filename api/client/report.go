package client

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/slad-project/slad/sla"
)

const reportPath = "/api/v1/report"

// ReportQuery selects what GET /api/v1/report covers. The zero value asks
// for every SLA over its current window.
type ReportQuery struct {
	// SLA is the id of the one SLA to report on; empty for every SLA.
	SLA string
	// From and To are local dates ("YYYY-MM-DD") of each SLA's calendar,
	// both included. An empty one is taken from the SLA's current window,
	// which the server works out.
	From, To string
}

// Report is the answer of GET /api/v1/report. The types mirror the
// server's JSON field for field (api.Report), so that re-encoding a Report
// gives the server's answer back; they are declared here so that the
// client does not import the server.
type Report struct {
	GeneratedAt time.Time   `json:"generated_at"`
	SLAs        []ReportSLA `json:"slas"`
}

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
	// CSATAverage is nil when no resolved request was rated.
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

// Report asks GET /api/v1/report for compliance, breaches, elapsed business
// time and CSAT per SLA and target. The server checks the query: an unknown
// SLA or a date that is not YYYY-MM-DD comes back as an *APIError with
// Status 400 and a sentence in Message.
func (c *Client) Report(ctx context.Context, q ReportQuery) (*Report, error) {
	query := url.Values{}
	for _, p := range []struct{ name, value string }{{"sla", q.SLA}, {"from", q.From}, {"to", q.To}} {
		if p.value != "" {
			query.Set(p.name, p.value)
		}
	}
	var r Report
	if err := c.getJSON(ctx, reportPath, query, &r); err != nil {
		return nil, err
	}
	// The server always sends a list, empty or not. Without one the answer
	// came from something else: another service, or a JSON error page.
	if r.SLAs == nil {
		return nil, fmt.Errorf("get %s: %w", reportPath, errNotAReport)
	}
	return &r, nil
}

var errNotAReport = errors.New(`the answer is JSON but not a report (it has no "slas"); check that the server URL points at slad`)
