// Package httputil holds the small HTTP helpers that config, alert and
// api/client share, each written once (as Alertmanager keeps its own in
// notify/util.go): the check of a URL slad is to send requests to, the
// reading of a Retry-After header, a one-line excerpt of an answer's body for
// error messages, and draining a body so its connection can be reused.
package httputil

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// CheckURL accepts an absolute http or https URL: a receiver's, the
// external URL or a --server. Its messages never repeat the URL, which may
// be a secret (a Slack webhook URL is one), so that callers may print them
// after "… is not valid: ".
func CheckURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return errors.New("it does not parse as a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return errors.New("it must start with http:// or https://")
	case u.Host == "":
		return errors.New("it names no host")
	}
	return nil
}

// MaxRetryAfter bounds what a server may ask for: a day is long enough for
// any honest rate limit and keeps a typo from parking a request for years.
const MaxRetryAfter = 24 * time.Hour

// RetryAfter reads a Retry-After header value (RFC 9110): delay-seconds, or
// an HTTP date relative to now. Anything else, or a moment already past,
// means no delay; a delay over MaxRetryAfter is cut to it.
func RetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > int64(MaxRetryAfter/time.Second) {
			return MaxRetryAfter
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), MaxRetryAfter)
	}
	return 0
}

// Excerpt makes an answer's body fit on one log line: valid UTF-8, runs of
// white space and control characters folded to one space, at most n bytes,
// ending in an ellipsis when b is longer. Read at most n+1 bytes of a body
// to pass here: the extra byte is how Excerpt knows it was cut.
func Excerpt(b []byte, n int) string {
	limit := n
	cut := len(b) > n
	if cut {
		limit = n - len("…")
	}
	var out strings.Builder
	space := false
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		b = b[size:]
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == utf8.RuneError {
			space = out.Len() > 0
			continue
		}
		if space {
			space = false
			if out.Len()+1 > limit {
				break
			}
			out.WriteByte(' ')
		}
		if out.Len()+utf8.RuneLen(r) > limit {
			break
		}
		out.WriteRune(r)
	}
	if cut {
		out.WriteString("…")
	}
	return out.String()
}

// drainBytes bounds what is read of an answer to reuse its connection: more
// than that costs more than a new connection.
const drainBytes = 64 << 10

// DrainAndClose reads what is left of a body, up to a bound, and closes it,
// so that the client can reuse the connection.
func DrainAndClose(body io.ReadCloser) {
	_, _ = io.CopyN(io.Discard, body, drainBytes)
	_ = body.Close()
}
