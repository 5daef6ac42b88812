package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/slad-project/slad/api/wire"
	"github.com/slad-project/slad/sla"
)

const testToken = "s3cr3t-t0ken-value"

// newTestClient starts h behind an httptest server and returns a client for it.
func newTestClient(t *testing.T, h http.HandlerFunc, opts Options) *Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := New(srv.URL, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func TestNew(t *testing.T) {
	tests := map[string]struct {
		url     string
		wantErr string
		wantURL string
	}{
		"a plain http URL is accepted":                   {url: "http://localhost:9780", wantURL: "http://localhost:9780/api/v1/events"},
		"a trailing slash is dropped":                    {url: "http://localhost:9780/", wantURL: "http://localhost:9780/api/v1/events"},
		"a path prefix behind a proxy is kept":           {url: "https://sla.example/slad/", wantURL: "https://sla.example/slad/api/v1/events"},
		"a host without a scheme is rejected":            {url: "localhost:9780", wantErr: "must start with http:// or https://"},
		"another scheme is rejected":                     {url: "ftp://example", wantErr: "must start with http:// or https://"},
		"a URL without a host is rejected":               {url: "http://", wantErr: "names no host"},
		"a query is rejected":                            {url: "http://x/?a=b", wantErr: "must not have a query"},
		"a broken URL is rejected without repeating it":  {url: "http://user:pw@[::1", wantErr: "server URL is not valid"},
		"a password in the URL is not repeated in error": {url: "gopher://user:hunter2@x", wantErr: "must start with"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c, err := New(tc.url, Options{})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("New(%q) error = %v, want it to contain %q", tc.url, err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), ":pw@") {
					t.Fatalf("error shows the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			req, err := c.newRequest(context.Background(), http.MethodPost, eventsPath, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := req.URL.String(); got != tc.wantURL {
				t.Errorf("URL = %q, want %q", got, tc.wantURL)
			}
		})
	}
}

func TestPostNDJSONSendsTheBatchWithTheBearerToken(t *testing.T) {
	body := []byte(`{"id":"a","request":"r","type":"responded","at":"2026-01-01T00:00:00Z"}` + "\n")
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/api/v1/events" {
			t.Errorf("got %s %s", r.Method, r.URL.Path)
		}
		if got := r.Header.Get("Authorization"); got != "Bearer "+testToken {
			t.Errorf("Authorization = %q", got)
		}
		if got := r.Header.Get("Content-Type"); got != "application/x-ndjson" {
			t.Errorf("Content-Type = %q", got)
		}
		if got := r.Header.Get("User-Agent"); got != "slad-test" {
			t.Errorf("User-Agent = %q", got)
		}
		got, _ := io.ReadAll(r.Body)
		if !bytes.Equal(got, body) {
			t.Errorf("body = %q", got)
		}
		writeJSON(w, http.StatusOK, map[string]int{"accepted": 1, "duplicates": 2})
	}, Options{Token: testToken, UserAgent: "slad-test"})

	res, err := c.PostNDJSON(context.Background(), body)
	if err != nil {
		t.Fatal(err)
	}
	if res != (wire.EventsResult{Accepted: 1, Duplicates: 2}) {
		t.Errorf("result = %+v", res)
	}
}

func TestWithoutATokenNoAuthorizationHeaderIsSent(t *testing.T) {
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if v, ok := r.Header["Authorization"]; ok {
			t.Errorf("Authorization header sent: %q", v)
		}
		writeJSON(w, http.StatusOK, map[string]int{"accepted": 1})
	}, Options{})
	if _, err := c.PostNDJSON(context.Background(), []byte("{}\n")); err != nil {
		t.Fatal(err)
	}
}

