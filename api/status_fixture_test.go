package api

import (
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/sla"
)

// The status page tests' data set and the helpers that read the page as
// a person does.

// statusNow is Tuesday 24 November 2026, 13:00 in Berlin: lunch break on
// the office calendar.
var statusNow = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func ev(id, request string, typ sla.EventType, at string, set ...func(*sla.Event)) sla.Event {
	t, err := time.Parse(time.RFC3339, at)
	if err != nil {
		panic(err)
	}
	e := sla.Event{ID: id, Request: request, Type: typ, At: t}
	for _, f := range set {
		f(&e)
	}
	return e
}

func opened(provider, customer, priority, category, title string) func(*sla.Event) {
	return func(e *sla.Event) {
		e.Provider, e.Customer, e.Priority, e.Category, e.Title = provider, customer, priority, category, title
	}
}

func csat(n int) func(*sla.Event) { return func(e *sla.Event) { e.CSAT = n } }

// statusEvents are request lives that put each SLA of testdata/status.yaml
// in a different standing at statusNow.
func statusEvents() []sla.Event {
	return []sla.Event{
		// Met on the office calendar, late for the on-call SLA's 15m.
		ev("a1", "IT-1", sla.Opened, "2026-11-23T09:00:00Z", opened("it", "sales", "P1", "incident", "VPN down")),
		ev("a2", "IT-1", sla.Responded, "2026-11-23T09:20:00Z"),
		ev("a3", "IT-1", sla.Resolved, "2026-11-23T10:00:00Z", csat(5)),
		// Breached: opened Monday 15:00 in Berlin, nothing since. Its 4h
		// of business time ran out Tuesday 11:00 in Berlin (10:00 UTC).
		ev("b1", "IT-2", sla.Opened, "2026-11-23T14:00:00Z", opened("it", "sales", "P1", "incident", "Printer on fire")),
		// At risk: 2h30m of its 4h gone by the lunch break; the clock
		// resumes at 13:30 and runs out at 15:00 in Berlin (14:00 UTC).
		ev("c1", "IT-3", sla.Opened, "2026-11-24T09:00:00Z", opened("it", "sales", "P1", "incident", `Quote <b>"urgent"</b> & more`)),
		ev("c2", "IT-3", sla.Responded, "2026-11-24T09:10:00Z"),
		// At risk while paused: 2h30m of its 4h gone when Sales was asked
		// for more details on Tuesday 09:30 in Berlin.
		ev("e1", "IT-5", sla.Opened, "2026-11-23T14:00:00Z", opened("it", "sales", "P1", "incident", "CRM export fails")),
		ev("e2", "IT-5", sla.Responded, "2026-11-23T14:05:00Z"),
		ev("e3", "IT-5", sla.Paused, "2026-11-24T08:30:00Z", func(e *sla.Event) { e.Reason = "waiting_for_customer" }),
		// Only the on-call SLA applies to a P3 for HR.
		ev("d1", "IT-4", sla.Opened, "2026-11-24T10:00:00Z", opened("it", "hr", "P3", "", "New laptop")),
		ev("d2", "IT-4", sla.Responded, "2026-11-24T10:05:00Z"),
		// Breached: 21h of business time from Wednesday 09:00 ran out
		// Friday 17:00 in Berlin.
		ev("f1", "FAC-1", sla.Opened, "2026-11-18T08:00:00Z", opened("facilities", "hr", "", "", "Move 4 desks to floor 2")),
		ev("g1", "FAC-2", sla.Opened, "2026-11-10T08:00:00Z", opened("facilities", "hr", "", "", "Fix a chair")),
		ev("g2", "FAC-2", sla.Resolved, "2026-11-10T10:00:00Z", csat(4)),
		// Open within its target, no warning configured: not listed.
		ev("h1", "HR-1", sla.Opened, "2026-11-23T12:00:00Z", opened("hr", "it", "", "", "Accounts for Ada")),
		ev("h2", "HR-2", sla.Opened, "2026-11-02T09:00:00Z", opened("hr", "sales", "", "", "Accounts for Bob")),
		ev("h3", "HR-2", sla.Resolved, "2026-11-03T09:00:00Z"),
	}
}

// newStatusServer serves the API over a store holding statusEvents, as of
// statusNow.
func newStatusServer(t *testing.T) *httptest.Server {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "status.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadBytes("testdata/status.yaml", data, "testdata")
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return statusNow }
	// The tick fires the warnings that make IT-3 count as at risk.
	st := storeEvaluated(t, cfg, now, statusEvents())
	_, ts := serveAPI(t, st, cfg, now, nil)
	return ts
}

