package client

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"

	"github.com/slad-project/slad/api/wire"
)

const reportPath = "/api/v1/report"

// ReportQuery selects what GET /api/v1/report covers. The zero value asks
// for every SLA over its current window, the first page of them.
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
	// Page is the page of SLAs asked for (wire.ReportSLAsLimit a page);
	// 0 or 1 for the first. ReportPages follows every page.
	Page int
}

// Report asks GET /api/v1/report for compliance, breaches, elapsed business
// time and CSAT per SLA and target: one page of SLAs (Page of Pages). The
// server checks the query: an unknown SLA or a date that is not YYYY-MM-DD
// comes back as an *APIError with Status 400 and a sentence in Message.
func (c *Client) Report(ctx context.Context, q ReportQuery) (*wire.Report, error) {
	query := url.Values{}
	for _, p := range []struct{ name, value string }{{"sla", q.SLA}, {"customer", q.Customer}, {"from", q.From}, {"to", q.To}} {
		if p.value != "" {
			query.Set(p.name, p.value)
		}
	}
	if q.Page > 1 {
		query.Set("page", strconv.Itoa(q.Page))
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

// ReportPages asks for every page of the report q selects (its Page
// aside), in order, and gives each to page as it comes, so that a caller
// holds one page at a time however many SLAs there are. It stops at the
// first error, of a request or of page, and returns it. A server that
// answers without pages (page 0) answers every SLA at once: that is its
// only page. A configuration reloaded between two pages can move SLAs
// across them; when the number of pages changes, or the server answers
// another page than the one asked for, ReportPages says so instead of
// listing an SLA twice or leaving one out unnoticed.
func (c *Client) ReportPages(ctx context.Context, q ReportQuery, page func(*wire.Report) error) error {
	pages := 0
	for q.Page = 1; ; q.Page++ {
		r, err := c.Report(ctx, q)
		if err != nil {
			return err
		}
		if q.Page == 1 {
			pages = r.Pages
		}
		if r.Pages != 0 && (r.Page != q.Page || r.Pages != pages) {
			return fmt.Errorf("get %s: asked for page %d of %d, the server answered page %d of %d: %w", reportPath, q.Page, pages, r.Page, r.Pages, errReportChanged)
		}
		if err := page(r); err != nil {
			return err
		}
		if r.Next == "" || r.Page >= r.Pages {
			return nil
		}
	}
}

var (
	errNotAReport    = errors.New(`the answer is JSON but not a report (it has no "slas"); check that the server URL points at slad`)
	errReportChanged = errors.New("the server's SLAs changed while the report was read (a reload of its configuration?); ask again")
)
