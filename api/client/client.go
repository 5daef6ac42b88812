// Package client is a small typed client for slad's HTTP API, used by the
// import, backup and report commands.
//
// Every method takes a context and the Client sets no overall timeout of its
// own: a bulk import wants one deadline per request, a backup of a large
// database none at all. Answers other than 2xx come back as *APIError, so
// callers can tell a rejected event (400 with an index) from a server that
// asks to be retried (429, 5xx); see Retryable. The token and the password
// are only ever put in the Authorization header and never appear in an
// error.
//
// A server may take two kinds of credentials: bearer tokens (senders and
// admin commands) and the basic-auth users of its web configuration
// (people, Prometheus). One request carries one Authorization header, so a
// Client given both sends the token to the event and backup endpoints and
// the user and password to the read endpoints, as the server asks.
//
// The bodies it sends and reads are those of package api/wire, which the
// server encodes too, so client and server cannot disagree on a field.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/slad-project/slad/api/wire"
	"github.com/slad-project/slad/internal/httputil"
	"github.com/slad-project/slad/sla"
)

// API paths, relative to the base URL.
const (
	eventsPath = "/api/v1/events"
	backupPath = "/api/v1/backup"
	reloadPath = "/-/reload"
)

// DefaultUserAgent is sent when Options.UserAgent is empty.
const DefaultUserAgent = "slad-client"

// maxError bounds how much of an error body is read: a sentence or a list
// of a configuration's problems.
const maxError = 1 << 20

// maxAnswer bounds how much of a JSON answer is read. Answers grow with
// the configuration: a plan of 1,000 SLAs with a quarter's history is tens
// of megabytes (so was a report of 1,000 SLAs, 32 MB, before it came a
// page at a time; a bound of 1 MiB made slad report fail on every
// configuration of that size). The bound keeps a wrong server from
// filling memory.
const maxAnswer = 512 << 20

// errAnswerTooLarge is an answer past maxAnswer.
var errAnswerTooLarge = fmt.Errorf("the answer is larger than %d MiB, more than any slad sends; is this slad's address?", maxAnswer>>20)

// decodeAnswer decodes a JSON answer of at most maxAnswer bytes into out,
// saying so when it is larger (a cut answer read as "unexpected EOF").
func decodeAnswer(body io.Reader, out any) error {
	lr := &io.LimitedReader{R: body, N: maxAnswer + 1}
	if err := json.NewDecoder(lr).Decode(out); err != nil {
		if lr.N <= 0 {
			return errAnswerTooLarge
		}
		return err
	}
	return nil
}

// Options configure a Client. The zero value is usable.
type Options struct {
	// Token is sent as "Authorization: Bearer <Token>"; empty sends no
	// Authorization header (a server without tokens).
	Token string
	// User and Password are sent as basic auth (a user of the server's
	// web configuration, or of a proxy in front of it) when User is not
	// empty; to the event and backup endpoints only when Token is empty.
	User, Password string
	// HTTPClient sends the requests; nil uses a client with no timeout of its
	// own and http.DefaultTransport. Set it for TLS settings or a proxy.
	HTTPClient *http.Client
	// UserAgent is the User-Agent header; empty uses DefaultUserAgent.
	UserAgent string
}

// Client talks to one slad server. It is safe for concurrent use.
type Client struct {
	base           *url.URL
	token          string
	user, password string
	hc             *http.Client
	ua             string
}

// New returns a client for the slad server at baseURL, such as
// "http://localhost:9780" or "https://sla.example.internal/slad" (a path
// prefix behind a reverse proxy is kept).
func New(baseURL string, opts Options) (*Client, error) {
	if err := httputil.CheckURL(baseURL); err != nil {
		// The message names the URL only without its password, and only
		// when the URL parses at all.
		if u, perr := url.Parse(baseURL); perr == nil {
			return nil, fmt.Errorf("server URL %q is not valid: %w", u.Redacted(), err)
		}
		return nil, fmt.Errorf("server URL is not valid: %w", err)
	}
	u, _ := url.Parse(baseURL) // CheckURL parsed it
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("server URL %q must not have a query or fragment", u.Redacted())
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	c := &Client{base: u, token: opts.Token, user: opts.User, password: opts.Password, hc: opts.HTTPClient, ua: opts.UserAgent}
	if c.hc == nil {
		c.hc = &http.Client{}
	}
	if c.ua == "" {
		c.ua = DefaultUserAgent
	}
	return c, nil
}