type page struct {
	status int
	header http.Header
	body   string
}

func getPage(t *testing.T, method, url string) page {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return page{resp.StatusCode, resp.Header, string(b)}
}

var (
	tagRE   = regexp.MustCompile(`(?s)<style>.*?</style>|<[^>]*>`)
	spaceRE = regexp.MustCompile(`\s+`)
)

// text is what a reader sees of some HTML: tags dropped, entities decoded,
// white space collapsed.
func text(h string) string {
	return strings.TrimSpace(spaceRE.ReplaceAllString(html.UnescapeString(tagRE.ReplaceAllString(h, " ")), " "))
}

var blockEndRE = regexp.MustCompile(`</(tr|h[1-6]|p|li|caption|thead|header|footer|nav)>`)

// lines is the page's text one block (row, heading, paragraph) a line:
// what the golden files hold.
func lines(h string) string {
	var b strings.Builder
	h = strings.ReplaceAll(tagRE.ReplaceAllStringFunc(h, func(tag string) string {
		if strings.HasPrefix(tag, "<style>") {
			return ""
		}
		return tag
	}), "\n", " ")
	for _, l := range strings.Split(blockEndRE.ReplaceAllString(h, "$0\n"), "\n") {
		if l = text(l); l != "" {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// sections splits the page's department sections: heading text → HTML.
func sections(t *testing.T, body string) map[string]string {
	t.Helper()
	out := map[string]string{}
	parts := strings.Split(body, `<section class="dept"`)
	for _, p := range parts[1:] {
		p, _, _ = strings.Cut(p, "</section>")
		h3 := regexp.MustCompile(`(?s)<h3[^>]*>(.*?)</h3>`).FindStringSubmatch(p)
		if h3 == nil {
			t.Fatalf("department section without heading: %s", p)
		}
		out[text(h3[1])] = p
	}
	return out
}

// rowOf returns the table row of the SLA or request with the given id.
func rowOf(body, id string) string {
	for _, tr := range regexp.MustCompile(`(?s)<tr[ >].*?</tr>`).FindAllString(body, -1) {
		if strings.Contains(tr, ">"+id+"<") {
			return tr
		}
	}
	return ""
}

// partiesNow is five hours into the parties story (heldT0 + 5h).
var partiesNow = heldT0.Add(5 * time.Hour)

// partiesEvents are open requests of testdata/held.yaml breached under
// its holding and waiting SLAs at partiesNow. All are the service desk's
// (IT's) incidents for Sales.
//   - IT-5000, handed to Network at once and never answered: breached
//     under desk (Sales waits) and under network-ola (IT waits).
//   - IT-5001, answered, then waiting on Sales for 1h50m: breached under
//     sales-answers only (IT waits on Sales); desk's clock is paused.
//   - IT-5002, answered, handed to Network 50 minutes ago: breached under
//     network-ola only (IT waits on Network); desk is within its 4h.
func partiesEvents() []sla.Event {
	at := func(d time.Duration) string { return heldT0.Add(d).Format(time.RFC3339) }
	forSales := opened("it", "sales", "P1", "", "")
	title := func(s string) func(*sla.Event) {
		return func(e *sla.Event) { forSales(e); e.Title = s }
	}
	to := func(d string) func(*sla.Event) { return func(e *sla.Event) { e.Department = d } }
	wait := func(e *sla.Event) { e.Reason = "waiting_for_customer" }
	return []sla.Event{
		ev("p1", "IT-5000", sla.Opened, at(0), title("Switch down")),
		ev("p2", "IT-5000", sla.Assigned, at(10*time.Minute), to("network")),
		ev("p3", "IT-5001", sla.Opened, at(3*time.Hour), title("Quote tool")),
		ev("p4", "IT-5001", sla.Responded, at(3*time.Hour+5*time.Minute)),
		ev("p5", "IT-5001", sla.Paused, at(3*time.Hour+10*time.Minute), wait),
		ev("p6", "IT-5002", sla.Opened, at(4*time.Hour), title("Slow Wi-Fi")),
		ev("p7", "IT-5002", sla.Responded, at(4*time.Hour+5*time.Minute)),
		ev("p8", "IT-5002", sla.Assigned, at(4*time.Hour+10*time.Minute), to("network")),
	}
}

// newPartiesServer serves testdata/held.yaml over a store holding
// partiesEvents, as of partiesNow.
func newPartiesServer(t *testing.T) *httptest.Server {
	t.Helper()
	cfg := heldConfig(t)
	now := func() time.Time { return partiesNow }
	_, ts := serveAPI(t, storeEvaluated(t, cfg, now, partiesEvents()), cfg, now, nil)
	return ts
}
