package api

import (
	"flag"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func TestStatusPageShowsEverySLAGroupedByProvider(t *testing.T) {
	ts := newStatusServer(t)
	p := getPage(t, "GET", ts.URL+"/")
	if p.status != http.StatusOK {
		t.Fatalf("status %d: %s", p.status, p.body)
	}
	got := sections(t, p.body)
	want := map[string][]string{
		"Facilities lead: Fred <Floors> & Co": {"facilities-hr-moves"},
		"Human Resources":                     {"hr-onboarding"},
		"IT Service Desk lead: Dana Ops":      {"it-sales-incidents", "it-oncall"},
		"Sales":                               {"sales-it-quotes"},
	}
	if len(got) != len(want) {
		var names []string
		for k := range got {
			names = append(names, k)
		}
		t.Fatalf("department sections %q; want %d", names, len(want))
	}
	for dept, ids := range want {
		sec, ok := got[dept]
		if !ok {
			t.Errorf("no section %q", dept)
			continue
		}
		for _, id := range ids {
			if rowOf(sec, id) == "" {
				t.Errorf("section %q has no row for %s", dept, id)
			}
		}
	}
	order := []string{">Facilities", ">Human Resources<", ">IT Service Desk", `<h3 id="dept-sales"><a href="/departments/sales" title="Scorecard of Sales">Sales`}
	last := -1
	for _, o := range order {
		i := strings.Index(p.body, o)
		if i < last {
			t.Errorf("departments are not in alphabetical order: %q comes before the one above it", o)
		}
		last = i
	}
}

func TestStatusPageRowsSayWhereEachSLAStands(t *testing.T) {
	ts := newStatusServer(t)
	body := getPage(t, "GET", ts.URL+"/").body
	cases := map[string]struct {
		id   string
		want []string
	}{
		"an SLA with a breach in two counts is below its objective": {"it-sales-incidents", []string{
			"50%", "objective 95%", "Below objective", "None left",
			"response 75% (3 of 4 met)", "resolution 50% (1 of 2 met)",
			"For Sales", "response 30m · resolution P1 4h, P2 24h",
			"last 30 days", "26 Oct – 24 Nov 2026", "office calendar, Europe/Berlin", "5.0 / 5 1 score",
		}},
		"an SLA for every department says so and counts all its customers": {"it-oncall", []string{
			"For every department", "response 60% (3 of 5 met)", "this month", "1 Nov – 24 Nov 2026", "24x7 calendar",
		}},
		"an SLA whose every request met its target meets its objective": {"hr-onboarding", []string{
			"100%", "Meeting objective", "the next breach puts it below objective", "last 4 weeks",
		}},
		"an SLA nothing was measured against says it has no figures": {"sales-it-quotes", []string{
			"No figures yet", "All of it", "No compliance figure yet; objective 90%",
		}},
		"a quarterly SLA shows its quarter so far": {"facilities-hr-moves", []string{
			"this quarter", "1 Oct – 24 Nov 2026", "Below objective", "4.0 / 5 1 score",
		}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			row := rowOf(body, tc.id)
			if row == "" {
				t.Fatalf("no row for %s", tc.id)
			}
			seen := text(row) + " " + html.UnescapeString(row)
			for _, w := range tc.want {
				if !strings.Contains(seen, w) {
					t.Errorf("row lacks %q:\n%s", w, text(row))
				}
			}
		})
	}
	// IT-2 is breached in two targets: the page counts it once, beside
	// the requests open and at risk; the API counts its clocks.
	t.Run("the open, at-risk and breached counts are of requests", func(t *testing.T) {
		row := rowOf(body, "it-sales-incidents")
		for label, n := range map[string]string{"Open": "3", "At risk": "2", "Breached": "1"} {
			if !regexp.MustCompile(`data-label="` + label + `"[^>]*>` + n + `<`).MatchString(row) {
				t.Errorf("%s is not %s in:\n%s", label, n, row)
			}
		}
		if api := getPage(t, "GET", ts.URL+"/api/v1/slas/it-sales-incidents").body; !regexp.MustCompile(`"breached": ?2,`).MatchString(api) {
			t.Errorf("the API no longer counts IT-2's two breached clocks: %s", api)
		}
	})
	t.Run("the compliance bar has a text equivalent and marks the objective", func(t *testing.T) {
		row := rowOf(body, "it-sales-incidents")
		for _, w := range []string{`role="img" aria-label="Compliance 50%, objective 95%"`, `class="fill bad" x="0" y="3" width="50.00"`, `x1="95.00"`} {
			if !strings.Contains(row, w) {
				t.Errorf("bar lacks %s", w)
			}
		}
	})
}

