package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// feedbackBody is an answer of GET /api/v1/feedback: IT scored +25 by
// Sales on 4 answers, nothing yet from HR.
const feedbackBody = `{"window":"quarter","from":"2026-10-01","to":"2026-11-25",
 "providers":[{"provider":"it","inps":25,"responses":4,"promoters":2,"passives":1,"detractors":1}],
 "pairs":[{"provider":"it","customer":"hr","inps":null,"responses":0,"promoters":0,"passives":0,"detractors":0},
          {"provider":"it","customer":"sales","inps":25,"responses":4,"promoters":2,"passives":1,"detractors":1}]}`

func TestReportFeedbackInEachFormat(t *testing.T) {
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = append(asked, r.URL.String())
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(feedbackBody))
	}))
	t.Cleanup(srv.Close)
	tests := map[string]struct {
		format string
		want   string
	}{
		"a table says what each score stands on": {"table", "Internal NPS, 2026-10-01 to 2026-11-25 (quarter): % promoters (9-10) - % detractors (0-6)\n\n" +
			"it  from all customers  +25 from 4 answers (2 promoters, 1 passive, 1 detractor)\n" +
			"    from hr             no answers\n" +
			"    from sales          +25 from 4 answers (2 promoters, 1 passive, 1 detractor)\n"},
		"csv leaves the score empty without answers": {"csv", "provider,customer,from,to,inps,responses,promoters,passives,detractors\n" +
			"it,,2026-10-01,2026-11-25,25,4,2,1,1\n" +
			"it,hr,2026-10-01,2026-11-25,,0,0,0,0\n" +
			"it,sales,2026-10-01,2026-11-25,25,4,2,1,1\n"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			code, stdout, stderr := slad(t, "report", "--server", srv.URL, "--feedback", "--format", tc.format)
			if code != 0 || stdout != tc.want {
				t.Errorf("exit %d, stderr %q, stdout\n%s\nwant\n%s", code, stderr, stdout, tc.want)
			}
		})
	}
	code, stdout, _ := slad(t, "report", "--server", srv.URL, "--feedback", "--format", "json", "--from", "2026-01-01")
	var back struct{ Pairs []json.RawMessage }
	if err := json.Unmarshal([]byte(stdout), &back); code != 0 || err != nil || len(back.Pairs) != 2 {
		t.Errorf("json: exit %d, %v, %s", code, err, stdout)
	}
	if last := asked[len(asked)-1]; last != "/api/v1/feedback?from=2026-01-01" {
		t.Errorf("asked %s, want /api/v1/feedback?from=2026-01-01", last)
	}
	if !strings.HasPrefix(asked[0], "/api/v1/feedback") {
		t.Errorf("asked %v", asked)
	}
}
