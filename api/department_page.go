package api

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/slad-project/slad/api/wire"
	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/store"
)

// The scorecard page: the figures of GET /api/v1/departments/{id} in words
// and charts, for a department lead. It shares the status page's
// stylesheet, head and Content-Security-Policy.

// departmentView is everything the scorecard page shows.
type departmentView struct {
	Refresh                   refresh
	Title, Name, Lead         string
	RenderedText, RenderedISO string
	StatusURL                 string // the status page filtered on the department
	APIURL                    string
	Departments               []deptLink // every scorecard, this one current
	Tiles                     []scoreTile
	Provides                  []providedView
	Receives                  []receivedView
	Waiting                   []attentionRow
	WaitingCaption            string
	WaitingHidden             bool // requests wait but the viewer may not read them
	Feedback                  *feedbackView
	Held                      []heldRow // the time it held requests (department_held.go)
	// HeldMore counts the rows of Held past statusRowsMax, not shown.
	HeldMore int
	// Pages, past scorecardSLAsMax SLAs given and received, link to each
	// page of them (pageScorecard); ProvidesOff and ReceivesOff count
	// those on other pages.
	Pages                    []pageLink
	ProvidesOff, ReceivesOff int
}

// pageScorecard links to each page of a scorecard of more than
// scorecardSLAsMax SLAs (the scorecard read those of the page asked for
// only: the SLAs given, then those received) and counts those given and
// received on other pages; it keeps at most statusRowsMax rows of the
// time the department held requests. The tiles count every SLA.
func pageScorecard(v *departmentView, d wire.Department, r *http.Request) {
	if n := len(v.Held); n > statusRowsMax {
		v.Held, v.HeldMore = v.Held[:statusRowsMax], n-statusRowsMax
	}
	v.Pages = pageLinks(r, d.ProvidesTotal+d.ReceivesTotal, scorecardSLAsMax, d.Page, d.Pages, "SLAs")
	v.ProvidesOff, v.ReceivesOff = d.ProvidesTotal-len(d.Provides), d.ReceivesTotal-len(d.Receives)
}

// scoreTile is one key figure at the top of the page.
type scoreTile struct {
	Count int64
	Label string
	Tone  string // ok, warn, bad
	Link  string // the section that explains it
}

// providedView is an SLA the department gives: the whole SLA's row, one
// row per customer, and its trends.
type providedView struct {
	Row       slaRow
	Customers []customerRow
	// CustomersMore counts the customers past scorecardRowsMax, whose rows
	// are left to GET /api/v1/slas/{id} (by_customer).
	CustomersMore int
	Medians       string // "median response 12m · median resolution 3h"
	Escalated     int64
	Charts        []template.HTML
	Held          *heldTable // who held its requests (department_held.go)
}

// customerRow is an SLA's standing for one customer.
type customerRow struct {
	Name, URL string
	Row       slaRow
}

// receivedView is an SLA the department receives, its own requests' figures.
type receivedView struct {
	Provider, ProviderURL string
	Row                   slaRow
	Medians               string
	Escalated             int64
	Charts                []template.HTML
}

// feedbackView is the internal NPS the department received and gave.
type feedbackView struct {
	Provider bool   // the department gives an SLA: what it received matters
	Window   string // "1 Oct – 24 Nov 2026 (quarter)"
	Received inpsRow
	By       []inpsRow
	Given    []inpsRow
}

// inpsRow is one iNPS figure in words.
type inpsRow struct {
	Who, Score, Detail, Tone string
}

func (s *Server) handleDepartmentPage(w http.ResponseWriter, r *http.Request) {
	cfg := s.opts.Config()
	if cfg == nil || cfg.Policy == nil {
		s.renderStatus(w, http.StatusServiceUnavailable, "problem", problemView{
			Title: "Not ready", Message: "slad has not loaded its configuration yet. This page reloads itself in a minute.", Refresh: true,
		})
		return
	}
	id := r.PathValue("id")
	if cfg.Policy.Departments[id] == nil {
		links := departmentLinks(cfg.Policy, "")[1:]
		for i := range links {
			links[i].URL = scorecardURL(links[i].ID)
		}
		s.renderStatus(w, http.StatusNotFound, "problem", problemView{
			Title:       "No such department",
			Message:     fmt.Sprintf("There is no department %q in slad's configuration. Pick one of these:", id),
			Departments: links,
		})
		return
	}
	now := s.now()
	details := s.mayReadDetails(r)
	d, att, err := s.scorecard(cfg, id, now, details, requestedPage(r))
	if err != nil {
		s.log.Error("department page: reading the store failed", "err", err)
		s.renderStatus(w, http.StatusInternalServerError, "problem", problemView{
			Title:   "The figures could not be read",
			Message: "slad could not read its database to draw this page: " + err.Error() + ". The error is in slad's log too.",
		})
		return
	}
	v := departmentPage(cfg, d, att, now, details)
	pageScorecard(&v, d, r)
	v.Refresh = refreshSwitch(r)
	s.renderStatus(w, http.StatusOK, "department", v)
}