func TestStatusPageListsRequestsAtRiskAndBreached(t *testing.T) {
	ts := newStatusServer(t)
	body := getPage(t, "GET", ts.URL+"/").body
	_, att, ok := strings.Cut(body, `id="attention"`)
	if !ok {
		t.Fatal("no attention section")
	}
	rows := regexp.MustCompile(`(?s)<tbody>.*</tbody>`).FindString(att)
	var got []string
	for _, tr := range regexp.MustCompile(`(?s)<tr[ >].*?</tr>`).FindAllString(rows, -1) {
		got = append(got, text(tr))
	}
	want := []string{
		// Breached first, the longest overdue on top.
		"FAC-1 Breached 92h ago Fri 20 Nov, 17:00 CET Move 4 desks to floor 2 facilities-hr-moves resolution — Facilities → Human Resources",
		"IT-2 Breached 21h45m ago Mon 23 Nov, 14:15 UTC Printer on fire it-oncall response P1 IT Service Desk → Sales",
		"IT-2 Breached 21h30m ago Mon 23 Nov, 15:30 CET Printer on fire it-sales-incidents response P1 IT Service Desk → Sales",
		"IT-2 Breached 2h ago Tue 24 Nov, 11:00 CET Printer on fire it-sales-incidents resolution P1 IT Service Desk → Sales",
		// Then at risk, the deadline soonest on top.
		`IT-3 At risk in 2h Tue 24 Nov, 15:00 CET Quote <b>"urgent"</b> & more it-sales-incidents resolution P1 IT Service Desk → Sales`,
		// A paused clock has no deadline: it tells the business time left.
		"IT-5 At risk paused 1h30m of business time left CRM export fails it-sales-incidents resolution P1 IT Service Desk → Sales",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("attention rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, absent := range []string{"IT-1", "IT-4", "FAC-2", "HR-1", "HR-2"} {
		if strings.Contains(att, ">"+absent+"<") {
			t.Errorf("%s is listed though nothing of it needs attention", absent)
		}
	}
	if !strings.Contains(att, `href="/requests/it/IT-2"`) {
		t.Error("a listed request does not link to its clock details")
	}
	summary := text(regexp.MustCompile(`(?s)<ul class="tiles">.*?</ul>`).FindString(body))
	if want := "3 SLAs below objective 1 SLA meeting objective (and 1 with no figures yet) 2 requests breached 2 requests at risk"; summary != want {
		t.Errorf("summary %q, want %q", summary, want)
	}
}

func TestStatusPageDepartmentFilter(t *testing.T) {
	ts := newStatusServer(t)
	cases := map[string]struct {
		query            string
		slas, notSLAs    []string
		requests, others []string
	}{
		"a customer sees the SLAs it receives, including those for every department": {
			query: "sales", slas: []string{"it-sales-incidents", "it-oncall", "hr-onboarding", "sales-it-quotes"},
			notSLAs: []string{"facilities-hr-moves"}, requests: []string{"IT-2", "IT-3", "IT-5"}, others: []string{"FAC-1"},
		},
		// it-oncall serves every department, but Facilities has no request
		// under it: its view leaves it out, as its scorecard does, rather
		// than show it with no figures (and count it in the tiles).
		"a provider sees the SLAs it provides and the requests made of it": {
			query: "facilities", slas: []string{"facilities-hr-moves"},
			notSLAs: []string{"it-sales-incidents", "hr-onboarding", "sales-it-quotes", "it-oncall"}, requests: []string{"FAC-1"}, others: []string{"IT-2", "IT-3"},
		},
		"a department both provides and receives": {
			query: "hr", slas: []string{"hr-onboarding", "facilities-hr-moves", "it-oncall"},
			notSLAs: []string{"it-sales-incidents", "sales-it-quotes"}, requests: []string{"FAC-1"}, others: []string{"IT-2", "IT-3"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p := getPage(t, "GET", ts.URL+"/?department="+tc.query)
			if p.status != http.StatusOK {
				t.Fatalf("status %d", p.status)
			}
			for _, id := range tc.slas {
				if rowOf(p.body, id) == "" {
					t.Errorf("SLA %s is missing", id)
				}
			}
			for _, id := range tc.notSLAs {
				if rowOf(p.body, id) != "" {
					t.Errorf("SLA %s is shown, but %s neither provides nor receives it", id, tc.query)
				}
			}
			for _, id := range tc.requests {
				if rowOf(p.body, id) == "" {
					t.Errorf("request %s is missing", id)
				}
			}
			for _, id := range tc.others {
				if rowOf(p.body, id) != "" {
					t.Errorf("request %s is shown, but %s is neither its provider nor its customer", id, tc.query)
				}
			}
			if !regexp.MustCompile(`href="/\?department=` + tc.query + `" aria-current="page"`).MatchString(p.body) {
				t.Error("the filter link of the department is not marked current")
			}
		})
	}
	summary := text(regexp.MustCompile(`(?s)<ul class="tiles">.*?</ul>`).FindString(getPage(t, "GET", ts.URL+"/?department=facilities").body))
	if strings.Contains(summary, "no figures yet") || !strings.Contains(summary, "1 SLA below objective 0 SLAs meeting objective") {
		t.Errorf("Facilities' tiles %q count an SLA it has no request under", summary)
	}
}

func TestStatusPageAnswersOnlyAtTheRoot(t *testing.T) {
	ts := newStatusServer(t)
	cases := map[string]struct {
		method, path string
		status       int
		want         []string
	}{
		"an unknown department is a 404 that lists the valid ones": {"GET", "/?department=finance", 404, []string{
			"No such department", `There is no department "finance"`,
			`href="/?department=it"`, "IT Service Desk", "<code>it</code>", "Facilities", "Human Resources", "Sales",
		}},
		"a department id is escaped on the 404 page": {"GET", "/?department=%3Cscript%3E", 404, []string{
			"There is no department &#34;&lt;script&gt;&#34;",
		}},
		"an unknown page is a 404":                  {"GET", "/status", 404, nil},
		"an unknown API path is a JSON 404":         {"GET", "/api/v2/x", 404, []string{`"error"`}},
		"the page does not accept POST":             {"POST", "/", 405, nil},
		"HEAD is answered like GET, without a body": {"HEAD", "/", 200, nil},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p := getPage(t, tc.method, ts.URL+tc.path)
			if p.status != tc.status {
				t.Fatalf("status %d, want %d", p.status, tc.status)
			}
			for _, w := range tc.want {
				if !strings.Contains(p.body, w) && !strings.Contains(text(p.body), w) {
					t.Errorf("body lacks %q:\n%s", w, text(p.body))
				}
			}
			if strings.Contains(p.body, "<script>") {
				t.Error("the page echoes markup unescaped")
			}
		})
	}
}

