package api

import (
	"regexp"
	"strings"
	"testing"
)

// TestTheFromForColumnNamesWhoOwesWhomUnderEachClock: the attention list's
// "From → for" column names the parties of the row's SLA on the request
// (sla.SLA.PartiesOf), not the request's provider and customer. An audit
// found IT's request for Sales under Network's OLA and under Sales'
// promise shown as "Service Desk → Sales", though Network, and Sales,
// owe the desk there.
func TestTheFromForColumnNamesWhoOwesWhomUnderEachClock(t *testing.T) {
	ts := newPartiesServer(t)
	tests := map[string]struct {
		url  string
		want []string // "request sla target: from → for"
	}{
		"the status page": {"/", []string{
			"IT-5000 desk response: Service Desk → Sales",
			"IT-5000 network-ola response: Network → Service Desk",
			"IT-5001 sales-answers resolution: Sales → Service Desk",
			"IT-5002 network-ola response: Network → Service Desk",
		}},
		"the view of the department that owes under an OLA": {"/?department=network", []string{
			"IT-5000 network-ola response: Network → Service Desk",
			"IT-5002 network-ola response: Network → Service Desk",
		}},
		"the view of the department that owes a promise": {"/?department=sales", []string{
			"IT-5000 desk response: Service Desk → Sales",
			"IT-5001 sales-answers resolution: Sales → Service Desk",
		}},
	}
	cell := regexp.MustCompile(`(?s)<th scope="row"><a[^>]*>([^<]*)</a>.*?data-label="SLA and target">([^<]*)<span class="small">([^<]*)</span>.*?data-label="From → for">([^<]*)</td>`)
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			body := getPage(t, "GET", ts.URL+tc.url).body
			_, att, ok := strings.Cut(body, `id="attention"`)
			if !ok {
				t.Fatal("no attention section")
			}
			got := map[string]bool{}
			for _, m := range cell.FindAllStringSubmatch(att, -1) {
				got[m[1]+" "+m[2]+" "+m[3]+": "+text(m[4])] = true
			}
			for _, w := range tc.want {
				if !got[w] {
					t.Errorf("no row %q in %v", w, got)
				}
			}
		})
	}
}
