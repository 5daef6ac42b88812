package client

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/slad-project/slad/api/wire"
)

const feedbackPath = "/api/v1/feedback"

// Feedback asks GET /api/v1/feedback for the internal NPS per provider and
// per (provider, customer) pair over the server's window
// (global.inps_window), or over the local dates from and to ("YYYY-MM-DD",
// both included; either may be empty).
func (c *Client) Feedback(ctx context.Context, from, to string) (*wire.FeedbackReport, error) {
	query := url.Values{}
	for _, p := range []struct{ name, value string }{{"from", from}, {"to", to}} {
		if p.value != "" {
			query.Set(p.name, p.value)
		}
	}
	var r wire.FeedbackReport
	if err := c.getJSON(ctx, feedbackPath, query, &r); err != nil {
		return nil, err
	}
	if r.Pairs == nil || r.Providers == nil {
		return nil, fmt.Errorf("get %s: %w", feedbackPath, errNotFeedback)
	}
	return &r, nil
}

var errNotFeedback = errors.New(`the answer is JSON but not a feedback report (it has no "pairs"); check that the server URL points at slad`)
