//go:build unix

package daemon

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/slad-project/slad/internal/testutil"
)

// earlierWeeks are eleven weeks of Sales incidents before the fixture's
// week, three a week, so that the scorecard's charts have a trend to draw:
// a late answer in weeks 4 and 8, a late fix in week 6, none in week 10.
func earlierWeeks() [][]map[string]any {
	monday := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	var out [][]map[string]any
	for w := 1; w <= 11; w++ {
		if w == 10 {
			continue // a quiet week: the charts show a gap, not a zero
		}
		opened := monday.AddDate(0, 0, -7*w+1).Add(9 * time.Hour) // Tuesday 10:00 or 11:00 in Berlin
		for k := range 3 {
			id := fmt.Sprintf("S-%d-%d", w, k)
			respond := []time.Duration{10 * time.Minute, time.Duration(15+w) * time.Minute, 20 * time.Minute}[k]
			if k == 2 && w%4 == 0 {
				respond = 45 * time.Minute
			}
			resolve := time.Hour + time.Duration(k*40+w*5)*time.Minute
			if k == 2 && w == 6 {
				resolve = 30 * time.Hour // Wednesday: well past its 4h
			}
			at := func(d time.Duration) string { return opened.Add(d).Format(time.RFC3339) }
			out = append(out, []map[string]any{
				event(id+"a", id, "opened", at(0), "provider", "it", "customer", "sales", "priority", "P1", "category", "incident", "title", "Quote tool slow"),
				event(id+"b", id, "responded", at(respond)),
				event(id+"c", id, "resolved", at(resolve), "csat", 3+(w+k)%3),
			})
		}
	}
	return out
}

var (
	svgTitleRE = regexp.MustCompile(`<title id="([^"]+)-t">([^<]*)</title><desc id="([^"]+)-d">([^<]*)</desc>`)
	hiddenRE   = regexp.MustCompile(`<div class="visually-hidden"><table><caption>([^<]*)</caption>`)
)

func TestDepartmentScorecardInARealBrowser(t *testing.T) {
	browser := findBrowser(t)
	dir := t.TempDir()
	clock := testutil.NewClock(testNow)
	in := start(t, copyConfig(t, dir), filepath.Join(dir, "data"), clock.Now)
	for _, h := range append(earlierWeeks(), histories()...) {
		if status, body := in.post(adminToken, h...); status != 200 {
			t.Fatalf("post: %d %v", status, body)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var d struct {
			WaitingTotal int `json:"waiting_total"`
		}
		if in.getJSON("/api/v1/departments/sales", &d); d.WaitingTotal == 2 {
			break // IT-2 breached, and IT-3 at risk once a tick fired its warning
		}
		if time.Now().After(deadline) {
			t.Fatal("Sales was not waiting for IT-2 and IT-3 within 30s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	out := artifactDir(t)
	t.Logf("screenshots and the printed scorecard go to %s", out)

	t.Run("the Sales scorecard shows what Sales receives and waits for", func(t *testing.T) {
		dom := string(headless(t, browser, "--dump-dom", in.url+"/departments/sales"))
		text := domText(dom)
		for _, want := range []string{
			"Sales", "What Sales provides", "Sales provides no SLA",
			"What Sales receives", "it-sales-incidents from IT Service Desk", "it-oncall from IT Service Desk",
			"Requests of Sales at risk or breached", "2 requests of Sales breached or at risk",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("the scorecard lacks %q:\n%s", want, text)
			}
		}
		if strings.Contains(text, "Received, from each customer") || !strings.Contains(text, "Given, to each provider") {
			t.Error("Sales gives no SLA here: its page should show the iNPS it gave, not one it cannot receive")
		}
		if rows := domRows(dom, "IT-2"); len(rows) != 1 || !strings.HasPrefix(rows[0], "IT-2 Breached") {
			t.Errorf("IT-2 should be listed once, breached: %q", rows)
		}
		if rows := domRows(dom, "IT-3"); len(rows) != 1 || !strings.HasPrefix(rows[0], "IT-3 At risk") {
			t.Errorf("IT-3 should be listed once, at risk: %q", rows)
		}
		// The SLA heads two rows: its scorecard row among the SLAs Sales
		// receives, and its line in the time Sales held requests (waited on
		// as the customer).
		var received []string
		for _, row := range domRows(dom, "it-sales-incidents") {
			if strings.HasPrefix(row, "it-sales-incidents from ") {
				received = append(received, row)
			}
		}
		if len(received) != 1 || !strings.Contains(received[0], "escalated") {
			t.Errorf("the it-sales-incidents row should count IT-2 as escalated: %q", received)
		}
	})

	t.Run("each chart has a text alternative a screen reader reads", func(t *testing.T) {
		dom := string(headless(t, browser, "--dump-dom", in.url+"/departments/sales"))
		titles := map[string]string{}
		for _, m := range svgTitleRE.FindAllStringSubmatch(dom, -1) {
			titles[m[2]] = m[4]
			if !strings.Contains(dom, fmt.Sprintf(`aria-labelledby="%s-t %s-d"`, m[1], m[3])) {
				t.Errorf("the chart %q is not labelled by its title and description", m[2])
			}
		}
		desc, ok := titles["Compliance per week of it-sales-incidents for Sales"]
		if !ok {
			t.Fatalf("no compliance chart for Sales; charts: %v", titles)
		}
		for _, want := range []string{"12 weeks", "latest", "lowest", "Objective 95%: below it in", "No figure in 1 week."} {
			if !strings.Contains(desc, want) {
				t.Errorf("the compliance chart's description lacks %q: %s", want, desc)
			}
		}
		for _, want := range []string{"Breaches per week of it-sales-incidents for Sales", "Median resolution per week of it-sales-incidents for Sales", "Compliance per week of it-oncall for Sales"} {
			if _, ok := titles[want]; !ok {
				t.Errorf("no chart %q; charts: %v", want, titles)
			}
		}
		var captions []string
		for _, m := range hiddenRE.FindAllStringSubmatch(dom, -1) {
			captions = append(captions, m[1])
		}
		if !strings.Contains(strings.Join(captions, "|"), "Compliance per week of it-sales-incidents for Sales") {
			t.Errorf("no visually-hidden table of the compliance figures; tables: %q", captions)
		}
	})

	t.Run("the status page links each department to its scorecard and draws a trend per SLA", func(t *testing.T) {
		dom := string(headless(t, browser, "--dump-dom", in.url+"/"))
		if !strings.Contains(dom, `href="/departments/it"`) {
			t.Error("the status page does not link IT's scorecard")
		}
		if row := domRows(dom, "it-sales-incidents"); len(row) != 1 || !strings.Contains(row[0], "Compliance per week, last 12 weeks") {
			t.Errorf("the it-sales-incidents row has no trend chart: %q", row)
		}
	})

	t.Run("screenshots on a desktop and a phone show the styled scorecard", func(t *testing.T) {
		takeScreenshots(t, browser, out, in.url, []shot{
			{"department-sales-desktop.png", "/departments/sales", 1280, 2200},
			{"department-sales-phone.png", "/departments/sales", 390, 2400},
			{"department-it-desktop.png", "/departments/it", 1280, 2200},
			{"status-trends-desktop.png", "/", 1280, 1600},
		})
	})

	t.Run("the printed scorecard is a PDF", func(t *testing.T) {
		printToPDF(t, browser, out, "department-sales.pdf", in.url+"/departments/sales")
	})
}
