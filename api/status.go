package api

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/slad-project/slad/api/wire"
	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/sla"
)

// The status page is one server-rendered HTML document: no script, no
// external asset, its stylesheet inline and allowed by its hash, so the
// Content-Security-Policy can forbid everything else.

//go:embed templates/status.html templates/request.html templates/status.css
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
		// head is the data of the document's <head>: its title, and
		// whether it refreshes itself (the status page does; error pages
		// do not).
		"head": func(title string, refresh bool) any {
			return struct {
				Title   string
				Refresh bool
			}{title, refresh}
		},
	}).ParseFS(statusFiles, "templates/status.html", "templates/request.html"))
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
	m.HandleFunc("GET /{$}", s.handleStatus)
	m.HandleFunc("GET /requests/{id}", s.handleRequestPage)
}

// handleStatus renders the status page. Its cost is bounded by the
// configuration and by the requests that need attention: it reads the
// counters once, the day aggregates of each SLA's window, and the attention
// index — never every request or event.
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
	v, err := s.statusView(cfg, filter, s.now())
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

// statusView is everything the status page shows.
type statusView struct {
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
}

type statusSummary struct {
	SLAs, Meeting, Below, NoData int
	Breached, AtRisk             int // attention rows
}

type deptLink struct {
	ID, Name, URL string
	Current       bool
}

// deptGroup is the SLAs one department provides.
type deptGroup struct {
	ID, Name, Lead string
	SLAs           []slaRow
}

type slaRow struct {
	ID, Description string
	Customers       string // names, or "every department"
	Promise         []string
	WindowName      string // "30 days", "this month"
	WindowRange     string // "26 Oct – 24 Nov 2026"
	Calendar        string
	Objective       string // "95%"
	Compliance      string // "93.3%"
	BarWidth        string // compliance on a 0–100 scale, for the bar
	ObjectiveX      string // objective on the same scale, for its marker
	BarLabel        string
	Targets         []string // "response 100% (4 of 4)"
	Tone            string   // ok, warn, bad, none
	State           string
	Budget          string
	Affordable      string
	Open            int64
	AtRisk          int64
	Breached        int64
	CSAT            string // average satisfaction score
	CSATCount       string // how many scores it averages
}

type attentionRow struct {
	Request, Title, Link string
	SLA, Target          string
	Provider, Customer   string
	Priority             string
	Tone, State          string
	When                 string // "in 25m", "2h 10m ago", "paused"
	Left                 string // for a paused clock: "25m of business time left"
	Deadline             string // absolute, in the SLA calendar's zone
	DeadlineISO          string
	breached             bool
	at                   time.Time
}

func (s *Server) statusView(cfg *config.Config, filter string, now time.Time) (statusView, error) {
	p := cfg.Policy
	loc := time.UTC
	if cfg.Global.Timezone != nil {
		loc = cfg.Global.Timezone
	}
	v := statusView{
		RenderedText: now.In(loc).Format("Mon 2 Jan 2006, 15:04 MST"),
		RenderedISO:  now.UTC().Format(time.RFC3339),
		Departments:  departmentLinks(p, filter),
	}
	v.Title = "SLA status · slad"
	for i := range v.Departments {
		if v.Departments[i].Current && v.Departments[i].ID != "" {
			v.Filter = &v.Departments[i]
			v.Title = "SLA status: " + v.Filter.Name + " · slad"
		}
	}

	counters, err := s.opts.Store.Counters()
	if err != nil {
		return v, fmt.Errorf("read counters: %w", err)
	}
	groups := map[string]*deptGroup{}
	for _, sl := range p.SLAs {
		if filter != "" && sl.Provider != filter && !slices.Contains(sl.Customers, filter) && !slices.Contains(sl.Customers, "*") {
			continue
		}
		st, err := s.standing(sl, counters, now)
		if err != nil {
			return v, fmt.Errorf("read figures of SLA %q: %w", sl.ID, err)
		}
		row := slaRowOf(p, sl, st)
		switch row.Tone {
		case "bad":
			v.Summary.Below++
		case "none":
			v.Summary.NoData++
		default:
			v.Summary.Meeting++
		}
		v.Summary.SLAs++
		g := groups[sl.Provider]
		if g == nil {
			g = &deptGroup{ID: sl.Provider, Name: deptName(p, sl.Provider)}
			if d := p.Departments[sl.Provider]; d != nil {
				g.Lead = d.Lead
			}
			groups[sl.Provider] = g
		}
		g.SLAs = append(g.SLAs, row)
	}
	for _, g := range groups {
		v.Groups = append(v.Groups, *g)
	}
	slices.SortFunc(v.Groups, func(a, b deptGroup) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.ID, b.ID))
	})

	reqs, err := s.opts.Store.Attention()
	if err != nil {
		return v, fmt.Errorf("read requests needing attention: %w", err)
	}
	for _, req := range reqs {
		if filter != "" && req.Provider != filter && req.Customer != filter {
			continue
		}
		v.Attention = append(v.Attention, attentionRows(p, req, now)...)
	}
	slices.SortFunc(v.Attention, func(a, b attentionRow) int {
		if a.breached != b.breached {
			if a.breached {
				return -1
			}
			return 1
		}
		// Most overdue first, then the deadline soonest; paused ones last.
		if a.at.IsZero() != b.at.IsZero() {
			if a.at.IsZero() {
				return 1
			}
			return -1
		}
		return cmp.Or(a.at.Compare(b.at), cmp.Compare(a.Request, b.Request), cmp.Compare(a.SLA, b.SLA), cmp.Compare(a.Target, b.Target))
	})
	// The summary counts requests; a request breached on one target and
	// at risk on another counts as breached.
	breached, atRisk := map[string]bool{}, map[string]bool{}
	for _, a := range v.Attention {
		if a.breached {
			breached[a.Request] = true
		} else {
			atRisk[a.Request] = true
		}
	}
	for id := range breached {
		delete(atRisk, id)
	}
	v.Summary.Breached, v.Summary.AtRisk = len(breached), len(atRisk)
	if n := len(v.Attention); n > 0 {
		v.AttentionCaption = plural(len(breached)+len(atRisk), "request", "requests") + " needing attention, " +
			plural(n, "target", "targets") + " in all"
	}
	return v, nil
}

