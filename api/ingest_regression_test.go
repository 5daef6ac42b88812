package api

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Regression (found in review):  a body with trailing garbage after the event is
// accepted when the garbage starts with "}" or "]": decodeEvent relies on
// json.Decoder.More, which reports false for a closing delimiter. The
// contract ("trailing data is an error") and the NDJSON path share it.
func TestAnEventFollowedByAStrayClosingBraceIsRejected(t *testing.T) {
	ts, _ := newIngestServer(t)
	for name, tc := range map[string]struct{ ct, body string }{
		"json with a stray brace":    {"application/json", openedEvent("g1") + "}"},
		"json with a stray bracket":  {"application/json", openedEvent("g2") + "]"},
		"ndjson with a stray brace":  {"application/x-ndjson", openedEvent("g3") + "}\n"},
		"ndjson with trailing words": {"application/x-ndjson", openedEvent("g4") + "]]]} garbage\n"},
	} {
		t.Run(name, func(t *testing.T) {
			resp, err := http.Post(ts.URL+"/api/v1/events", tc.ct, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			data, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("body %q: got %d %s; want 400 naming the trailing data", tc.body, resp.StatusCode, data)
			}
		})
	}
}

// Regression (found in review):  GET /api/v1/report counts only stopped clocks, so for
// the same SLA and the same window it disagrees with /api/v1/slas, which
// (as DESIGN.md defines compliance) also counts open clocks already
// breached. An SLA whose every request is overdue reports 100% compliance.
func TestReportComplianceCountsOpenBreachedClocksLikeTheSLAView(t *testing.T) {
	ts, _ := newIngestServer(t)
	ev := fmt.Sprintf(`{"id":"late","request":"late","type":"opened","at":%q,"provider":"it","customer":"sales"}`,
		time.Now().UTC().Add(-2*time.Hour).Format(time.RFC3339))
	resp, err := http.Post(ts.URL+"/api/v1/events", "application/json", strings.NewReader(ev))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var standing struct {
		Targets []struct {
			Compliance float64 `json:"compliance"`
			Counted    int64   `json:"counted"`
		} `json:"targets"`
	}
	getJSON(t, ts.URL+"/api/v1/slas/it-sales", &standing)
	var report struct {
		SLAs []struct {
			Targets []struct {
				Compliance float64 `json:"compliance"`
				Counted    int64   `json:"counted"`
			} `json:"targets"`
		} `json:"slas"`
	}
	getJSON(t, ts.URL+"/api/v1/report?sla=it-sales", &report)
	s, r := standing.Targets[0], report.SLAs[0].Targets[0]
	if s.Compliance != r.Compliance || s.Counted != r.Counted {
		t.Errorf("same SLA, same window: /api/v1/slas says compliance %v over %d, /api/v1/report says %v over %d", s.Compliance, s.Counted, r.Compliance, r.Counted)
	}
}

// Regression (found in review):  a report with only "to", earlier than the current
// window's start, takes "from" from the current window and answers 200 with
// from after to and an empty, 100% compliant period, instead of a 400 (or
// a "from" derived from "to").
func TestAReportWithOnlyAnEarlyToIsNotAnEmptyReversedPeriod(t *testing.T) {
	ts, _ := newIngestServer(t)
	resp, err := http.Get(ts.URL + "/api/v1/report?to=2020-01-31")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		SLAs []struct{ From, To string } `json:"slas"`
	}
	json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode == http.StatusOK && len(out.SLAs) > 0 && out.SLAs[0].From > out.SLAs[0].To {
		t.Errorf("GET /api/v1/report?to=2020-01-31 answered 200 with from=%s to=%s", out.SLAs[0].From, out.SLAs[0].To)
	}
}

func getJSON(t *testing.T, url string, out any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		data, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, data)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
}
