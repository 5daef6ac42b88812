package api

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/store"
)

// The status page is one server-rendered HTML document: no script, no
// external asset, its stylesheet inline and allowed by its hash, so the
// Content-Security-Policy can forbid everything else.

//go:embed templates/status.html templates/request.html templates/department.html templates/status.css
var statusFiles embed.FS

var (
	// statusCSS is the page's stylesheet, inserted verbatim in its <style>
	// element so that statusCSP's hash matches it.
	statusCSS = mustRead("templates/status.css")
	// statusCSP allows the inline stylesheet and nothing else: no script,
	// no style attribute, no request to anywhere but the page itself.
	statusCSP = "default-src 'none'; style-src 'sha256-" + hashOf(statusCSS) + "'; img-src data:; " +
		"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
	statusTemplates = template.Must(template.New("status").Funcs(template.FuncMap{
		"css": func() template.CSS { return template.CSS(statusCSS) },
		// scorecardSLAsMax is how many SLAs a scorecard page shows
		// (status_summary.go), for the sentence that says so.
		"scorecardSLAsMax": func() int { return scorecardSLAsMax },
		// head is the data of the document's <head>: its title, and
		// whether it refreshes itself (the status page and a scorecard
		// when asked to, refreshSwitch; the page of a problem expected to
		// pass).
		"head": func(title string, refresh bool) any {
			return struct {
				Title   string
				Refresh bool
			}{title, refresh}
		},
	}).ParseFS(statusFiles, "templates/status.html", "templates/request.html", "templates/department.html"))
)

func mustRead(name string) string {
	b, err := statusFiles.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func hashOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// statusRoutes registers the status page: GET / exactly, so that any other
// unknown path stays a 404.
func (s *Server) statusRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /{$}", s.readFunc(readStandings, s.handleStatus))
	m.HandleFunc("GET /requests/{id...}", s.readFunc(readDetails, s.handleRequestPage)) // {id...}: see routes
}

// handleStatus renders the status page. Its cost is bounded by the
// configuration and by the requests that need attention: it reads, in
// one transaction, the counters, the attention index and the day
// aggregates of each SLA's window and of the last 12 weeks (each row's
// trend) — never a stop, every request or event.
func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	cfg := s.opts.Config()
	if cfg == nil || cfg.Policy == nil {
		s.renderStatus(w, http.StatusServiceUnavailable, "problem", problemView{
			Title:   "Not ready",
			Message: "slad has not loaded its configuration yet. This page reloads itself in a minute.",
			Refresh: true,
		})
		return
	}
	p := cfg.Policy
	filter := r.URL.Query().Get("department")
	if filter != "" && p.Departments[filter] == nil {
		s.renderStatus(w, http.StatusNotFound, "problem", problemView{
			Title:       "No such department",
			Message:     fmt.Sprintf("There is no department %q in slad's configuration. Pick one of these:", filter),
			Departments: departmentLinks(p, "")[1:], // without "All departments": the page links back below
		})
		return
	}
	v, err := s.statusView(cfg, filter, s.now(), r)
	v.Refresh = refreshSwitch(r)
	if err == nil && !s.mayReadDetails(r) {
		// global.read_access: authenticated, and no credentials: the
		// standings stay, the requests (titles, customers) go.
		v.AttentionHidden, v.Attention = len(v.Attention) > 0, nil
	}
	if err != nil {
		s.log.Error("status page: reading the store failed", "err", err)
		s.renderStatus(w, http.StatusInternalServerError, "problem", problemView{
			Title:   "The figures could not be read",
			Message: "slad could not read its database to draw this page: " + err.Error() + ". The error is in slad's log too.",
		})
		return
	}
	s.renderStatus(w, http.StatusOK, "status", v)
}