// departmentLinks lists every department for the filter, "All" first.
func departmentLinks(p *sla.Policy, current string) []deptLink {
	out := []deptLink{{Name: "All departments", URL: "/", Current: current == ""}}
	var ds []deptLink
	for id := range p.Departments {
		ds = append(ds, deptLink{ID: id, Name: deptName(p, id), URL: "/?department=" + url.QueryEscape(id), Current: id == current})
	}
	slices.SortFunc(ds, func(a, b deptLink) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.ID, b.ID))
	})
	return append(out, ds...)
}

func deptName(p *sla.Policy, id string) string {
	if d := p.Departments[id]; d != nil && d.Name != "" {
		return d.Name
	}
	return id
}

func slaRowOf(p *sla.Policy, sl *sla.SLA, st wire.SLAStanding) slaRow {
	row := slaRow{
		ID: sl.ID, Description: sl.Description,
		Objective:  sla.FormatPercent(st.Objective),
		Compliance: percent(st.Compliance),
		BarWidth:   scale(st.Compliance),
		ObjectiveX: scale(st.Objective),
		Open:       st.Open, AtRisk: st.AtRisk, Breached: st.Breached,
		CSAT: "—",
	}
	var names []string
	for _, c := range sl.Customers {
		if c == "*" {
			names = []string{"every department"}
			break
		}
		names = append(names, deptName(p, c))
	}
	row.Customers = strings.Join(names, ", ")
	for _, k := range sla.TargetKinds {
		if t := sl.Target(k); t.Set() {
			row.Promise = append(row.Promise, string(k)+" "+describeTarget(t))
		}
	}
	row.WindowName, row.WindowRange = describeWindow(sl.Window, st.WindowStart, st.WindowEnd)
	cal := sl.CalendarOf()
	row.Calendar = cal.Name()
	if loc := cal.Location(); loc != nil && loc.String() != cal.Name() {
		row.Calendar += " calendar, " + loc.String()
	} else {
		row.Calendar += " calendar"
	}

	var counted int64
	for _, t := range st.Targets {
		counted += t.Counted
		if t.Counted == 0 {
			row.Targets = append(row.Targets, string(t.Target)+": nothing counted yet")
			continue
		}
		row.Targets = append(row.Targets, fmt.Sprintf("%s %s (%d of %d met)", t.Target, percent(t.Compliance), t.Met, t.Counted))
	}
	switch {
	case counted == 0:
		row.Tone, row.State = "none", "No figures yet"
		row.Compliance, row.BarWidth = "—", "0"
		row.Budget = "All of it"
		row.BarLabel = "No compliance figure yet; objective " + row.Objective
	case st.Compliance < st.Objective:
		row.Tone, row.State = "bad", "Below objective"
	case st.ErrorBudgetRemaining < 0.25:
		row.Tone, row.State = "warn", "Budget low"
	default:
		row.Tone, row.State = "ok", "Meeting objective"
	}
	if counted > 0 {
		row.BarLabel = "Compliance " + row.Compliance + ", objective " + row.Objective
		if st.ErrorBudgetRemaining <= 0 {
			row.Budget = "None left"
		} else {
			row.Budget = fmt.Sprintf("%.0f%%", st.ErrorBudgetRemaining*100)
		}
		switch {
		case st.ErrorBudgetRemaining <= 0:
		case st.BreachesAffordable == 0:
			row.Affordable = "the next breach puts it below objective"
		default:
			row.Affordable = plural(st.BreachesAffordable, "more breach affordable", "more breaches affordable")
		}
	}
	if st.CSATAverage != nil {
		row.CSAT = fmt.Sprintf("%.1f / 5", *st.CSATAverage)
		row.CSATCount = plural(st.CSATCount, "score", "scores")
	}
	return row
}

