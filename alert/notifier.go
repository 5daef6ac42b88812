package alert

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/internal/buildinfo"
	"github.com/slad-project/slad/internal/httputil"
)

// Notifier sends a notice to one receiver. On failure, retry tells whether
// the same notice may succeed later (the receiver is down, overloaded,
// rate-limiting) or never will (the receiver rejects it); the error may be a
// *StatusError carrying the receiver's answer and a Retry-After delay.
type Notifier interface {
	Notify(ctx context.Context, n lifecycle.Notice) (retry bool, err error)
}

// NotifierOptions is what every notifier shares.
type NotifierOptions struct {
	// ExternalURL is the base of links to slad's pages, without a trailing
	// slash; empty means alerts carry no link.
	ExternalURL string
	// Version goes into the User-Agent header, "slad/<Version>";
	// buildinfo.UnknownVersion when empty.
	Version string
	// Client sends the HTTP requests; nil means one from [NewHTTPClient].
	Client *http.Client
	// Logger is where log receivers write; nil discards.
	Logger *slog.Logger
	// Now stamps webhook signatures and Alertmanager's endsAt, and resolves
	// Retry-After dates; nil means time.Now.
	Now func() time.Time
	// RepostInterval is how often the dispatcher re-posts firing breaches
	// to Alertmanager receivers, which send them with endsAt four intervals
	// ahead; zero means DefaultRepostInterval.
	RepostInterval time.Duration
	// SMTPTLSConfig is the TLS settings of email receivers (the roots that
	// smarthosts' certificates are checked against); nil means TLS 1.2 or
	// later and the system's roots. Its ServerName is set per smarthost.
	SMTPTLSConfig *tls.Config
}