// scorecardURL is the address of a department's scorecard page.
func scorecardURL(id string) string { return "/departments/" + url.PathEscape(id) }

// departmentPage writes a scorecard in words: the SLAs of its page, and
// tiles that count every SLA (the scorecard's totals). Its "Breached" and
// the requests it owes past their target count requests (att), each once
// per SLA, where the API counts clocks.
func departmentPage(cfg *config.Config, d wire.Department, att store.Attention, now time.Time, details bool) departmentView {
	p := cfg.Policy
	head := statusHeading(cfg, d.ID, now)
	v := departmentView{
		Title: d.Name + ": scorecard · slad", Name: d.Name, Lead: d.Lead,
		RenderedText: head.RenderedText, RenderedISO: head.RenderedISO,
		StatusURL: "/?department=" + url.QueryEscape(d.ID), APIURL: "/api/v1/departments/" + url.PathEscape(d.ID),
		Departments: departmentLinks(p, d.ID)[1:],
	}
	for i := range v.Departments {
		v.Departments[i].URL = scorecardURL(v.Departments[i].ID)
	}
	for i, ds := range d.Provides {
		pv := providedOf(p, ds, i)
		pv.Row.Breached = int64(att.Breached[ds.SLA])
		for j := range pv.Customers { // the first of ds.ByCustomer, in its order
			pv.Customers[j].Row.Breached = int64(att.BreachedByPair[[2]string{ds.SLA, ds.ByCustomer[j].Customer}])
		}
		v.Provides = append(v.Provides, pv)
	}
	for i, ds := range d.Receives {
		rv := receivedOf(p, ds, d.Name, i)
		rv.Row.Breached = int64(att.BreachedByPair[[2]string{ds.SLA, d.ID}])
		v.Receives = append(v.Receives, rv)
	}
	belowGiven, belowReceived := int64(d.ProvidesBelowObjective), int64(d.ReceivesBelowObjective)
	owed := int64(att.ByProvider[d.ID].Breached)
	if d.ProvidesTotal > 0 { // a department that gives nothing is not told it breaches nothing
		v.Tiles = append(v.Tiles,
			scoreTile{Count: belowGiven, Label: fmt.Sprintf("of the %s it gives below objective", sla.Plural(d.ProvidesTotal, "SLA", "SLAs")), Tone: toneOf(belowGiven, "bad"), Link: "#provides"},
			scoreTile{Count: owed, Label: owedWords(owed), Tone: toneOf(owed, "bad"), Link: "#provides"})
	}
	v.Tiles = append(v.Tiles,
		scoreTile{Count: belowReceived, Label: fmt.Sprintf("of the %s it receives below objective for %s", sla.Plural(d.ReceivesTotal, "SLA", "SLAs"), d.Name), Tone: toneOf(belowReceived, "bad"), Link: "#receives"},
		scoreTile{Count: int64(d.WaitingTotal), Label: "of its own requests breached or at risk", Tone: toneOf(int64(d.WaitingTotal), "warn"), Link: "#waiting"})
	v.Waiting = waitingRows(p, d.Waiting)
	if d.WaitingTotal > 0 {
		v.WaitingCaption = sla.Plural(d.WaitingTotal, "request", "requests") + " of " + d.Name + " breached or at risk"
		if d.WaitingTotal > len(d.Waiting) && details {
			v.WaitingCaption += fmt.Sprintf(", the %d most urgent listed", len(d.Waiting))
		}
	}
	v.WaitingHidden = !details && d.WaitingTotal > 0
	v.Held = departmentHeldRows(p, d.Held)
	v.Feedback = feedbackOf(p, &d.Feedback)
	v.Feedback.Provider = d.ProvidesTotal > 0
	return v
}

// owedWords is the label of the tile counting the open requests a
// department owes past a target: requests, each once, not their clocks.
func owedWords(n int64) string {
	if n == 1 {
		return "open request it owes past its target"
	}
	return "open requests it owes past their target"
}

func toneOf(n int64, bad string) string {
	if n > 0 {
		return bad
	}
	return "ok"
}