// attentionRows lists the clocks of a request that are breached or past
// their SLA's first warning, as of now.
func attentionRows(p *sla.Policy, req sla.Request, now time.Time) []attentionRow {
	var out []attentionRow
	for _, c := range req.Clocks {
		sl := p.SLA(c.SLA)
		if sl == nil || !c.Open() {
			continue
		}
		cal := sl.CalendarOf()
		live := c.At(now, cal)
		row := attentionRow{
			Request: req.ID, Title: req.Title,
			Link: "/requests/" + url.PathEscape(req.ID),
			SLA:  sl.ID, Target: string(c.Target),
			Provider: deptName(p, req.Provider), Customer: deptName(p, req.Customer),
			Priority: req.Priority,
		}
		switch {
		case live.State == sla.StateBreached:
			row.breached, row.Tone, row.State = true, "bad", "Breached"
		case atRisk(sl, c, live):
			row.Tone, row.State = "warn", "At risk"
		default:
			continue
		}
		row.at = live.Deadline
		switch {
		case !live.Deadline.IsZero() && !live.Deadline.After(now):
			row.When = humanDuration(now.Sub(live.Deadline)) + " ago"
		case !live.Deadline.IsZero():
			row.When = "in " + humanDuration(live.Deadline.Sub(now))
		case live.State == sla.StatePaused:
			row.When, row.Left = "paused", humanDuration(live.Remaining)+" of business time left"
		}
		if !live.Deadline.IsZero() {
			row.Deadline = live.Deadline.In(cal.Location()).Format("Mon 2 Jan, 15:04 MST")
			row.DeadlineISO = live.Deadline.UTC().Format(time.RFC3339)
		}
		out = append(out, row)
	}
	return out
}

// atRisk reports whether an open clock within its target has passed the
// SLA's first warning threshold, as the alert stages count it.
func atRisk(sl *sla.SLA, c sla.Clock, live sla.Live) bool {
	if len(sl.WarnAt) == 0 || live.State == sla.StateBreached {
		return false
	}
	th := time.Duration(float64(c.Limit)*sl.WarnAt[0]) / time.Second * time.Second
	return live.Elapsed >= th
}

// describeTarget writes a target as a person reads it: "30m",
// "P1 4h, P2 1d, others 3d".
func describeTarget(t sla.Target) string {
	if len(t.ByPriority) == 0 {
		return sla.FormatDuration(t.Default)
	}
	prios := make([]string, 0, len(t.ByPriority))
	for p := range t.ByPriority {
		prios = append(prios, p)
	}
	slices.Sort(prios)
	parts := make([]string, 0, len(prios)+1)
	for _, p := range prios {
		parts = append(parts, p+" "+sla.FormatDuration(t.ByPriority[p]))
	}
	if t.Default > 0 {
		parts = append(parts, "others "+sla.FormatDuration(t.Default))
	}
	return strings.Join(parts, ", ")
}

// describeWindow names a compliance window and the dates it covers now.
func describeWindow(w sla.Window, first, last string) (name, dates string) {
	switch w.Kind {
	case sla.Month:
		name = "this month"
	case sla.Quarter:
		name = "this quarter"
	default:
		if w.Days%7 == 0 && w.Days > 7 {
			name = fmt.Sprintf("last %d weeks", w.Days/7)
		} else {
			name = "last " + plural(int64(w.Days), "day", "days")
		}
	}
	f, err1 := time.Parse(time.DateOnly, first)
	l, err2 := time.Parse(time.DateOnly, last)
	if err1 != nil || err2 != nil {
		return name, first + " – " + last
	}
	switch {
	case f.Equal(l):
		return name, l.Format("2 Jan 2006")
	case f.Year() != l.Year():
		return name, f.Format("2 Jan 2006") + " – " + l.Format("2 Jan 2006")
	}
	return name, f.Format("2 Jan") + " – " + l.Format("2 Jan 2006")
}

// humanDuration writes a wall-clock span in words a reader takes in at a
// glance: "under a minute", "25m", "2h 10m", "3d 4h".
func humanDuration(d time.Duration) string {
	d = max(d, 0)
	switch {
	case d < time.Minute:
		return "under a minute"
	case d < time.Hour:
		return fmt.Sprintf("%dm", d/time.Minute)
	case d < 24*time.Hour:
		h, m := d/time.Hour, (d%time.Hour)/time.Minute
		if m == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh %dm", h, m)
	}
	days, h := d/(24*time.Hour), (d%(24*time.Hour))/time.Hour
	if h == 0 {
		return fmt.Sprintf("%dd", days)
	}
	return fmt.Sprintf("%dd %dh", days, h)
}

// percent formats a share with one decimal where it matters: "100%",
// "93.3%", "50%". It never rounds up to 100% a share that falls short.
func percent(f float64) string {
	tenths := int64(math.Floor(f*1000 + 1e-9))
	if tenths%10 == 0 {
		return fmt.Sprintf("%d%%", tenths/10)
	}
	return fmt.Sprintf("%d.%d%%", tenths/10, tenths%10)
}

// scale puts a share on the bar's 0–100 scale.
func scale(f float64) string {
	return fmt.Sprintf("%.2f", min(max(f, 0), 1)*100)
}

func plural[N int | int64](n N, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