func TestPostEventsEncodesOneEventPerLine(t *testing.T) {
	at := time.Date(2026, 11, 23, 9, 14, 0, 0, time.UTC)
	events := []sla.Event{
		{ID: "e1", Request: "IT-1", Type: sla.Opened, At: at, Provider: "it", Customer: "sales", Title: "a <b> & c", Labels: map[string]string{"site": "berlin"}},
		{ID: "e2", Request: "IT-1", Type: sla.Resolved, At: at.Add(time.Hour), CSAT: 4},
	}
	var got []sla.Event
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		sc := bufio.NewScanner(r.Body)
		for sc.Scan() {
			var e sla.Event
			dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&e); err != nil {
				t.Errorf("line %q: %v", sc.Text(), err)
			}
			got = append(got, e)
		}
		writeJSON(w, http.StatusOK, map[string]int{"accepted": len(got)})
	}, Options{})

	res, err := c.PostEvents(context.Background(), events)
	if err != nil {
		t.Fatal(err)
	}
	if res.Accepted != 2 || len(got) != 2 {
		t.Fatalf("accepted %d, server decoded %d events", res.Accepted, len(got))
	}
	for i := range events {
		if got[i].ID != events[i].ID || !got[i].At.Equal(events[i].At) || got[i].Title != events[i].Title ||
			got[i].CSAT != events[i].CSAT || got[i].Labels["site"] != events[i].Labels["site"] {
			t.Errorf("event %d = %+v, want %+v", i, got[i], events[i])
		}
	}

	if res, err := c.PostEvents(context.Background(), nil); err != nil || res != (wire.EventsResult{}) {
		t.Errorf("PostEvents(nil) = %+v, %v; want nothing sent", res, err)
	}
}

func TestErrorAnswersBecomeAPIErrors(t *testing.T) {
	seven := 7
	tests := map[string]struct {
		status      int
		contentType string
		body        string
		header      map[string]string
		want        APIError
		temporary   bool
	}{
		"a rejected event carries its index": {
			status: 400, body: `{"error":"field \"type\" is required","index":7}`,
			want: APIError{Status: 400, Message: `field "type" is required`, Index: &seven},
		},
		"an unauthorized answer has no index": {
			status: 401, body: `{"error":"the bearer token is not known"}`,
			want: APIError{Status: 401, Message: "the bearer token is not known"},
		},
		"a body too large is not temporary": {
			status: 413, body: `{"error":"the body is over 8 MiB"}`,
			want: APIError{Status: 413, Message: "the body is over 8 MiB"},
		},
		"a failed commit asks for a retry after a while": {
			status: 503, body: `{"error":"commit failed"}`, header: map[string]string{"Retry-After": "2"},
			want: APIError{Status: 503, Message: "commit failed", RetryAfter: 2 * time.Second}, temporary: true,
		},
		"too many requests is temporary": {
			status: 429, body: `{"error":"slow down"}`,
			want: APIError{Status: 429, Message: "slow down"}, temporary: true,
		},
		"a proxy's plain text error is kept short": {
			status: 502, contentType: "text/plain", body: "bad gateway\nupstream died",
			want: APIError{Status: 502, Message: "bad gateway"}, temporary: true,
		},
		"a proxy's HTML page is not repeated": {
			status: 504, contentType: "text/html", body: "<html><body>timeout</body></html>",
			want: APIError{Status: 504}, temporary: true,
		},
		"not implemented is not temporary": {
			status: 501, body: `{"error":"no"}`,
			want: APIError{Status: 501, Message: "no"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tc.header {
					w.Header().Set(k, v)
				}
				ct := tc.contentType
				if ct == "" {
					ct = "application/json"
				}
				w.Header().Set("Content-Type", ct)
				w.WriteHeader(tc.status)
				// A write that fails shows in what the client reads, which is
				// what the test checks.
				_, _ = io.WriteString(w, tc.body)
			}, Options{Token: testToken})

			_, err := c.PostNDJSON(context.Background(), []byte("{}\n"))
			ae, ok := errors.AsType[*APIError](err)
			if !ok {
				t.Fatalf("error %v is not an *APIError", err)
			}
			if ae.Status != tc.want.Status || ae.Message != tc.want.Message || ae.RetryAfter != tc.want.RetryAfter ||
				(ae.Index == nil) != (tc.want.Index == nil) || (ae.Index != nil && *ae.Index != *tc.want.Index) {
				t.Errorf("APIError = %+v, want %+v", ae, tc.want)
			}
			if got := Retryable(err); got != tc.temporary {
				t.Errorf("Retryable = %v, want %v", got, tc.temporary)
			}
			if !strings.HasPrefix(err.Error(), "post events: server answered ") {
				t.Errorf("error = %q", err)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("error shows the token: %q", err)
			}
		})
	}
}

