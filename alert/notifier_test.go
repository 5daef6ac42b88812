package alert

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/internal/httputil"
)

func TestCheckResponseClassifiesAnswers(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	tests := map[string]struct {
		code       int
		header     http.Header
		body       string
		ok         bool
		retry      bool
		retryAfter time.Duration
	}{
		"200 is success":                          {code: 200, ok: true},
		"204 is success":                          {code: 204, ok: true},
		"a redirect is not followed nor retried":  {code: 301, header: http.Header{"Location": {"https://elsewhere"}}},
		"400 is permanent":                        {code: 400, body: "bad payload"},
		"404 is permanent":                        {code: 404, body: "no_service"},
		"410 Gone is permanent":                   {code: 410},
		"408 is retried":                          {code: 408, retry: true},
		"429 is retried":                          {code: 429, retry: true},
		"429 honours Retry-After in seconds":      {code: 429, header: http.Header{"Retry-After": {"120"}}, retry: true, retryAfter: 2 * time.Minute},
		"503 honours Retry-After as a date":       {code: 503, header: http.Header{"Retry-After": {now.Add(90 * time.Second).Format(http.TimeFormat)}}, retry: true, retryAfter: 90 * time.Second},
		"a Retry-After in the past means no wait": {code: 503, header: http.Header{"Retry-After": {now.Add(-time.Hour).Format(http.TimeFormat)}}, retry: true},
		"a garbled Retry-After means no wait":     {code: 429, header: http.Header{"Retry-After": {"soon"}}, retry: true},
		"an absurd Retry-After is capped":         {code: 429, header: http.Header{"Retry-After": {"999999999999"}}, retry: true, retryAfter: httputil.MaxRetryAfter},
		"Retry-After on 500 is ignored":           {code: 500, header: http.Header{"Retry-After": {"60"}}, retry: true},
		"502 is retried":                          {code: 502, retry: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			resp := &http.Response{StatusCode: tc.code, Header: tc.header, Body: io.NopCloser(strings.NewReader(tc.body))}
			if resp.Header == nil {
				resp.Header = http.Header{}
			}
			retry, err := CheckResponse(resp, now)
			if tc.ok {
				if err != nil || retry {
					t.Fatalf("CheckResponse = %v, %v; want success", retry, err)
				}
				return
			}
			var se *StatusError
			if !errors.As(err, &se) {
				t.Fatalf("CheckResponse error = %v, want a *StatusError", err)
			}
			if retry != tc.retry {
				t.Errorf("retry = %v, want %v", retry, tc.retry)
			}
			if se.StatusCode != tc.code || se.RetryAfter != tc.retryAfter {
				t.Errorf("StatusError = %+v, want code %d, retry after %v", se, tc.code, tc.retryAfter)
			}
			if !strings.Contains(err.Error(), fmt.Sprint(tc.code)) || !strings.Contains(err.Error(), tc.body) {
				t.Errorf("error %q should name the status and quote the answer %q", err, tc.body)
			}
		})
	}
}

func TestTheAnswerIsQuotedOnOneBoundedLine(t *testing.T) {
	t.Parallel()
	body := "line one\r\n\tline two\x00\x1b[31m" + strings.Repeat("é", 2000)
	resp := &http.Response{StatusCode: 400, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body))}
	_, err := CheckResponse(resp, time.Now())
	var se *StatusError
	if !errors.As(err, &se) {
		t.Fatal(err)
	}
	if len(se.Body) > excerptBytes {
		t.Errorf("excerpt is %d bytes, want at most %d", len(se.Body), excerptBytes)
	}
	if !strings.HasPrefix(se.Body, "line one line two [31m") || !strings.HasSuffix(se.Body, "…") {
		t.Errorf("excerpt = %q", se.Body)
	}
	if strings.ContainsAny(se.Body, "\r\n\t\x00\x1b") {
		t.Errorf("excerpt keeps control characters: %q", se.Body)
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	secret := "https://hooks.slack.com/services/T000/B000/XXXXSECRET"
	ue := &url.Error{Op: "Post", URL: secret, Err: context.DeadlineExceeded}
	tests := map[string]error{
		"a url.Error":                     ue,
		"a wrapped url.Error":             fmt.Errorf("post: %w", ue),
		"an error that quotes the path":   errors.New("no route to /services/T000/B000/XXXXSECRET"),
		"a deadline error that quotes it": fmt.Errorf("%s: %w", secret, context.DeadlineExceeded),
	}
	for name, err := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := redact(err, secret)
			if strings.Contains(got.Error(), "XXXXSECRET") {
				t.Errorf("redact(%q) = %q", err, got)
			}
			for e := errors.Unwrap(got); e != nil; e = errors.Unwrap(e) {
				if strings.Contains(e.Error(), "XXXXSECRET") {
					t.Errorf("the chain still holds the secret: %q", e)
				}
			}
			if errors.Is(err, context.DeadlineExceeded) && !errors.Is(got, context.DeadlineExceeded) {
				t.Errorf("redacting lost the deadline: %v", got)
			}
		})
	}
	plain := errors.New("connection refused")
	if got := redact(plain, secret); got != plain { //nolint:errorlint // identity is the point: an error with nothing to hide comes back as it was, not wrapped
		t.Errorf("redact changed an error without secrets: %v", got)
	}
}

func TestNewNotifierRejectsWhatCannotWork(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		r    config.Receiver
		want string
	}{
		"an unknown type":          {config.Receiver{Name: "x", Type: "pager", URL: "http://a"}, `unknown type "pager"`},
		"a webhook without url":    {config.Receiver{Name: "x", Type: config.ReceiverWebhook}, "no url"},
		"a slack url without host": {config.Receiver{Name: "x", Type: config.ReceiverSlack, URL: "https:///services"}, "no host"},
		"a non-http url":           {config.Receiver{Name: "x", Type: config.ReceiverAlertmanager, URL: "ftp://am"}, "must start with http:// or https://"},
		"a malformed secret":       {config.Receiver{Name: "x", Type: config.ReceiverWebhook, URL: "http://a", SigningSecret: "whsec_%%%"}, "signing secret"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := NewNotifier(&tc.r, NotifierOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("NewNotifier = %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if _, err := NewNotifier(&config.Receiver{Name: "console", Type: config.ReceiverLog}, NotifierOptions{}); err != nil {
		t.Errorf("a log receiver needs no url: %v", err)
	}
}
