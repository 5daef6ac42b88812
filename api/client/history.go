package client

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/slad-project/slad/api/wire"
)

// History asks GET /api/v1/slas/{id}/history for an SLA's figures in each
// of the last 12 weeks or months (by is "week" or "month"), for every
// request under it or, with customer, that department's only.
func (c *Client) History(ctx context.Context, slaID, by, customer string) (*wire.History, error) {
	query := url.Values{"by": {by}}
	if customer != "" {
		query.Set("customer", customer)
	}
	path := "/api/v1/slas/" + url.PathEscape(slaID) + "/history"
	var h wire.History
	if err := c.getJSON(ctx, path, query, &h); err != nil {
		return nil, err
	}
	if h.Periods == nil {
		return nil, fmt.Errorf("get %s: %w", path, errNotAHistory)
	}
	return &h, nil
}

var errNotAHistory = errors.New(`the answer is JSON but not a history (it has no "periods"); check that the server URL points at slad`)