func TestStatusPageHeadersAndSelfContainment(t *testing.T) {
	ts := newStatusServer(t)
	for _, path := range []string{"/", "/?department=it", "/?department=nope"} {
		t.Run(path, func(t *testing.T) {
			p := getPage(t, "GET", ts.URL+path)
			h := p.header
			if got := h.Get("Content-Type"); got != "text/html; charset=utf-8" {
				t.Errorf("Content-Type %q", got)
			}
			if got := h.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control %q", got)
			}
			csp := h.Get("Content-Security-Policy")
			for _, w := range []string{"default-src 'none'", "style-src 'sha256-", "img-src data:"} {
				if !strings.Contains(csp, w) {
					t.Errorf("Content-Security-Policy %q lacks %q", csp, w)
				}
			}
			if strings.Contains(csp, "script-src") || strings.Contains(csp, "unsafe") {
				t.Errorf("Content-Security-Policy %q allows more than the stylesheet", csp)
			}
			// The one inline stylesheet is the one the policy's hash allows.
			styles := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindAllStringSubmatch(p.body, -1)
			if len(styles) != 1 || !strings.Contains(csp, "'sha256-"+hashOf(styles[0][1])+"'") {
				t.Errorf("the page's stylesheet is not the one the policy allows (%d style elements)", len(styles))
			}
			for _, forbidden := range []*regexp.Regexp{
				regexp.MustCompile(`(?i)\b(src|href|action|srcset|poster|data)\s*=\s*["']?\s*(https?:)?//`),
				regexp.MustCompile(`(?i)url\(\s*["']?\s*(https?:)?//`),
				regexp.MustCompile(`(?i)@import`),
				regexp.MustCompile(`(?i)<script|\sstyle=|\son[a-z]+=`),
			} {
				if m := forbidden.FindString(p.body); m != "" {
					t.Errorf("the page refers outside itself or needs more than its policy allows: %q", m)
				}
			}
			for _, w := range []string{`<html lang="en">`, `<meta name="viewport"`, "<h1>"} {
				if !strings.Contains(p.body, w) {
					t.Errorf("page lacks %s", w)
				}
			}
		})
	}
	t.Run("the 404 page does not refresh", func(t *testing.T) {
		if strings.Contains(getPage(t, "GET", ts.URL+"/?department=nope").body, `http-equiv="refresh"`) {
			t.Error("the 404 page refreshes")
		}
	})
}

