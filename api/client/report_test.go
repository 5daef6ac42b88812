package client

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/slad-project/slad/sla"
)

// reportAnswer has the shape wire.Report encodes to: one SLA with figures,
// one with nothing counted yet (nulls for the quantiles and CSAT).
const reportAnswer = `{
  "generated_at": "2026-11-25T12:00:00Z",
  "slas": [
    {
      "id": "it-sales-incidents",
      "description": "IT answers and fixes incidents raised by Sales",
      "provider": "it",
      "customers": ["sales"],
      "objective": 0.95,
      "from": "2026-10-27",
      "to": "2026-11-25",
      "csat_average": 4.5,
      "csat_count": 2,
      "targets": [
        {"target": "response", "counted": 20, "met": 19, "breached": 1, "compliance": 0.95,
         "meets_objective": true, "error_budget_remaining": 0, "median_elapsed_seconds": 600, "p90_elapsed_seconds": 1500}
      ]
    },
    {
      "id": "it-oncall",
      "provider": "it",
      "customers": ["*"],
      "objective": 0.99,
      "from": "2026-11-01",
      "to": "2026-11-25",
      "csat_average": null,
      "csat_count": 0,
      "targets": [
        {"target": "response", "counted": 0, "met": 0, "breached": 0, "compliance": 1,
         "meets_objective": true, "error_budget_remaining": 1, "median_elapsed_seconds": null, "p90_elapsed_seconds": null}
      ]
    }
  ]
}`

func TestReportSendsOnlyTheQueryParametersThatAreSet(t *testing.T) {
	tests := map[string]struct {
		q    ReportQuery
		want url.Values
	}{
		"the zero query asks for every SLA over its window": {q: ReportQuery{}, want: url.Values{}},
		"one SLA is named by its id":                        {q: ReportQuery{SLA: "it-sales"}, want: url.Values{"sla": {"it-sales"}}},
		"a period is sent as both dates": {
			q:    ReportQuery{From: "2026-11-01", To: "2026-11-30"},
			want: url.Values{"from": {"2026-11-01"}, "to": {"2026-11-30"}},
		},
		"one end alone is sent alone": {q: ReportQuery{To: "2026-11-30"}, want: url.Values{"to": {"2026-11-30"}}},
		"an id with odd characters is escaped": {
			q:    ReportQuery{SLA: "a b&c=d", From: "2026-01-01", To: "2026-01-31"},
			want: url.Values{"sla": {"a b&c=d"}, "from": {"2026-01-01"}, "to": {"2026-01-31"}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var got url.Values
			c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodGet || r.URL.Path != "/api/v1/report" {
					t.Errorf("got %s %s", r.Method, r.URL.Path)
				}
				if a := r.Header.Get("Accept"); a != "application/json" {
					t.Errorf("Accept = %q", a)
				}
				got = r.URL.Query()
				w.Header().Set("Content-Type", "application/json")
				// A write that fails shows in what the client reads, which is
				// what the test checks.
				_, _ = io.WriteString(w, reportAnswer)
			}, Options{})
			if _, err := c.Report(context.Background(), tc.q); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("query = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestReportDecodesFiguresAndNulls(t *testing.T) {
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("Authorization"); got != "Bearer "+testToken {
			t.Errorf("Authorization = %q", got)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, reportAnswer)
	}, Options{Token: testToken})
	r, err := c.Report(context.Background(), ReportQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if !r.GeneratedAt.Equal(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)) || len(r.SLAs) != 2 {
		t.Fatalf("report = %+v", r)
	}
	first, second := r.SLAs[0], r.SLAs[1]
	if first.ID != "it-sales-incidents" || first.Objective != 0.95 || first.From != "2026-10-27" || first.To != "2026-11-25" ||
		first.CSATAverage == nil || *first.CSATAverage != 4.5 || first.CSATCount != 2 || len(first.Targets) != 1 {
		t.Errorf("first SLA = %+v", first)
	}
	rt := first.Targets[0]
	if rt.Target != sla.Response || rt.Counted != 20 || rt.Met != 19 || rt.Breached != 1 || rt.Compliance != 0.95 ||
		!rt.MeetsObjective || rt.ErrorBudgetRemaining != 0 ||
		rt.MedianElapsedSeconds == nil || *rt.MedianElapsedSeconds != 600 || rt.P90ElapsedSeconds == nil || *rt.P90ElapsedSeconds != 1500 {
		t.Errorf("first target = %+v", rt)
	}
	if second.Description != "" || second.CSATAverage != nil || second.Targets[0].MedianElapsedSeconds != nil || second.Targets[0].P90ElapsedSeconds != nil {
		t.Errorf("second SLA = %+v; want nulls kept as nil", second)
	}
}

func TestReportErrors(t *testing.T) {
	tests := map[string]struct {
		status  int
		body    string
		wantAPI *APIError
		wantErr string
	}{
		"an unknown SLA comes back as the server's sentence": {
			status: 400, body: `{"error": "parameter \"sla\": no SLA \"nope\" in the configuration"}`,
			wantAPI: &APIError{Status: 400, Message: `parameter "sla": no SLA "nope" in the configuration`},
		},
		"a JSON answer that is not a report is refused": {
			status: 200, body: `{"status": "ok"}`,
			wantErr: `get /api/v1/report: the answer is JSON but not a report`,
		},
		"an answer that is not JSON is refused": {
			status: 200, body: `<html>login</html>`,
			wantErr: `get /api/v1/report: read the answer (200 OK`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.body)
			}, Options{})
			r, err := c.Report(context.Background(), ReportQuery{SLA: "nope"})
			if err == nil || r != nil {
				t.Fatalf("Report = %+v, %v; want an error", r, err)
			}
			if tc.wantAPI != nil {
				ae, ok := errors.AsType[*APIError](err)
				if !ok || ae.Status != tc.wantAPI.Status || ae.Message != tc.wantAPI.Message {
					t.Errorf("error = %#v, want %+v", err, tc.wantAPI)
				}
				return
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error = %q, want it to contain %q", err, tc.wantErr)
			}
		})
	}
}