// standingAs is an SLA's standing with the figures of one side: the whole
// SLA's or one customer's, so that every row is written by slaRowOf.
func standingAs(ds wire.DepartmentSLA, st wire.Standing) wire.SLAStanding {
	return wire.SLAStanding{
		ID: ds.SLA, Description: ds.Description, Provider: ds.Provider, Customers: ds.Customers,
		Objective: ds.Objective, Window: ds.Window, WindowStart: ds.WindowStart, WindowEnd: ds.WindowEnd,
		Standing: st,
	}
}

func providedOf(p *sla.Policy, ds wire.DepartmentSLA, i int) providedView {
	sl := p.SLA(ds.SLA)
	pv := providedView{
		Row:       slaRowOf(p, sl, standingAs(ds, ds.Standing)),
		Medians:   mediansWords(ds),
		Escalated: ds.Escalated,
		Charts:    historyCharts(ds.Weekly, fmt.Sprintf("p%d", i), " of "+ds.SLA),
		Held:      heldTableOf(p, ds.SLA, ds.Held),
	}
	shown := ds.ByCustomer
	if len(shown) > scorecardRowsMax {
		shown, pv.CustomersMore = shown[:scorecardRowsMax], len(shown)-scorecardRowsMax
	}
	for _, c := range shown {
		pv.Customers = append(pv.Customers, customerRow{
			Name: p.DepartmentName(c.Customer), URL: scorecardURL(c.Customer),
			Row: slaRowOf(p, sl, standingAs(ds, c.Standing)),
		})
	}
	return pv
}

func receivedOf(p *sla.Policy, ds wire.DepartmentSLA, name string, i int) receivedView {
	return receivedView{
		Provider: p.DepartmentName(ds.Provider), ProviderURL: scorecardURL(ds.Provider),
		Row:       slaRowOf(p, p.SLA(ds.SLA), standingAs(ds, ds.Standing)),
		Medians:   mediansWords(ds),
		Escalated: ds.Escalated,
		Charts:    historyCharts(ds.Weekly, fmt.Sprintf("r%d", i), " of "+ds.SLA+" for "+name),
	}
}

// mediansWords writes the median times, "" when no clock stopped.
func mediansWords(ds wire.DepartmentSLA) string {
	var out string
	for _, m := range []struct {
		name string
		v    *int64
	}{{"response", ds.MedianResponseSeconds}, {"resolution", ds.MedianResolutionSeconds}} {
		if m.v == nil {
			continue
		}
		if out != "" {
			out += " · "
		}
		out += "median " + m.name + " " + sla.FormatDuration(time.Duration(*m.v)*time.Second)
	}
	return out
}

// historyCharts draws an SLA's last weeks: compliance against the
// objective, breaches, and the median time to resolution when the SLA has
// a resolution target. whose ends each title (" of it-sales-incidents
// for Sales"), so that a screen reader's list of images tells them apart.
func historyCharts(h *wire.History, id, whose string) []template.HTML {
	if h == nil {
		return nil
	}
	var comp, breaches, res []chartPoint
	anyResolution := false
	for _, per := range h.Periods {
		label := per.From
		if d, err := time.Parse(time.DateOnly, per.From); err == nil {
			label = d.Format("2 Jan")
		}
		c := chartPoint{Label: label}
		if per.Compliance != nil {
			c.Value, c.OK = *per.Compliance, true
		}
		comp = append(comp, c)
		breaches = append(breaches, chartPoint{Label: label, Value: float64(per.Breached), OK: true})
		r := chartPoint{Label: label}
		if per.MedianResolutionSeconds != nil {
			r.Value, r.OK, anyResolution = float64(*per.MedianResolutionSeconds), true, true
		}
		res = append(res, r)
	}
	if !slices.ContainsFunc(h.Periods, func(p wire.HistoryPeriod) bool { return p.Compliance != nil || p.Breached > 0 }) {
		return nil // twelve empty weeks say less than "no figures yet" does
	}
	obj := h.Objective
	out := []template.HTML{
		chart{ID: id + "-compliance", Title: "Compliance per week" + whose, Measure: "Compliance", Period: "week",
			Kind: chartLine, Unit: unitShare, Objective: &obj, Points: comp}.SVG(),
		chart{ID: id + "-breaches", Title: "Breaches per week" + whose, Measure: "Breaches", Period: "week",
			Kind: chartBars, Unit: unitCount, Points: breaches}.SVG(),
	}
	if anyResolution {
		out = append(out, chart{ID: id + "-resolution", Title: "Median resolution per week" + whose, Measure: "Median resolution",
			Period: "week", Kind: chartLine, Unit: unitSeconds, Points: res}.SVG())
	}
	return out
}