// TestAPageRefreshesItselfOnlyWhenAsked: a page that reloads every minute
// sends a screen reader back to its top (axe-core: meta-refresh), so the
// status page, a department's view and a scorecard refresh only with
// refresh=1, and each links to switching it on or off, keeping the
// address's other parameters.
func TestAPageRefreshesItselfOnlyWhenAsked(t *testing.T) {
	ts := newStatusServer(t)
	const meta = `<meta http-equiv="refresh" content="60">`
	cases := []struct{ path, on, off string }{
		{"/", "/?refresh=1", "/"},
		{"/?department=sales", "/?department=sales&amp;refresh=1", "/?department=sales"},
		{"/departments/sales", "/departments/sales?refresh=1", "/departments/sales"},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			body := getPage(t, "GET", ts.URL+tc.path).body
			if strings.Contains(body, meta) {
				t.Error("the page refreshes itself unasked")
			}
			if !strings.Contains(body, `<a href="`+tc.on+`">refresh every minute</a>`) {
				t.Errorf("no link to %s to refresh every minute", tc.on)
			}
			on := getPage(t, "GET", ts.URL+html.UnescapeString(tc.on)).body
			if !strings.Contains(on, meta) {
				t.Error("with refresh=1 the page does not refresh itself")
			}
			if !strings.Contains(on, `<a href="`+tc.off+`">stop refreshing</a>`) {
				t.Errorf("with refresh=1 no link to %s to stop refreshing", tc.off)
			}
		})
	}
}