// PostNDJSON sends a batch of events, one JSON object per line, to
// POST /api/v1/events. A nil error means the whole batch is durably stored;
// an *APIError with Status 400 means none of it is, and its Index names the
// offending event (0-based, counting lines that hold an event).
//
// Sending the same events again is harmless: the server counts a repeated id
// as a duplicate. That makes retrying after a network error or a 5xx safe.
func (c *Client) PostNDJSON(ctx context.Context, body []byte) (wire.EventsResult, error) {
	req, err := c.newRequest(ctx, http.MethodPost, eventsPath, nil, bytes.NewReader(body))
	if err != nil {
		return wire.EventsResult{}, fmt.Errorf("post events: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("Accept", "application/json")
	var res wire.EventsResult
	if err := c.doJSON(req, &res); err != nil {
		return wire.EventsResult{}, fmt.Errorf("post events: %w", err)
	}
	return res, nil
}

// PostEvents sends events as one batch, encoded as NDJSON; see PostNDJSON.
// An empty list sends nothing.
func (c *Client) PostEvents(ctx context.Context, events []sla.Event) (wire.EventsResult, error) {
	if len(events) == 0 {
		return wire.EventsResult{}, nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf) // Encode ends each event with a newline.
	enc.SetEscapeHTML(false)
	for i := range events {
		if err := enc.Encode(&events[i]); err != nil {
			return wire.EventsResult{}, fmt.Errorf("post events: encode event %d: %w", i, err)
		}
	}
	return c.PostNDJSON(ctx, buf.Bytes())
}

// Backup streams a consistent copy of the server's database
// (GET /api/v1/backup, admin token) into w and returns the number of bytes
// written. On error w may hold part of the copy: write to a temporary file
// and rename it only on success.
func (c *Client) Backup(ctx context.Context, w io.Writer) (int64, error) {
	req, err := c.newRequest(ctx, http.MethodGet, backupPath, nil, nil)
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	req.Header.Set("Accept", "application/octet-stream")
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	defer httputil.DrainAndClose(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("backup: %w", readAPIError(req, resp))
	}
	// A proxy's login page or a misrouted request must not end up saved as
	// a database.
	if ct := mediaType(resp.Header.Get("Content-Type")); ct == "text/html" || ct == "application/json" {
		return 0, fmt.Errorf("backup: the server answered %s instead of a database file; check the server URL", ct)
	}
	n, err := io.Copy(w, resp.Body)
	if err != nil {
		return n, fmt.Errorf("backup: copy after %d bytes: %w", n, err)
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return n, fmt.Errorf("backup: the copy is incomplete: %d of %d bytes", n, resp.ContentLength)
	}
	return n, nil
}

// getJSON sends GET path?query and decodes the JSON answer into out. It is
// the building block for the query endpoints (requests, slas, breaches).
func (c *Client) getJSON(ctx context.Context, path string, query url.Values, out any) error {
	req, err := c.newRequest(ctx, http.MethodGet, path, query, nil)
	if err != nil {
		return fmt.Errorf("get %s: %w", path, err)
	}
	req.Header.Set("Accept", "application/json")
	if err := c.doJSON(req, out); err != nil {
		return fmt.Errorf("get %s: %w", path, err)
	}
	return nil
}

func (c *Client) newRequest(ctx context.Context, method, path string, query url.Values, body io.Reader) (*http.Request, error) {
	u := *c.base
	u.Path += path
	u.RawQuery = query.Encode()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, err
	}
	// The server takes a bearer token for writes and admin commands and
	// basic auth (or a token) for reads; see the package doc.
	basicFirst := path != eventsPath && path != backupPath && path != reloadPath
	switch {
	case c.user != "" && (basicFirst || c.token == ""):
		req.SetBasicAuth(c.user, c.password)
	case c.token != "":
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	req.Header.Set("User-Agent", c.ua)
	return req, nil
}

// doJSON sends req and decodes a 2xx JSON answer into out.
func (c *Client) doJSON(req *http.Request, out any) error {
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer httputil.DrainAndClose(resp.Body)
	if resp.StatusCode/100 != 2 {
		return readAPIError(req, resp)
	}
	if err := decodeAnswer(resp.Body, out); err != nil {
		return fmt.Errorf("read the answer (%s, %s): %w", resp.Status, resp.Header.Get("Content-Type"), err)
	}
	return nil
}

func mediaType(contentType string) string {
	t, _, _ := strings.Cut(contentType, ";")
	return strings.ToLower(strings.TrimSpace(t))
}