// NewNotifier builds the notifier for a receiver. It fails on a receiver it
// cannot send to (an unknown type, a missing URL, a malformed signing
// secret), so that a reload can reject the configuration before anything
// changes.
func NewNotifier(r *config.Receiver, o NotifierOptions) (Notifier, error) {
	if r == nil {
		return nil, errors.New("nil receiver")
	}
	if o.Client == nil {
		o.Client = NewHTTPClient(nil)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Version == "" {
		o.Version = buildinfo.UnknownVersion
	}
	o.ExternalURL = strings.TrimRight(o.ExternalURL, "/")
	if r.Type == config.ReceiverEmail {
		return newEmailNotifier(r, o)
	}
	h := httpSender{client: o.Client, url: r.URL.Value(), userAgent: "slad/" + o.Version, now: o.Now}
	if r.Type != config.ReceiverLog {
		if h.url == "" {
			return nil, fmt.Errorf("receiver %q: no url", r.Name)
		}
		if err := httputil.CheckURL(h.url); err != nil {
			return nil, fmt.Errorf("receiver %q: url is not valid: %w", r.Name, err)
		}
	}
	switch r.Type {
	case config.ReceiverWebhook:
		w := &webhookNotifier{httpSender: h, externalURL: o.ExternalURL}
		if s := r.SigningSecret.Value(); s != "" {
			signer, err := NewSigner(s)
			if err != nil {
				return nil, fmt.Errorf("receiver %q: signing secret: %w", r.Name, err)
			}
			w.signer = signer
		}
		return w, nil
	case config.ReceiverSlack:
		return &slackNotifier{httpSender: h, externalURL: o.ExternalURL}, nil
	case config.ReceiverAlertmanager:
		h.url = strings.TrimRight(h.url, "/") + "/api/v2/alerts"
		if o.RepostInterval <= 0 {
			o.RepostInterval = DefaultRepostInterval
		}
		return &alertmanagerNotifier{httpSender: h, externalURL: o.ExternalURL, validFor: amValidRounds * o.RepostInterval}, nil
	case config.ReceiverLog:
		return &logNotifier{logger: o.Logger, receiver: r.Name, externalURL: o.ExternalURL}, nil
	default:
		return nil, fmt.Errorf("receiver %q: unknown type %q (want webhook, slack, alertmanager, email or log)", r.Name, r.Type)
	}
}

// NewHTTPClient returns the client notifiers use: the given transport (a
// clone of http.DefaultTransport when nil, so proxy settings from the
// environment apply) and no redirects, since a receiver that redirects
// should have its URL updated (Standard Webhooks says the same). Timeouts
// come from each request's context.
func NewHTTPClient(rt http.RoundTripper) *http.Client {
	if rt == nil {
		rt = http.DefaultTransport.(*http.Transport).Clone()
	}
	return &http.Client{
		Transport: rt,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// StatusError is a receiver's answer other than 2xx.
type StatusError struct {
	StatusCode int
	// Body is a bounded, single-line excerpt of the answer.
	Body string
	// RetryAfter is how long the receiver asked us to wait (Retry-After on
	// 429 and 503), zero when it did not say.
	RetryAfter time.Duration
}

// Error names the status and quotes the answer: "receiver answered 400 Bad
// Request: <excerpt>".
func (e *StatusError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "receiver answered %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if e.StatusCode/100 == 3 {
		b.WriteString(" (redirects are not followed: update the receiver's url)")
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, ", retry after %s", e.RetryAfter)
	}
	if e.Body != "" {
		b.WriteString(": ")
		b.WriteString(e.Body)
	}
	return b.String()
}

// excerptBytes bounds what of an answer goes into an error.
const excerptBytes = 512

// CheckResponse classifies a receiver's answer and closes its body: 2xx is
// success; 408, 429 and 5xx are worth retrying; anything else (3xx, other
// 4xx) is a permanent failure. Failures are *StatusError values quoting a
// bounded excerpt of the body; on 429 and 503 a Retry-After header, in
// seconds or as an HTTP date (relative to now), fills in RetryAfter.
func CheckResponse(resp *http.Response, now time.Time) (retry bool, err error) {
	defer httputil.DrainAndClose(resp.Body)
	code := resp.StatusCode
	if code/100 == 2 {
		return false, nil
	}
	se := &StatusError{StatusCode: code}
	buf, _ := io.ReadAll(io.LimitReader(resp.Body, excerptBytes+1))
	se.Body = httputil.Excerpt(buf, excerptBytes)
	if code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable {
		se.RetryAfter = httputil.RetryAfter(resp.Header.Get("Retry-After"), now)
	}
	retry = code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code/100 == 5
	return retry, se
}

// redacted stands for a URL in errors.
const redacted = "<redacted>"

// redactedError is an error whose message had secrets removed. Unwrap leads
// to the cause without the URL (a *url.Error's Err), so that errors.Is
// still sees context.DeadlineExceeded and friends.
type redactedError struct {
	msg   string
	cause error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.cause }

// redact removes a secret URL from err: a *url.Error in the chain loses
// its URL, and the URL (and its path, which holds Slack's token) is cut
// from the message wherever else it shows.
func redact(err error, secret string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	var cause error
	var ue *url.Error
	if errors.As(err, &ue) {
		cause = ue.Err
		clean := &url.Error{Op: ue.Op, URL: redacted, Err: ue.Err}
		msg = strings.ReplaceAll(msg, ue.Error(), clean.Error())
	}
	msg = scrub(msg, secret)
	if cause == nil {
		if msg == err.Error() {
			return err
		}
		// The chain itself quotes the secret: keep only what callers test.
		for _, c := range []error{context.DeadlineExceeded, context.Canceled} {
			if errors.Is(err, c) {
				cause = c
			}
		}
	}
	return &redactedError{msg: scrub(msg, secret), cause: cause}
}

// scrub cuts the secret URL, its path and its query out of s.
func scrub(s, secret string) string {
	if secret == "" {
		return s
	}
	s = strings.ReplaceAll(s, secret, redacted)
	if u, err := url.Parse(secret); err == nil {
		for _, part := range []string{u.RawQuery, u.EscapedPath(), u.Path} {
			if len(part) > 1 {
				s = strings.ReplaceAll(s, part, redacted)
			}
		}
	}
	return s
}

// httpSender posts JSON to a receiver's URL.
type httpSender struct {
	client    *http.Client
	url       string
	userAgent string
	now       func() time.Time
}

// post sends body, with the extra headers, and classifies the outcome.
func (h *httpSender) post(ctx context.Context, body []byte, header http.Header) (retry bool, err error) {
	return h.postTo(ctx, h.url, body, header)
}

func (h *httpSender) postTo(ctx context.Context, target string, body []byte, header http.Header) (retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("build request: %w", redact(err, target))
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", h.userAgent)
	resp, err := h.client.Do(req)
	if err != nil {
		return true, fmt.Errorf("post: %w", redact(err, target))
	}
	retry, err = CheckResponse(resp, h.now())
	var se *StatusError
	if errors.As(err, &se) {
		se.Body = scrub(se.Body, target)
	}
	return retry, err
}

// marshalJSON encodes v compactly, leaving &, < and > as they are: the
// bodies stay readable, and Slack's own escapes survive unchanged.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// requestURL links to the request's page (its provider's and its id), or
// is empty without a base.
func requestURL(externalURL, provider, request string) string {
	if externalURL == "" {
		return ""
	}
	return externalURL + "/requests/" + httputil.RequestPath(provider, request)
}
