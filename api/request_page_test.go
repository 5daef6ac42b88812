package api

import (
	"strings"
	"testing"
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
