package main

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// What slad report asks the server for, and how it fails: bad usage, an
// error answer, nobody listening, no answer in time. What it prints from
// an answer is in report_test.go.

func TestReportSendsTheQueryTheFlagsAskFor(t *testing.T) {
	tests := map[string]struct {
		args []string
		want url.Values
	}{
		"without flags every SLA's current window is asked for": {args: nil, want: url.Values{}},
		"one SLA is asked for by its id":                        {args: []string{"--sla", "it-oncall"}, want: url.Values{"sla": {"it-oncall"}}},
		"one customer is asked for by its department id":        {args: []string{"--customer", "sales"}, want: url.Values{"customer": {"sales"}}},
		"a period is sent as both dates": {
			args: []string{"--from", "2026-11-01", "--to", "2026-11-30"},
			want: url.Values{"from": {"2026-11-01"}, "to": {"2026-11-30"}},
		},
		"one day is a period": {
			args: []string{"--from", "2026-11-24", "--to", "2026-11-24", "--sla", "a b&c"},
			want: url.Values{"sla": {"a b&c"}, "from": {"2026-11-24"}, "to": {"2026-11-24"}},
		},
		"a start alone is sent alone": {args: []string{"--from", "2026-01-01"}, want: url.Values{"from": {"2026-01-01"}}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f, srv := newFakeReport(t, http.StatusOK, reportFixture)
			if code, _, stderr := slad(t, append([]string{"report", "--server", srv + "/"}, tc.args...)...); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			reqs := f.requests()
			if len(reqs) != 1 {
				t.Fatalf("the server got %d requests, want 1", len(reqs))
			}
			if got := reqs[0].URL.Query(); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("query = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestReportSendsTheTokenAndNeverShowsIt(t *testing.T) {
	f, srv := newFakeReport(t, http.StatusForbidden, `{"error":"this token may not read reports"}`)
	tokenFile := writeFile(t, filepath.Join(t.TempDir(), "token"), secretToken+"\n")
	code, stdout, stderr := slad(t, "report", "--server", srv, "--token-file", tokenFile)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if reqs := f.requests(); len(reqs) != 1 || reqs[0].Header.Get("Authorization") != "Bearer "+secretToken {
		t.Errorf("the token was not sent as a bearer token")
	}
	if !strings.HasPrefix(stderr, "slad report: this token may not read reports\nCheck --token-file") {
		t.Errorf("stderr = %q", stderr)
	}
	if strings.Contains(stdout+stderr, secretToken) {
		t.Errorf("the token appears in the output")
	}
}

func TestReportRejectsBadUsageWithoutAskingTheServer(t *testing.T) {
	tests := map[string]struct {
		args     []string
		wantCode int
		want     string
	}{
		"a trend by day is refused": {
			args: []string{"--by", "day"}, wantCode: 2,
			want: "slad report: --by \"day\": use week, month or holder\n",
		},
		"a trend over a chosen period is refused": {
			args: []string{"--by", "week", "--from", "2026-11-01"}, wantCode: 2,
			want: "slad report: --by shows the last 12 weeks or months up to today: it takes no --from or --to\n",
		},
		"a date not written as YYYY-MM-DD is refused": {
			args: []string{"--from", "2026-11-1"}, wantCode: 2,
			want: "slad report: --from: \"2026-11-1\" is not a date: write it as YYYY-MM-DD, e.g. 2026-12-24\n",
		},
		"a date that does not exist is refused": {
			args: []string{"--from", "2026-02-01", "--to", "2026-02-30"}, wantCode: 2,
			want: "slad report: --to: \"2026-02-30\" is not a date",
		},
		"an end before the start is refused": {
			args: []string{"--from", "2026-11-30", "--to", "2026-11-01"}, wantCode: 2,
			want: "slad report: --to 2026-11-01 is before --from 2026-11-30: the period runs from --from to --to, both days included\n",
		},
		"an unknown format is refused": {
			args: []string{"--format", "xml"}, wantCode: 2, want: "slad report: --format \"xml\": use table, csv or json\n",
		},
		"an SLA given without --sla is refused": {
			args: []string{"it-oncall"}, wantCode: 2, want: "slad report: unexpected argument \"it-oncall\": report takes flags only\n",
		},
		"an unknown flag is refused":    {args: []string{"--since", "2026-11-01"}, wantCode: 2, want: "flag provided but not defined: -since"},
		"a negative timeout is refused": {args: []string{"--timeout", "-1s"}, wantCode: 2, want: "--timeout must not be negative"},
		"help is not an error":          {args: []string{"-h"}, wantCode: 0, want: "Usage: slad report [flags]"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f, srv := newFakeReport(t, http.StatusOK, reportFixture)
			code, stdout, stderr := slad(t, append([]string{"report", "--server", srv}, tc.args...)...)
			if code != tc.wantCode || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d (want %d), stderr:\n%s\nwant it to contain %q", code, tc.wantCode, stderr, tc.want)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
			if n := len(f.requests()); n != 0 {
				t.Errorf("the server was asked %d times", n)
			}
		})
	}
}

func TestReportFailuresExit1WithASentence(t *testing.T) {
	tests := map[string]struct {
		status      int
		contentType string
		body        string
		want        string // the whole of stderr, or its start when it ends in "…"
	}{
		"the server's sentence follows the command's name": {
			status: 400, body: `{"error":"parameter \"sla\": no SLA \"nope\" in the configuration"}`,
			want: "slad report: parameter \"sla\": no SLA \"nope\" in the configuration\n",
		},
		"a failing store is reported in the server's words": {
			status: 500, body: `{"error":"reading the figures failed: input/output error"}`,
			want: "slad report: reading the figures failed: input/output error\n",
		},
		"a proxy's error page is not repeated": {
			status: 502, contentType: "text/html", body: "<html><body>Bad Gateway</body></html>",
			want: "slad report: the server answered 502 Bad Gateway\n",
		},
		"a server without the endpoint points at --server": {
			status: 404, body: `{"error":"no such endpoint: GET /api/v1/report"}`,
			want: "slad report: no such endpoint: GET /api/v1/report\nCheck --server (…",
		},
		"an answer that is not a report is refused": {
			status: 200, body: `{"status":"ok"}`,
			want: "slad report: get /api/v1/report: the answer is JSON but not a report (it has no \"slas\"); check that the server URL points at slad\n",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f, srv := newFakeReport(t, tc.status, tc.body)
			f.contentType = tc.contentType
			code, stdout, stderr := slad(t, "report", "--server", srv, "--sla", "nope")
			if code != 1 || stdout != "" {
				t.Errorf("exit %d (want 1), stdout %q", code, stdout)
			}
			if prefix, ok := strings.CutSuffix(tc.want, "…"); ok {
				if !strings.HasPrefix(stderr, prefix) {
					t.Errorf("stderr = %q, want it to start with %q", stderr, prefix)
				}
			} else if stderr != tc.want {
				t.Errorf("stderr = %q, want %q", stderr, tc.want)
			}
		})
	}
}

func TestReportWithNobodyListeningSuggestsServer(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	u, _ := url.Parse(dead.URL)
	u.User = url.UserPassword("ops", "hunter2")
	code, stdout, stderr := slad(t, "report", "--server", u.String())
	if code != 1 || stdout != "" {
		t.Errorf("exit %d (want 1), stdout %q", code, stdout)
	}
	for _, want := range []string{"slad report: no slad answers at ", "(connection refused)", "'slad serve'", "--server"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr = %q, want it to contain %q", stderr, want)
		}
	}
	if strings.Contains(stderr, "hunter2") {
		t.Errorf("the password in --server appears in the output: %q", stderr)
	}
}

func TestReportGivesUpAfterTheTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	t.Cleanup(srv.Close)
	code, _, stderr := slad(t, "report", "--server", srv.URL, "--timeout", "50ms")
	if want := " gave no answer within --timeout 50ms.\n"; code != 1 || !strings.HasSuffix(stderr, want) {
		t.Errorf("exit %d, stderr %q; want 1 and %q", code, stderr, want)
	}
}
