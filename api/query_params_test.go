package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestBadQueryParametersGetA400ThatSaysWhatToFix covers the read
// endpoints' bad input: each answer is a JSON error naming the parameter.
func TestBadQueryParametersGetA400ThatSaysWhatToFix(t *testing.T) {
	ts, _ := newIngestServer(t)
	cases := map[string]struct {
		path     string
		status   int
		errorHas string
	}{
		"breaches: an unknown SLA":              {"/api/v1/breaches?sla=nope", 400, `no SLA "nope"`},
		"breaches: the SLAs there are":          {"/api/v1/breaches?sla=nope", 400, "the SLAs are: "},
		"breaches: a since that is no time":     {"/api/v1/breaches?since=yesterday", 400, `parameter "since"`},
		"breaches: an until that is no time":    {"/api/v1/breaches?until=2026-13-01", 400, `parameter "until"`},
		"breaches: since after until":           {"/api/v1/breaches?since=2026-11-20&until=2026-11-10", 400, "the period is empty"},
		"breaches: a limit out of range":        {"/api/v1/breaches?limit=5000", 400, `parameter "limit"`},
		"breaches: a cursor it did not give":    {"/api/v1/breaches?cursor=!!", 400, `parameter "cursor"`},
		"report: an impossible date":            {"/api/v1/report?from=2026-02-30", 400, `parameter "from"`},
		"report: to before from":                {"/api/v1/report?from=2026-11-20&to=2026-11-10", 400, `"to" (2026-11-10) is before "from"`},
		"report: an unknown SLA":                {"/api/v1/report?sla=nope", 400, `no SLA "nope"`},
		"report: a from after the window":       {"/api/v1/report?from=2999-12-05", 400, `the period of SLA "it-sales" would run from 2999-12-05 to `},
		"report: what a late from may do":       {"/api/v1/report?from=2999-12-05", 400, `backwards: "from" is after the current window's last day; give "to" as well, or an earlier "from"`},
		"feedback: an impossible date":          {"/api/v1/feedback?to=2026-02-30", 400, `parameter "to"`},
		"feedback: to before from":              {"/api/v1/feedback?from=2026-12-02&to=2026-12-01", 400, `parameter "to" (2026-12-01) is before "from" (2026-12-02)`},
		"feedback: a from after the window":     {"/api/v1/feedback?from=2999-12-05", 400, `the period would run from 2999-12-05 to `},
		"feedback: what a late from may do":     {"/api/v1/feedback?from=2999-12-05", 400, `backwards: "from" is after the current window's last day; give "to" as well, or an earlier "from"`},
		"request: an explain that is no yes/no": {"/api/v1/requests/R-1?explain=maybe", 400, `parameter "explain"`},
		"sla: an unknown id":                    {"/api/v1/slas/nope", 404, "the SLAs are: "},
		"slas: a pretty that is no yes/no":      {"/api/v1/slas?pretty=please", 400, `parameter "pretty"`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			resp, err := http.Get(ts.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body struct{ Error string }
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatalf("error body is not JSON: %v", err)
			}
			if resp.StatusCode != tc.status || !strings.Contains(body.Error, tc.errorHas) {
				t.Errorf("got %d %q; want %d and an error containing %q", resp.StatusCode, body.Error, tc.status, tc.errorHas)
			}
		})
	}
}
