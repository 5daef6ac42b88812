package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// reportFixture is GET /api/v1/report as the server encodes it (wire.Report
// through api's writeJSON): one SLA with a target below its objective, one
// whose compliance of 94.995% must not show as 95.0%, and one with nothing
// counted (nulls).
const reportFixture = `{
  "generated_at": "2026-11-25T12:00:00Z",
  "slas": [
    {
      "id": "it-sales-incidents",
      "description": "IT answers \u0026 fixes incidents raised by Sales, Marketing",
      "provider": "it",
      "customers": [
        "sales",
        "marketing"
      ],
      "objective": 0.95,
      "from": "2026-11-01",
      "to": "2026-11-30",
      "csat_average": 3.6666666666666665,
      "csat_count": 3,
      "targets": [
        {
          "target": "response",
          "counted": 40,
          "met": 39,
          "breached": 1,
          "open_breached": 0,
          "compliance": 0.975,
          "meets_objective": true,
          "error_budget_remaining": 0.5,
          "median_elapsed_seconds": 754,
          "p90_elapsed_seconds": 1500
        },
        {
          "target": "resolution",
          "counted": 40,
          "met": 36,
          "breached": 4,
          "open_breached": 0,
          "compliance": 0.9,
          "meets_objective": false,
          "error_budget_remaining": -1,
          "median_elapsed_seconds": 11520,
          "p90_elapsed_seconds": 100800
        }
      ],
      "by_customer": [
        {
          "customer": "sales",
          "csat_average": 5,
          "csat_count": 1,
          "targets": [
            {
              "target": "response",
              "counted": 30,
              "met": 30,
              "breached": 0,
              "open_breached": 0,
              "compliance": 1,
              "meets_objective": true,
              "error_budget_remaining": 1,
              "median_elapsed_seconds": 600,
              "p90_elapsed_seconds": 1200
            }
          ]
        },
        {
          "customer": "marketing",
          "csat_average": null,
          "csat_count": 0,
          "targets": []
        }
      ]
    },
    {
      "id": "facilities-hr-moves",
      "description": "Facilities moves desks for HR \"within 3 days\"",
      "provider": "facilities",
      "customers": [
        "hr"
      ],
      "objective": 0.95,
      "from": "2026-11-01",
      "to": "2026-11-25",
      "csat_average": null,
      "csat_count": 0,
      "targets": [
        {
          "target": "resolution",
          "counted": 20000,
          "met": 18999,
          "breached": 1001,
          "open_breached": 0,
          "compliance": 0.94995,
          "meets_objective": false,
          "error_budget_remaining": -0.001,
          "median_elapsed_seconds": 86700,
          "p90_elapsed_seconds": 198059
        }
      ],
      "by_customer": []
    },
    {
      "id": "it-oncall",
      "provider": "it",
      "customers": [
        "*"
      ],
      "objective": 0.99,
      "from": "2026-11-01",
      "to": "2026-11-25",
      "csat_average": null,
      "csat_count": 0,
      "targets": [
        {
          "target": "response",
          "counted": 0,
          "met": 0,
          "breached": 0,
          "open_breached": 0,
          "compliance": 1,
          "meets_objective": true,
          "error_budget_remaining": 1,
          "median_elapsed_seconds": null,
          "p90_elapsed_seconds": null
        }
      ],
      "by_customer": []
    }
  ]
}
`

// fakeReport answers GET /api/v1/report with a fixed status and body and
// remembers what it was asked.
type fakeReport struct {
	status      int
	contentType string
	body        string

	mu    sync.Mutex
	calls []*http.Request
}

func (f *fakeReport) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.calls = append(f.calls, r.Clone(context.Background()))
	f.mu.Unlock()
	if r.Method != http.MethodGet || r.URL.Path != "/api/v1/report" {
		answerJSON(w, http.StatusNotFound, map[string]string{"error": "no such endpoint: " + r.Method + " " + r.URL.Path})
		return
	}
	ct := f.contentType
	if ct == "" {
		ct = "application/json"
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(f.status)
	// A write that fails shows in what the command prints, which is what
	// the tests check.
	_, _ = io.WriteString(w, f.body)
}

func (f *fakeReport) requests() []*http.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*http.Request(nil), f.calls...)
}

func newFakeReport(t *testing.T, status int, body string) (*fakeReport, string) {
	t.Helper()
	f := &fakeReport{status: status, body: body}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv.URL
}