func TestRetryable(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	c, err := New(dead.URL, Options{Token: testToken})
	if err != nil {
		t.Fatal(err)
	}
	_, refused := c.PostNDJSON(context.Background(), []byte("{}\n"))
	if refused == nil || strings.Contains(refused.Error(), testToken) {
		t.Fatalf("refused connection gave %v", refused)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, cancelled := c.PostNDJSON(ctx, []byte("{}\n"))

	tests := map[string]struct {
		err  error
		want bool
	}{
		"a refused connection is retried":       {err: refused, want: true},
		"a cancelled request is not retried":    {err: cancelled, want: false},
		"a rejected batch is not retried":       {err: fmt.Errorf("x: %w", &APIError{Status: 400}), want: false},
		"a server error is retried":             {err: &APIError{Status: 500}, want: true},
		"an error that is not from HTTP is not": {err: errors.New("disk full"), want: false},
		"no error is not retried":               {err: nil, want: false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := Retryable(tc.err); got != tc.want {
				t.Errorf("Retryable(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

func TestBackup(t *testing.T) {
	db := bytes.Repeat([]byte("bolt"), 100_000)
	tests := map[string]struct {
		handler http.HandlerFunc
		wantErr string
	}{
		"the database is streamed into the writer": {
			handler: func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/api/v1/backup" || r.Header.Get("Authorization") != "Bearer "+testToken {
					t.Errorf("got %s with Authorization %q", r.URL.Path, r.Header.Get("Authorization"))
				}
				w.Header().Set("Content-Type", "application/octet-stream")
				w.Header().Set("Content-Length", fmt.Sprint(len(db)))
				_, _ = w.Write(db)
			},
		},
		"a refused backup carries the server's message": {
			handler: func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, http.StatusForbidden, map[string]string{"error": "backup needs an admin token"})
			},
			wantErr: "backup: server answered 403 Forbidden: backup needs an admin token",
		},
		"a copy cut short is an error": {
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", fmt.Sprint(len(db)))
				_, _ = w.Write(db[:1000])
				w.(http.Flusher).Flush()
				panic(http.ErrAbortHandler)
			},
			wantErr: "backup: copy after",
		},
		"an HTML page is not taken for a database": {
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				_, _ = io.WriteString(w, "<html>login</html>")
			},
			wantErr: "answered text/html instead of a database file",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c := newTestClient(t, tc.handler, Options{Token: testToken})
			var buf bytes.Buffer
			n, err := c.Backup(context.Background(), &buf)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if n != int64(len(db)) || !bytes.Equal(buf.Bytes(), db) {
				t.Errorf("got %d bytes, want %d", n, len(db))
			}
		})
	}
}

func TestGetJSONDecodesTheAnswerAndKeepsThePathPrefix(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/prefix/api/v1/breaches" || r.URL.Query().Get("sla") != "it sales" {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no route " + r.URL.String()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"breaches": []string{"a", "b"}})
	}))
	t.Cleanup(srv.Close)
	c, err := New(srv.URL+"/prefix/", Options{})
	if err != nil {
		t.Fatal(err)
	}
	var out struct{ Breaches []string }
	if err := c.getJSON(context.Background(), "/api/v1/breaches", url.Values{"sla": {"it sales"}}, &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Breaches) != 2 {
		t.Errorf("got %+v", out)
	}
	err = c.getJSON(context.Background(), "/api/v1/nothing", nil, &out)
	if ae, ok := errors.AsType[*APIError](err); !ok || ae.Status != 404 {
		t.Errorf("error = %v, want a 404 *APIError", err)
	}
}

// TestAReportOfManySLAsIsReadWhole: a report of 1,000 SLAs is megabytes
// of JSON (32 MB with a quarter's history), which a bound of 1 MiB on
// every answer cut short: slad report failed with "unexpected EOF" on
// every configuration of that size.
func TestAReportOfManySLAsIsReadWhole(t *testing.T) {
	var rep wire.Report
	for i := range 1000 {
		rep.SLAs = append(rep.SLAs, wire.ReportSLA{ID: fmt.Sprintf("sla-%04d", i), Description: strings.Repeat("x", 3000)})
	}
	body, err := json.Marshal(rep)
	if err != nil || len(body) < 3<<20 {
		t.Fatalf("the answer is %d bytes, %v; want a few MiB", len(body), err)
	}
	c := newTestClient(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}, Options{})
	got, err := c.Report(context.Background(), ReportQuery{})
	if err != nil || len(got.SLAs) != 1000 {
		t.Fatalf("Report = %d SLAs, %v; want all 1,000", len(got.SLAs), err)
	}
}
