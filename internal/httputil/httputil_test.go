package httputil

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestCheckURL(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		url  string
		want string // a part of the error; empty means accepted
	}{
		"an https URL is accepted":                       {url: "https://hooks.slack.com/services/T0/B0/X"},
		"an http URL with a path and port is accepted":   {url: "http://alertmanager:9093/"},
		"an empty URL must start with a scheme":          {url: "", want: "must start with http:// or https://"},
		"a host without a scheme is rejected":            {url: "localhost:9780", want: "must start with http:// or https://"},
		"another scheme is rejected":                     {url: "ftp://example", want: "must start with http:// or https://"},
		"a URL without a host is rejected":               {url: "https:///services", want: "names no host"},
		"a URL that does not parse is rejected":          {url: "http://user:pw@[::1", want: "does not parse as a URL"},
		"a secret in a rejected URL is never repeated":   {url: "gopher://user:hunter2@x/T0/SECRET", want: "must start with"},
		"a secret in a broken URL is never repeated too": {url: "http://x/SECRET%zz", want: "does not parse"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := CheckURL(tc.url)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("CheckURL(%q) = %v, want nil", tc.url, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("CheckURL(%q) = %v, want an error containing %q", tc.url, err, tc.want)
			}
			for _, secret := range []string{"hunter2", "SECRET", "example", "localhost"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("CheckURL(%q) = %q repeats the URL", tc.url, err)
				}
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	tests := map[string]struct {
		header string
		want   time.Duration
	}{
		"no header means no wait":             {header: "", want: 0},
		"seconds are read":                    {header: "120", want: 2 * time.Minute},
		"space around seconds is ignored":     {header: " 5 ", want: 5 * time.Second},
		"zero seconds means no wait":          {header: "0", want: 0},
		"negative seconds mean no wait":       {header: "-3", want: 0},
		"an HTTP date is relative to now":     {header: now.Add(90 * time.Second).Format(http.TimeFormat), want: 90 * time.Second},
		"a date in the past means no wait":    {header: now.Add(-time.Hour).Format(http.TimeFormat), want: 0},
		"garbage means no wait":               {header: "soon", want: 0},
		"an absurd delay is capped":           {header: "999999999999", want: MaxRetryAfter},
		"an absurd date is capped":            {header: now.AddDate(5, 0, 0).Format(http.TimeFormat), want: MaxRetryAfter},
		"a number too large to parse is junk": {header: "99999999999999999999999", want: 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := RetryAfter(tc.header, now); got != tc.want {
				t.Errorf("RetryAfter(%q) = %v, want %v", tc.header, got, tc.want)
			}
		})
	}
}

func TestExcerpt(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in   string
		n    int
		want string
	}{
		"a short answer is kept":                  {in: "bad payload", n: 512, want: "bad payload"},
		"lines and control characters fold":       {in: "line one\r\n\tline two\x00\x1b[31m", n: 512, want: "line one line two [31m"},
		"leading and trailing space goes":         {in: "\n  padded  \n", n: 512, want: "padded"},
		"a long answer is cut with an ellipsis":   {in: "abcdefghij", n: 8, want: "abcde…"},
		"a cut never splits a character":          {in: "éééééé", n: 8, want: "éé…"},
		"invalid UTF-8 becomes a space":           {in: "a\xffb", n: 512, want: "a b"},
		"an answer of exactly n bytes is not cut": {in: "12345678", n: 8, want: "12345678"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := Excerpt([]byte(tc.in), tc.n)
			if got != tc.want {
				t.Errorf("Excerpt(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
			}
			if len(got) > tc.n {
				t.Errorf("Excerpt(%q, %d) is %d bytes", tc.in, tc.n, len(got))
			}
		})
	}
}

// countingBody records what was read of it and whether it was closed.
type countingBody struct {
	r      io.Reader
	read   int64
	closed bool
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.read += int64(n)
	return n, err
}

func (b *countingBody) Close() error { b.closed = true; return nil }

func TestDrainAndCloseReadsABoundedAmount(t *testing.T) {
	t.Parallel()
	small := &countingBody{r: strings.NewReader("rest of a short answer")}
	DrainAndClose(small)
	if !small.closed || small.read != int64(len("rest of a short answer")) {
		t.Errorf("a short body: read %d bytes, closed %v; want all of it read and closed", small.read, small.closed)
	}
	huge := &countingBody{r: strings.NewReader(strings.Repeat("x", 10*drainBytes))}
	DrainAndClose(huge)
	if !huge.closed || huge.read != drainBytes {
		t.Errorf("a huge body: read %d bytes, closed %v; want %d read and closed", huge.read, huge.closed, drainBytes)
	}
}