func TestStatusPageIsAccessibleAndPrintable(t *testing.T) {
	ts := newStatusServer(t)
	body := getPage(t, "GET", ts.URL+"/").body
	checks := map[string]*regexp.Regexp{
		"every table has a caption":                   regexp.MustCompile(`(?s)<table[^>]*>\s*<caption>`),
		"column headers have a scope":                 regexp.MustCompile(`<th scope="col"`),
		"each row is headed by its SLA or request":    regexp.MustCompile(`<th scope="row"`),
		"headings go from h1 to h3 in order":          regexp.MustCompile(`(?s)<h1>.*<h2[^>]*>.*<h3[^>]*>`),
		"states are written in words":                 regexp.MustCompile(`>Breached<.*|>At risk<`),
		"the timestamp is machine-readable":           regexp.MustCompile(`<time datetime="2026-11-24T12:00:00Z">Tue 24 Nov 2026, 12:00 UTC</time>`),
		"the printed report drops the navigation":     regexp.MustCompile(`(?s)@media print \{.*\.filter[^}]*display: none`),
		"a department's table stays on one page":      regexp.MustCompile(`(?s)@media print \{.*\.dept[^}]*break-inside: avoid`),
		"phones get each row as a card with labels":   regexp.MustCompile(`@media \(max-width: [0-9.]+rem\) \{[^@]*content: attr\(data-label\)`),
		"the filter is a navigation with its current": regexp.MustCompile(`<nav class="filter" aria-label="Department">(?s).*aria-current="page">All departments<`),
	}
	for name, re := range checks {
		t.Run(name, func(t *testing.T) {
			if !re.MatchString(body) {
				t.Errorf("no match for %s", re)
			}
		})
	}
	if n, c := strings.Count(body, "<table"), strings.Count(body, "<caption>"); n != c || n != 5 {
		t.Errorf("%d tables, %d captions; want 5 of each (4 departments, 1 list of requests)", n, c)
	}
}

func TestStatusPageGolden(t *testing.T) {
	ts := newStatusServer(t)
	for name, path := range map[string]string{"status-all": "/", "status-sales": "/?department=sales"} {
		t.Run(name, func(t *testing.T) {
			got := lines(getPage(t, "GET", ts.URL+path).body)
			file := filepath.Join("testdata", name+".golden.txt")
			if *update {
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run go test ./api -run Golden -update to write it)", err)
			}
			if got != string(want) {
				t.Errorf("the page's text differs from %s (run with -update to accept):\n%s", file, got)
			}
		})
	}
}

func TestPercentNeverRoundsUpToTheObjective(t *testing.T) {
	cases := map[string]struct {
		f    float64
		want string
	}{
		"a whole share":                      {1, "100%"},
		"a share just short of 100%":         {0.9999, "99.9%"},
		"one decimal":                        {14.0 / 15, "93.3%"},
		"a share short of 95% is shown so":   {0.9499, "94.9%"},
		"a configured objective prints flat": {0.95, "95%"},
		"nothing":                            {0, "0%"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := percent(tc.f); got != tc.want {
				t.Errorf("percent(%v) = %q, want %q", tc.f, got, tc.want)
			}
		})
	}
}

