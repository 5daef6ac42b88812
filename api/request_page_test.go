package api

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/slad-project/slad/sla"
)

func TestRequestPageExplainsEachClock(t *testing.T) {
	ts := newStatusServer(t)
	cases := map[string]struct {
		path   string
		status int
		has    []string
	}{
		"a breached request shows its clock, its deadline and a ledger that adds up": {
			"/requests/IT-2", 200,
			[]string{"Request IT-2: Printer on fire", "Breached", "ago", "outside business hours", "business hours: counted"},
		},
		"a paused request shows the pause and its reason": {
			"/requests/IT-5", 200,
			[]string{"Paused", "paused (waiting_for_customer)"},
		},
		"titles are escaped": {
			"/requests/IT-3", 200,
			[]string{"Quote &lt;b&gt;&#34;urgent&#34;&lt;/b&gt; &amp; more"},
		},
		"an unknown request is a 404 page that says so": {
			"/requests/NOPE-1", 404,
			[]string{"No such request", "NOPE-1"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p := getPage(t, "GET", ts.URL+tc.path)
			if p.status != tc.status {
				t.Fatalf("status %d, want %d", p.status, tc.status)
			}
			for _, h := range tc.has {
				if !strings.Contains(p.body, h) {
					t.Errorf("the page lacks %q", h)
				}
			}
			if p.header.Get("Content-Security-Policy") != statusCSP {
				t.Error("the page is served without the status page's CSP")
			}
			if strings.Contains(p.body, "<script") || strings.Contains(p.body, "http://") || strings.Contains(p.body, "https://") {
				t.Error("the page references a script or an external URL")
			}
		})
	}
}

// A ledger row's counted time is written to the second, as its caption's
// total is: a row said "3h5m" under "adds up to 3h 5m 46s".
func TestALedgerRowCountsItsTimeToTheSecond(t *testing.T) {
	from := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	rows := ledgerRows([]sla.Segment{
		{Kind: sla.SegmentCounting, From: from, To: from.Add(3*time.Hour + 5*time.Minute + 46*time.Second)},
		{Kind: sla.SegmentPaused, From: from.Add(4 * time.Hour), To: from.Add(5 * time.Hour), Reason: "waiting_for_customer"},
	}, time.UTC)
	if len(rows) != 2 || rows[0].Counted != "3h 5m 46s" || rows[1].Counted != "—" {
		t.Errorf("ledger rows %+v, want 3h 5m 46s counted, then — for the pause", rows)
	}
}

// TestARequestPageShowsAHundredRowsOfALongLedger: a request paused and
// resumed 150 times has a ledger of 300 rows per clock; its page shows
// the first 100 and says how many more its JSON has, so that the page of
// a long-lived request stays small (1,000 events made a page of 1.39 MB).
func TestARequestPageShowsAHundredRowsOfALongLedger(t *testing.T) {
	const cfg = `
departments:
  it: {name: IT}
  sales: {name: Sales}
slas:
  - id: it-sales
    description: IT resolves Sales' requests
    provider: it
    customers: [sales]
    resolution: 30d
    pause_on: [waiting_for_customer]
    objective: 95%
    window: 30d
`
	srv, _ := newTestAPI(t, cfg, "", nil)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	start := time.Now().UTC().Add(-300 * time.Minute).Truncate(time.Minute)
	at := func(m int) string { return start.Add(time.Duration(m) * time.Minute).Format(time.RFC3339) }
	var body strings.Builder
	fmt.Fprintf(&body, `{"id":"o","request":"LONG","type":"opened","at":%q,"provider":"it","customer":"sales"}`+"\n", at(0))
	for i := range 150 {
		fmt.Fprintf(&body, `{"id":"p%d","request":"LONG","type":"paused","at":%q,"reason":"waiting_for_customer"}`+"\n", i, at(2*i+1))
		fmt.Fprintf(&body, `{"id":"r%d","request":"LONG","type":"resumed","at":%q}`+"\n", i, at(2*i+2))
	}
	if status, data := postEvents(t, ts.URL, "application/x-ndjson", body.String()); status != http.StatusOK {
		t.Fatalf("%d %s", status, data)
	}
	page := getPage(t, "GET", ts.URL+"/requests/it/LONG")
	rows := strings.Count(page.body, `<td data-label="Counted"`)
	// 301 rows or so: the last one runs to now, which may fall in a new minute.
	var more int
	if i := strings.Index(page.body, `<p class="more">`); i >= 0 {
		_, _ = fmt.Sscanf(page.body[i+len(`<p class="more">`):], "%d more rows of this ledger", &more)
	}
	if rows != ledgerRowsMax || more < 200 {
		t.Errorf("the page shows %d ledger rows (want %d) and says %d more are in the JSON (want 200 or so)", rows, ledgerRowsMax, more)
	}
}
