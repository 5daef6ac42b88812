package api

import (
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