// renderStatus executes a template into a buffer first, so that a template
// error becomes a clean 500 instead of half a page.
func (s *Server) renderStatus(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := statusTemplates.ExecuteTemplate(&buf, name, data); err != nil {
		s.log.Error("status page: rendering failed", "template", name, "err", err)
		http.Error(w, "the status page could not be rendered; see slad's log", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", statusCSP)
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// problemView is what the error pages show.
type problemView struct {
	Title       string
	Message     string
	Departments []deptLink
	Refresh     bool // the problem is expected to pass
}

// refresh is a page's self-refresh: off unless the address asks for it
// with refresh=1, since a page that reloads every minute sends a screen
// reader back to its top. URL switches it, keeping the other parameters.
type refresh struct {
	On  bool
	URL string
}

// refreshSwitch reads a page's refresh from its address.
func refreshSwitch(r *http.Request) refresh {
	q := r.URL.Query()
	on := q.Get("refresh") == "1"
	if on {
		q.Del("refresh")
	} else {
		q.Set("refresh", "1")
	}
	u := r.URL.Path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return refresh{On: on, URL: u}
}

// statusView is everything the status page shows.
type statusView struct {
	Refresh      refresh
	Title        string
	RenderedText string
	RenderedISO  string
	Filter       *deptLink // nil: every department
	Departments  []deptLink
	Summary      statusSummary
	Groups       []deptGroup
	Attention    []attentionRow
	// AttentionCaption says how many requests and targets are listed.
	AttentionCaption string
	// AttentionMore links to the rest of each SLA's requests needing
	// attention beyond those listed.
	AttentionMore []moreLink
	// AttentionHidden is set when requests need attention but the viewer
	// may not read their details (global.read_access: authenticated).
	AttentionHidden bool
	// Folded, with more than statusRowsMax SLAs, has a row per department
	// instead of Groups (see status_summary.go).
	Folded []deptSummary
	// Unmatched counts, per provider, the open requests no SLA gives a
	// clock (status_unmatched.go).
	Unmatched []unmatchedNote
	// Pages, on a department's view of more than statusRowsMax SLAs,
	// link to each page of its SLA rows (pageOf).
	Pages []pageLink
}

// groupsBetween keeps the SLA rows lo to hi-1 of groups, counted across
// the groups in their order, and says which SLAs those are.
func groupsBetween(groups []deptGroup, lo, hi int) ([]deptGroup, map[string]bool) {
	var out []deptGroup
	kept, i := map[string]bool{}, 0
	for _, g := range groups {
		var rows []slaRow
		for _, row := range g.SLAs {
			if i >= lo && i < hi {
				rows = append(rows, row)
				kept[row.ID] = true
			}
			i++
		}
		if len(rows) > 0 {
			g.SLAs = rows
			out = append(out, g)
		}
	}
	return out, kept
}

// statusSummary is the tiles at the top: SLAs by standing, and requests
// breached or at risk (see summarize).
type statusSummary struct {
	SLAs, Meeting, Below, NoData int
	Breached, AtRisk             int
}

// deptLink is a choice of the department filter.
type deptLink struct {
	ID, Name, URL string
	Scorecard     string // the department's scorecard page
	Current       bool
}

// deptGroup is the SLAs one department provides.
type deptGroup struct {
	ID, Name, Lead string
	URL            string // its scorecard
	SLAs           []slaRow
}

// statusView gathers the page: its heading, the SLAs grouped by provider,
// the requests needing attention, and the summary tiles. Every figure
// comes from one snapshot of the store, so that tiles and rows agree. A
// department's view of more than statusRowsMax SLAs shows them a page
// at a time (r's "page"), its tiles counting them all.
func (s *Server) statusView(cfg *config.Config, filter string, now time.Time, r *http.Request) (statusView, error) {
	v := statusHeading(cfg, filter, now)
	p := cfg.Policy
	var slas []*sla.SLA
	for _, sl := range p.SLAs {
		if concerns(sl, filter) {
			slas = append(slas, sl)
		}
	}
	read := figureRead{
		slas: slas, ranges: trendRanges, customers: nonEmpty(filter),
		attention: &store.AttentionQuery{PerSLA: attentionPerSLA, Department: filter},
	}
	if s.mayReadDetails(r) {
		read.unmatched = unmatchedNamed
	}
	if filter == "" && len(slas) > statusRowsMax {
		// Folded by department (status_summary.go): no trend, no
		// customer's figures, and the most urgent request of each SLA.
		// The SLAs' own sums come from those a scrape and the SLA list
		// keep (read with every customer's, as they ask).
		read.ranges, read.attention.PerSLA, read.kept = nil, 1, s.sums
		sn, err := readFigures(s.opts.Store, p, read, now)
		if err != nil {
			return v, err
		}
		foldedView(&v, p, slas, sn, now)
		v.Unmatched = unmatchedNotes(p, sn, filter)
		return v, nil
	}
	sn, err := readFigures(s.opts.Store, p, read, now)
	if err != nil {
		return v, err
	}
	v.Groups = slaGroups(p, slas, filter, sn)
	v.Unmatched = unmatchedNotes(p, sn, filter)
	v.Summary = summarize(v.Groups, sn.attention.Counts)
	lo, hi, pages := pageOf(r, v.Summary.SLAs, statusRowsMax, "SLAs")
	var onPage map[string]bool
	if pages != nil {
		v.Groups, onPage = groupsBetween(v.Groups, lo, hi)
		v.Pages = pages
	}
	v.Attention, v.AttentionMore = boundedAttention(attentionList(p, sn.flagged, filter, now), sn.attention.BySLA,
		func(id string) bool { return onPage == nil || onPage[id] })
	if n := len(v.Attention); n > 0 {
		reqs := map[string]bool{}
		for _, a := range v.Attention {
			reqs[a.Request] = true
		}
		v.AttentionCaption = sla.Plural(len(reqs), "request", "requests") + " needing attention, " +
			sla.Plural(n, "target", "targets") + " in all"
		if all := sn.attention.Counts.Breached + sn.attention.Counts.AtRisk; all > len(reqs) {
			v.AttentionCaption = sla.Plural(all, "request", "requests") + " needing attention; the " +
				sla.Plural(len(reqs), "most urgent is", "most urgent are") + " listed (at most " + fmt.Sprint(attentionPerSLA) +
				" of each SLA), " + sla.Plural(n, "target", "targets") + " in all"
		}
	}
	return v, nil
}

// attentionPerSLA is how many requests the status page and a scorecard
// list per SLA: the most overdue first. The rest are a link away
// (/api/v1/breaches?sla=…), so that a breach storm of 100,000 requests
// draws a page of a few hundred rows, read from as many records.
const attentionPerSLA = 20

// moreLink says how many requests of an SLA need attention beyond those
// listed, and where the rest are.
type moreLink struct {
	SLA  string
	More int
	URL  string
}

// boundedAttention keeps the rows of the first attentionPerSLA requests
// of each SLA (rows come in the page's order), and of attentionMax
// requests in all, and links to the rest of each SLA whose requests
// needing attention (bySLA) are more; only of the SLAs linkable allows
// (nil: every SLA), so that the links too stay as many as the SLA rows
// the page shows.
func boundedAttention(rows []attentionRow, bySLA map[string]int, linkable func(string) bool) ([]attentionRow, []moreLink) {
	shown := map[string]map[string]bool{}
	listed := map[string]bool{}
	out := rows[:0:0]
	for _, r := range rows {
		reqs := shown[r.SLA]
		if reqs == nil {
			reqs = map[string]bool{}
			shown[r.SLA] = reqs
		}
		if !reqs[r.Link] && (len(reqs) == attentionPerSLA || !listed[r.Link] && len(listed) == attentionMax) {
			continue
		}
		reqs[r.Link], listed[r.Link] = true, true
		out = append(out, r)
	}
	var more []moreLink
	for id, n := range bySLA {
		if n > len(shown[id]) && (linkable == nil || linkable(id)) {
			more = append(more, moreLink{SLA: id, More: n - len(shown[id]), URL: "/api/v1/breaches?sla=" + url.QueryEscape(id)})
		}
	}
	slices.SortFunc(more, func(a, b moreLink) int { return cmp.Compare(a.SLA, b.SLA) })
	return out, more
}

// statusHeading is the page without figures: title, time and the
// department filter.
func statusHeading(cfg *config.Config, filter string, now time.Time) statusView {
	loc := time.UTC
	if cfg.Global.Timezone != nil {
		loc = cfg.Global.Timezone
	}
	v := statusView{
		Title:        "SLA status · slad",
		RenderedText: now.In(loc).Format("Mon 2 Jan 2006, 15:04 MST"),
		RenderedISO:  now.UTC().Format(time.RFC3339),
		Departments:  departmentLinks(cfg.Policy, filter),
	}
	for i := range v.Departments {
		if v.Departments[i].Current && v.Departments[i].ID != "" {
			v.Filter = &v.Departments[i]
			v.Title = "SLA status: " + v.Filter.Name + " · slad"
		}
	}
	return v
}

// concerns reports whether a department provides or receives an SLA; every
// SLA concerns the empty filter.
func concerns(sl *sla.SLA, dept string) bool {
	return dept == "" || sl.Provider == dept || slices.Contains(sl.Customers, dept) || slices.Contains(sl.Customers, "*")
}

// slaGroups are the rows of the SLAs, grouped by provider in the order of
// their names. With a filter, an SLA the department receives shows the
// figures of the department's own requests, and one serving every
// department ("*") is shown only when the department has requests under
// it, as its scorecard lists it (receivesFigures).
func slaGroups(p *sla.Policy, slas []*sla.SLA, filter string, sn snapshot) []deptGroup {
	groups := map[string]*deptGroup{}
	for _, sl := range slas {
		if filter != "" && sl.Provider != filter && !receivesFigures(p, sl, filter, sn) {
			continue
		}
		g := groups[sl.Provider]
		if g == nil {
			g = &deptGroup{ID: sl.Provider, Name: p.DepartmentName(sl.Provider), URL: scorecardURL(sl.Provider)}
			if d := p.Departments[sl.Provider]; d != nil {
				g.Lead = d.Lead
			}
			groups[sl.Provider] = g
		}
		st, customer := standing(p, sl, sn), ""
		if filter != "" && sl.Provider != filter {
			st.Standing, customer = standingOf(sl, sn.current(sl, filter)), filter
		}
		row := slaRowOf(p, sl, st)
		row.Breached = sn.breachedRequests(sl.ID, customer)
		if customer != "" {
			row.Scope = "Figures of the requests " + p.DepartmentName(filter) + " raised"
		}
		row.Trend = sn.rowTrend(sl, customer)
		g.SLAs = append(g.SLAs, row)
	}
	out := make([]deptGroup, 0, len(groups))
	for _, g := range groups {
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b deptGroup) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// summarize counts the tiles: SLAs by standing, and the requests of the
// department breached or at risk (counts). A request counts once, as
// breached when one of its clocks is (sla.Attention.State), as of the
// snapshot the SLA rows come from.
func summarize(groups []deptGroup, counts store.AttentionCounts) statusSummary {
	sum := statusSummary{Breached: counts.Breached, AtRisk: counts.AtRisk}
	for _, g := range groups {
		for _, row := range g.SLAs {
			sum.SLAs++
			switch row.Tone {
			case "bad":
				sum.Below++
			case "none":
				sum.NoData++
			default:
				sum.Meeting++
			}
		}
	}
	return sum
}

// attentionList is the clocks needing attention of the department's
// requests, as of now: breached first, the most overdue on top, then at
// risk, the deadline soonest on top, paused ones last. A clock is the
// department's when it is a party of its SLA on the request (serves or
// waits: attentionRow.party, waiter), so that a department's view lists
// no clock of an SLA not on it.
func attentionList(p *sla.Policy, flagged []store.Flagged, filter string, now time.Time) []attentionRow {
	var out []attentionRow
	for _, f := range flagged {
		for _, r := range attentionRows(p, f, now) {
			if filter == "" || r.party == filter || r.waiter == filter {
				out = append(out, r)
			}
		}
	}
	slices.SortFunc(out, func(a, b attentionRow) int {
		if a.breached != b.breached {
			if a.breached {
				return -1
			}
			return 1
		}
		if a.at.IsZero() != b.at.IsZero() {
			if a.at.IsZero() {
				return 1
			}
			return -1
		}
		return cmp.Or(a.at.Compare(b.at), cmp.Compare(a.Request, b.Request), cmp.Compare(a.SLA, b.SLA), cmp.Compare(a.Target, b.Target))
	})
	return out
}

// departmentLinks lists every department for the filter, "All" first.
func departmentLinks(p *sla.Policy, current string) []deptLink {
	out := []deptLink{{Name: "All departments", URL: "/", Current: current == ""}}
	var ds []deptLink
	for id := range p.Departments {
		ds = append(ds, deptLink{ID: id, Name: p.DepartmentName(id), URL: departmentViewURL(id), Scorecard: scorecardURL(id), Current: id == current})
	}
	slices.SortFunc(ds, func(a, b deptLink) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.ID, b.ID))
	})
	return append(out, ds...)
}
