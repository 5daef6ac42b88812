package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/slad-project/slad/api/wire"
	"github.com/slad-project/slad/internal/httputil"
)

// APIError is an answer other than 2xx from the server.
type APIError struct {
	// Status is the HTTP status code.
	Status int
	// Message is the server's "error" sentence, or the start of a non-JSON
	// body (a proxy's error page), or empty.
	Message string
	// Index is the 0-based position, within the batch, of the event the
	// server rejected; nil when the answer names none.
	Index *int
	// Problems are the answer's list of problems, each a sentence such as
	// a configuration's "file:line:col: message" (a dry run's 400).
	Problems []string
	// RetryAfter is the wait the server asked for in a Retry-After header
	// (429, 503), at most a day; 0 when absent, unreadable or past.
	RetryAfter time.Duration
	// Sent is the authorization scheme the request carried: "Bearer",
	// "Basic", or "" for none. With Offered it tells a wrong credential
	// from a missing one, and which flag to check.
	Sent string
	// Offered are the schemes of the answer's WWW-Authenticate headers
	// (a 401's "Bearer", "Basic"), in order.
	Offered []string
}

var _ error = (*APIError)(nil)

// Error reads "server answered 400 Bad Request: <message>".
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "server answered %d %s", e.Status, http.StatusText(e.Status))
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Index != nil {
		fmt.Fprintf(&b, " (event %d of the batch, counting from 0)", *e.Index)
	}
	return b.String()
}

// Temporary reports whether the same request may succeed later: 429 and
// 5xx other than 501 Not Implemented.
func (e *APIError) Temporary() bool {
	return e.Status == http.StatusTooManyRequests ||
		(e.Status >= 500 && e.Status != http.StatusNotImplemented)
}

// Retryable reports whether a request that failed with err is worth sending
// again: a temporary *APIError or a network error. Cancellation, a bad
// certificate, an unknown host and a rejected request are not. For event
// batches a retry is always safe, because the server de-duplicates by id.
// A caller with its own deadline should check its context first:
// context.DeadlineExceeded here may be the deadline of one attempt.
func Retryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	if ae, ok := errors.AsType[*APIError](err); ok {
		return ae.Temporary()
	}
	if _, ok := errors.AsType[*tls.CertificateVerificationError](err); ok {
		return false
	}
	if de, ok := errors.AsType[*net.DNSError](err); ok && de.IsNotFound {
		return false
	}
	_, ok := errors.AsType[*url.Error](err)
	return ok
}

// readAPIError turns a non-2xx answer to req into an *APIError. The body is
// either the contract's {"error": "...", "index": I} or whatever a proxy
// sent.
func readAPIError(req *http.Request, resp *http.Response) *APIError {
	e := &APIError{Status: resp.StatusCode, RetryAfter: httputil.RetryAfter(resp.Header.Get("Retry-After"), time.Now())}
	e.Sent, _, _ = strings.Cut(req.Header.Get("Authorization"), " ")
	for _, c := range resp.Header.Values("WWW-Authenticate") {
		if scheme, _, _ := strings.Cut(strings.TrimSpace(c), " "); scheme != "" {
			e.Offered = append(e.Offered, scheme)
		}
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxError))
	var j wire.ErrorBody
	if json.Unmarshal(body, &j) == nil && j.Error != "" {
		e.Message = j.Error
		e.Index = j.Index
		e.Problems = j.Errors
		return e
	}
	if mediaType(resp.Header.Get("Content-Type")) != "text/html" {
		// A proxy's first line says what went wrong; the rest is noise.
		first, _, _ := bytes.Cut(bytes.TrimSpace(body), []byte("\n"))
		e.Message = httputil.Excerpt(first, snippetBytes)
	}
	return e
}

// snippetBytes bounds the start of a non-JSON error body quoted in Message.
const snippetBytes = 200
