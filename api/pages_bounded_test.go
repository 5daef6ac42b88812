package api

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/sla"
)

// manySLAsConfig is a company where department hub receives n SLAs from
// ten providers and gives n/4 to them; SLA i matches category c<i> only,
// so that a request has the clocks of one SLA.
func manySLAsConfig(n int) string {
	var b strings.Builder
	b.WriteString("global: {timezone: UTC}\ndepartments:\n  hub: {name: Hub}\n")
	for p := range 10 {
		fmt.Fprintf(&b, "  p%d: {name: Provider %d}\n", p, p)
	}
	b.WriteString("slas:\n")
	for i := range n + n/4 {
		provider, customers := fmt.Sprintf("p%d", i%10), "[hub]"
		if i >= n {
			provider, customers = "hub", fmt.Sprintf("[p%d]", i%10)
		}
		fmt.Fprintf(&b, "  - {id: s%03d, provider: %s, customers: %s, match: {category: [c%d]}, calendar: 24x7, response: 1h, resolution: 8h, objective: 95%%, window: 30d, warn_at: [80%%]}\n",
			i, provider, customers, i)
	}
	return b.String()
}

// manySLAsServer serves manySLAsConfig(n) over a real store holding, for
// each SLA, a request resolved in time last week and one breached open.
func manySLAsServer(t *testing.T, n int) *httptest.Server {
	t.Helper()
	return manySLAsServerWith(t, n, nil)
}

// manySLAsServerWith is manySLAsServer, with adjusting its options (nil
// for none).
func manySLAsServerWith(t *testing.T, n int, with func(*Options)) *httptest.Server {
	t.Helper()
	cfg, err := config.LoadBytes("many.yaml", []byte(manySLAsConfig(n)), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var events []sla.Event
	for i, sl := range cfg.Policy.SLAs {
		customer := sl.Customers[0]
		for k, at := range []time.Time{scaleNow.AddDate(0, 0, -7), scaleNow.Add(-24 * time.Hour)} {
			id := fmt.Sprintf("R%d-%d", i, k)
			set := func(e *sla.Event) {
				e.Provider, e.Customer, e.Category, e.Title = sl.Provider, customer, fmt.Sprintf("c%d", i), "Request "+id
			}
			events = append(events, ev(id+"-o", id, sla.Opened, at.Format(time.RFC3339), set))
			if k == 0 {
				events = append(events, ev(id+"-r", id, sla.Resolved, at.Add(time.Hour).Format(time.RFC3339)))
			}
		}
	}
	now := func() time.Time { return scaleNow }
	_, ts := serveAPI(t, storeEvaluated(t, cfg, now, events), cfg, now, with)
	return ts
}

// Every list a page shows is bounded (issue 13): a department of 400
// SLAs drew its view and its scorecard four times the size of one of 100.
// Past statusRowsMax SLA rows (the view) or scorecardSLAsMax SLAs (the
// scorecard) a page shows one page of them and links to every page.
func TestAPageOfADepartmentOfManySLAsStaysTheSizeOfOneOfAHundred(t *testing.T) {
	small, large := manySLAsServer(t, 100), manySLAsServer(t, 400)
	for _, tc := range []struct {
		name, path string
		lastPage   string // the link to the last page of the 400 SLAs, or to the rest
	}{
		{"the department's view", "/?department=hub", "page=5"}, // 500 SLAs concern hub
		{"its scorecard", "/departments/hub", "page=13"},
		{"every department's", "/", "/?department=p9"}, // folded: each department's row links to its view
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := readPage(t, small, tc.path), readPage(t, large, tc.path)
			if len(b) > len(a)*5/4 {
				t.Errorf("GET %s: %d bytes with 400 SLAs, %d with 100; want at most a quarter more", tc.path, len(b), len(a))
			}
			if len(b) > 1<<20 {
				t.Errorf("GET %s: %d bytes, over 1 MB", tc.path, len(b))
			}
			if !strings.Contains(b, tc.lastPage+`">`) && !strings.Contains(b, tc.lastPage+`&amp;`) {
				t.Errorf("GET %s with 400 SLAs has no link to the rest (%s)", tc.path, tc.lastPage)
			}
		})
	}
}

// The second page of a scorecard shows the next SLAs, and says where those
// given are when they are all on the first.
func TestAScorecardsNextPageShowsTheNextSLAs(t *testing.T) {
	ts := manySLAsServer(t, 100) // hub gives 25 and receives 100: 4 pages
	first, second := readPage(t, ts, "/departments/hub"), readPage(t, ts, "/departments/hub?page=2")
	for _, tc := range []struct {
		page, has, hasNot string
	}{
		{first, `id="prov-s100"`, `<span class="sla-id">s015</span>`},
		{second, `<span class="sla-id">s015</span>`, `id="prov-s100"`},
		{second, "The 25 SLAs Hub provides are on another page", "provides no SLA"},
	} {
		if !strings.Contains(tc.page, tc.has) || strings.Contains(tc.page, tc.hasNot) {
			t.Errorf("page has %q: %v, has %q: %v; want the first, not the second",
				tc.has, strings.Contains(tc.page, tc.has), tc.hasNot, strings.Contains(tc.page, tc.hasNot))
		}
	}
}

// readPage reads path from ts and fails the test on any status but 200.
func readPage(t *testing.T, ts *httptest.Server, path string) string {
	t.Helper()
	resp, err := ts.Client().Get(ts.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", path, resp.StatusCode)
	}
	return string(b)
}

// A request that no SLA of a provider of 200 takes lists why for the first
// statusRowsMax of them and leaves the rest to its JSON.
func TestARequestPageListsAtMostAHundredReasonsForNoClock(t *testing.T) {
	cfg, err := config.LoadBytes("many.yaml", []byte(manySLAsConfig(800)), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	set := func(e *sla.Event) { e.Provider, e.Customer, e.Category = "hub", "p0", "nothing" }
	now := func() time.Time { return scaleNow }
	_, ts := serveAPI(t, storeEvaluated(t, cfg, now, []sla.Event{ev("X-o", "X", sla.Opened, scaleNow.Add(-time.Hour).Format(time.RFC3339), set)}), cfg, now, nil)
	page := readPage(t, ts, "/requests/hub/X")
	if n := strings.Count(page, "<li>SLA "); n != statusRowsMax || !strings.Contains(page, "100 more SLAs gave it no clock") {
		t.Errorf("the page lists %d reasons for no clock; want %d and a link to the rest", n, statusRowsMax)
	}
}
