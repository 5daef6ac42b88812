package api

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/slad-project/slad/api/wire"
	"github.com/slad-project/slad/sla"
)

// TestAScorecardShowsTwentyCustomersOfAnSLAForEveryDepartment: IT's SLA
// for every department ("*") has requests of 25 of them; its scorecard
// shows 20 customers' rows and says where the other 5 are, so that an SLA
// serving 49 customers does not make a page of megabytes.
func TestAScorecardShowsTwentyCustomersOfAnSLAForEveryDepartment(t *testing.T) {
	var cfg strings.Builder
	itAndNumbered(&cfg, 25)
	cfg.WriteString(`slas:
  - id: it-all
    description: IT resolves every department's requests
    provider: it
    customers: ["*"]
    resolution: 4h
    objective: 95%
    window: 30d
`)
	srv, _ := newTestAPI(t, cfg.String(), "", nil)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	at := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	var body strings.Builder
	for i := range 25 {
		fmt.Fprintf(&body, `{"id":"o%d","request":"R%d","type":"opened","at":%q,"provider":"it","customer":"d%02d"}`+"\n", i, i, at, i)
	}
	if status, data := postEvents(t, ts.URL, "application/x-ndjson", body.String()); status != http.StatusOK {
		t.Fatalf("%d %s", status, data)
	}
	page := getPage(t, "GET", ts.URL+"/departments/it")
	rows := strings.Count(page.body, `<th scope="row"><a href="/departments/d`)
	if rows != scorecardRowsMax || !strings.Contains(page.body, `5 more customers: their figures are in <a href="/api/v1/slas/it-all">`) {
		t.Errorf("the scorecard shows %d customers' rows (want %d) and a note of the other 5: %v", rows, scorecardRowsMax, strings.Contains(page.body, "5 more customers"))
	}
}

// TestAScorecardShowsTheTwentyDepartmentsThatHeldTheMostTime: the table
// of who held an SLA's requests keeps the first 20 holders (the most time
// first, as the report orders them) and says where the rest are.
func TestAScorecardShowsTheTwentyDepartmentsThatHeldTheMostTime(t *testing.T) {
	h := &wire.Held{Target: "resolution", Requests: 30}
	for i := range 30 {
		h.Holders = append(h.Holders, wire.Holder{Department: fmt.Sprintf("d%02d", i), Requests: 1})
	}
	tb := heldTableOf(&sla.Policy{}, "it-all", h)
	if len(tb.Rows) != scorecardRowsMax || tb.More != 10 || tb.SLA != "it-all" || tb.Rows[0].Who != "d00" {
		t.Errorf("%d rows from %s, %d more of %q; want the first %d and 10 more of it-all", len(tb.Rows), tb.Rows[0].Who, tb.More, tb.SLA, scorecardRowsMax)
	}
}

// itAndNumbered writes the departments of a configuration: IT, and n
// others numbered d00, d01 and so on.
func itAndNumbered(cfg *strings.Builder, n int) {
	cfg.WriteString("departments:\n  it: {name: IT}\n")
	for i := range n {
		fmt.Fprintf(cfg, "  d%02d: {name: Department %02d}\n", i, i)
	}
}