// sparkline is the compact compliance chart of a status page row.
func sparkline(h *wire.History, id string) template.HTML {
	if h == nil {
		return ""
	}
	var pts []chartPoint
	for _, per := range h.Periods {
		c := chartPoint{Label: per.From}
		if d, err := time.Parse(time.DateOnly, per.From); err == nil {
			c.Label = d.Format("2 Jan")
		}
		if per.Compliance != nil {
			c.Value, c.OK = *per.Compliance, true
		}
		pts = append(pts, c)
	}
	obj := h.Objective
	return chart{ID: id, Title: "Compliance per week, last 12 weeks", Measure: "Compliance", Period: "week",
		Kind: chartLine, Unit: unitShare, Objective: &obj, Points: pts, Compact: true}.SVG()
}

// waitingRows writes the requests a department waits for as the status
// page's attention list writes them, each with the department it waits on.
func waitingRows(p *sla.Policy, ws []wire.WaitingRequest) []attentionRow {
	out := make([]attentionRow, 0, len(ws))
	for _, w := range ws {
		row := attentionRow{
			Request: w.ID, Title: w.Title, Link: w.URL, SLA: w.SLA, Target: w.Target,
			Provider: p.DepartmentName(w.Provider), Priority: w.Priority, Tone: "warn", State: "At risk",
		}
		if sl := p.SLA(w.SLA); sl != nil {
			// The department it waits on: the SLA's provider, Network for
			// IT's own request under Network's OLA.
			row.Provider = p.DepartmentName(sl.Provider)
		}
		if w.State == "breached" {
			row.Tone, row.State = "bad", "Breached"
		}
		if w.Deadline != nil {
			cal := p.SLA(w.SLA).CalendarOf()
			row.Deadline = w.Deadline.In(cal.Location()).Format("Mon 2 Jan, 15:04 MST")
			row.DeadlineISO = w.Deadline.UTC().Format(time.RFC3339)
		} else {
			row.Deadline = "paused"
		}
		out = append(out, row)
	}
	return out
}

// feedbackOf writes the internal NPS; nil when there is none to show.
func feedbackOf(p *sla.Policy, f *wire.DepartmentFeedback) *feedbackView {
	if f == nil {
		return nil
	}
	v := &feedbackView{Window: f.From + " – " + f.To + " (" + f.Window + ")", Received: inpsWords(p, f.Received, "All customers")}
	for _, x := range f.ReceivedBy {
		v.By = append(v.By, inpsWords(p, x, p.DepartmentName(x.Customer)))
	}
	for _, x := range f.Given {
		v.Given = append(v.Given, inpsWords(p, x, p.DepartmentName(x.Provider)))
	}
	return v
}

// inpsWords writes one iNPS: "+40", with its answers.
func inpsWords(_ *sla.Policy, x wire.INPS, who string) inpsRow {
	if x.INPS == nil {
		return inpsRow{Who: who, Score: "—", Detail: "no answers yet", Tone: "none"}
	}
	tone := "ok" // more promoters than detractors, or as many
	if *x.INPS < 0 {
		tone = "bad"
	}
	return inpsRow{
		Who: who, Score: fmt.Sprintf("%+d", *x.INPS), Tone: tone,
		Detail: sla.Plural(x.Responses, "answer", "answers") + ": " + sla.Plural(x.Promoters, "promoter", "promoters") + ", " +
			sla.Plural(x.Passives, "passive", "passives") + ", " + sla.Plural(x.Detractors, "detractor", "detractors"),
	}
}

// rowTrend is the sparkline of a status page row: the SLA's compliance
// per week (one customer's, when given) over the last 12 weeks, from a
// snapshot that read them as its further ranges (trendRanges).
func (sn snapshot) rowTrend(sl *sla.SLA, customer string) template.HTML {
	today := sn.windows[sl.ID][1]
	h := sn.historyOf(sl, customer, sla.ByWeek, sla.LastPeriods(sla.ByWeek, today, sla.HistoryLength), today, nil)
	return sparkline(&h, "trend-"+sl.ID)
}

// trendRanges are the last 12 weeks up to today, for figureRead.ranges.
func trendRanges(sl *sla.SLA, today sla.Date) []store.DayRange {
	return periodRanges(sla.LastPeriods(sla.ByWeek, today, sla.HistoryLength))(sl, today)
}
