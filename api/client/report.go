package client

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/slad-project/slad/api/wire"
)

const reportPath = "/api/v1/report"

// ReportQuery selects what GET /api/v1/report covers. The zero value asks
// for every SLA over its current window.
type ReportQuery struct {
	// SLA is the id of the one SLA to report on; empty for every SLA.
	SLA string
	// Customer is the department whose requests alone are counted, and
	// the SLAs serving it the only ones reported; empty for every customer
	// (with a breakdown per customer).
	Customer string
	// From and To are local dates ("YYYY-MM-DD") of each SLA's calendar,
	// both included. An empty one is taken from the SLA's current window,
	// which the server works out.
	From, To string
}

// Report asks GET /api/v1/report for compliance, breaches, elapsed business
// time and CSAT per SLA and target. The server checks the query: an unknown
// SLA or a date that is not YYYY-MM-DD comes back as an *APIError with
// Status 400 and a sentence in Message.
func (c *Client) Report(ctx context.Context, q ReportQuery) (*wire.Report, error) {
	query := url.Values{}
	for _, p := range []struct{ name, value string }{{"sla", q.SLA}, {"customer", q.Customer}, {"from", q.From}, {"to", q.To}} {
		if p.value != "" {
			query.Set(p.name, p.value)
		}
	}
	var r wire.Report
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
