package client

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/slad-project/slad/api/wire"
	"github.com/slad-project/slad/internal/httputil"
)

// Plan asks the server what reloading with the configuration config (YAML,
// named name in the server's messages) would do, changing nothing: POST
// /-/reload?dry_run=1 with an admin token. listed bounds the requests
// listed per SLA (0: the server's default). A configuration with errors
// is an *APIError with Status 400 whose Problems say where.
func (c *Client) Plan(ctx context.Context, config []byte, name string, listed int) (wire.Plan, error) {
	q := url.Values{"dry_run": {"1"}, "config": {name}}
	if listed > 0 {
		q.Set("list", strconv.Itoa(listed))
	}
	req, err := c.newRequest(ctx, http.MethodPost, reloadPath, q, bytes.NewReader(config))
	if err != nil {
		return wire.Plan{}, fmt.Errorf("plan: %w", err)
	}
	req.Header.Set("Content-Type", "application/yaml")
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return wire.Plan{}, fmt.Errorf("plan: %w", err)
	}
	defer httputil.DrainAndClose(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return wire.Plan{}, fmt.Errorf("plan: %w", readAPIError(req, resp))
	}
	var pl wire.Plan
	if err := decodeAnswer(resp.Body, &pl); err != nil {
		return wire.Plan{}, fmt.Errorf("plan: read the answer (%s, %s): %w", resp.Status, resp.Header.Get("Content-Type"), err)
	}
	return pl, nil
}