func TestStatusPageBeforeTheConfigurationIsLoadedSaysSoAndRetries(t *testing.T) {
	st, err := store.Open(store.Options{Dir: t.TempDir(), Policy: &sla.Policy{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	srv, err := New(Options{Store: st, Config: func() *config.Config { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	p := getPage(t, "GET", ts.URL+"/")
	if p.status != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503", p.status)
	}
	for _, w := range []string{"Not ready", `<meta http-equiv="refresh" content="60">`} {
		if !strings.Contains(p.body, w) {
			t.Errorf("page lacks %q", w)
		}
	}
}

// A breach storm does not grow the status page: it lists the most
// overdue requests, attentionMax in all and at most attentionPerSLA of
// each SLA, and links to the rest (issue 11: 100,000 open breaches made
// 64 MB of HTML).
func TestStatusPageListsTheWorstOfEachSLAAndLinksToTheRest(t *testing.T) {
	page := func(n int) string {
		rec := httptest.NewRecorder()
		breachStormServer(t, n).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("GET / with %d breached: %d", n, rec.Code)
		}
		return rec.Body.String()
	}
	small, large := page(2000), page(5000)
	var listed []string // s0's requests, each once (a row per target)
	for _, m := range regexp.MustCompile(`<th scope="row"><a href="/requests/d0/(B\d+)"`).FindAllStringSubmatch(large, -1) {
		if !slices.Contains(listed, m[1]) {
			listed = append(listed, m[1])
		}
	}
	all := map[string]bool{}
	for _, m := range regexp.MustCompile(`<th scope="row"><a href="/requests/d\d/(B\d+)"`).FindAllStringSubmatch(large, -1) {
		all[m[1]] = true
	}
	if len(all) != attentionMax || len(listed) == 0 || len(listed) > attentionPerSLA {
		t.Fatalf("%d requests listed, %d of s0; want %d in all, at most %d of an SLA", len(all), len(listed), attentionMax, attentionPerSLA)
	}
	// B<i> breached i seconds before B<i-1>: the oldest of d0's (every
	// fifth) is B4995.
	if listed[0] != "B4995" || listed[1] != "B4990" {
		t.Errorf("s0's rows start with %s, %s; want the most overdue first: B4995, B4990", listed[0], listed[1])
	}
	if more := fmt.Sprintf(`<a href="/api/v1/breaches?sla=s0">%d more of s0</a>`, 1000-len(listed)); !strings.Contains(large, more) {
		t.Errorf("no link to the %d other breached requests of s0", 1000-len(listed))
	}
	if !strings.Contains(text(large), "5000 requests breached") {
		t.Errorf("the tile does not count every breached request")
	}
	if d := len(large) - len(small); d < 0 || d > 200 {
		t.Errorf("the page grew by %d bytes from 2,000 to 5,000 breached requests (%d bytes), want the same rows", d, len(large))
	}
}

// attentionOf is the text of each row of a page's list of requests at
// risk or breached.
func attentionOf(t *testing.T, body string) []string {
	t.Helper()
	_, att, _ := strings.Cut(body, `id="attention"`)
	rows := regexp.MustCompile(`(?s)<tbody>.*?</tbody>`).FindString(att)
	var got []string
	for _, tr := range regexp.MustCompile(`(?s)<tr[ >].*?</tr>`).FindAllString(rows, -1) {
		got = append(got, text(tr))
	}
	return got
}

// TestADepartmentViewHoldsTheClocksOfItsSLAsOnly: a request's clock is on
// a department's view when the department is a party of its SLA. The view
// of Sales listed IT-5000 and IT-5002 under network-ola, an SLA not on it,
// and counted IT-5002 among its requests breached; Network's view, whose
// SLA it is, listed neither.
func TestADepartmentViewHoldsTheClocksOfItsSLAsOnly(t *testing.T) {
	ts := newPartiesServer(t)
	cases := map[string]struct {
		rows  []string // "request SLA", each once for its targets
		tiles string
	}{
		"sales":   {[]string{"IT-5000 desk", "IT-5001 sales-answers"}, "2 requests breached"},
		"network": {[]string{"IT-5000 network-ola", "IT-5002 network-ola"}, "2 requests breached"},
		"it":      {[]string{"IT-5000 desk", "IT-5000 network-ola", "IT-5001 sales-answers", "IT-5002 network-ola"}, "3 requests breached"},
	}
	for dept, tc := range cases {
		t.Run(dept, func(t *testing.T) {
			body := getPage(t, "GET", ts.URL+"/?department="+dept).body
			var got []string
			for _, r := range attentionOf(t, body) {
				f := strings.Fields(r)
				for _, id := range []string{"desk", "network-ola", "sales-answers"} {
					if slices.Contains(f, id) {
						got = append(got, f[0]+" "+id)
					}
				}
			}
			slices.Sort(got)
			got = slices.Compact(got) // a row per target
			for _, w := range tc.rows {
				if !slices.Contains(got, w) {
					t.Errorf("the view lacks %s: %q", w, got)
				}
			}
			if len(got) != len(tc.rows) {
				t.Errorf("the view lists %q, want %q only", got, tc.rows)
			}
			summary := text(regexp.MustCompile(`(?s)<ul class="tiles">.*?</ul>`).FindString(body))
			if !strings.Contains(summary, tc.tiles) {
				t.Errorf("tiles %q, want %q", summary, tc.tiles)
			}
		})
	}
}
