package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/internal/httputil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/store"
)

// requestPage is what GET /requests/{provider}/{id} shows: the page alert links point
// to, for a person (the JSON is at /api/v1/requests/{provider}/{id}?explain=1).
type requestPage struct {
	Title, ID, ReqTitle, Status            string
	Provider, Customer, Priority, Category string
	RenderedISO, RenderedText, JSONLink    string
	// Zone names the one time zone every time on the page is in.
	Zone   string
	Clocks []clockPanel
	Alerts alertsSection // request_alerts.go
	// Unmatched says, for a request without a clock, why each SLA of its
	// provider gave it none (sla.Policy.Explain).
	Unmatched []string
	// PartyUnmatched says why each holding or waiting SLA whose party
	// held the request gave it no clock, with clocks or without.
	PartyUnmatched []string
	// UnmatchedMore counts the reasons of both lists past statusRowsMax
	// each, left to the JSON: a provider of 1,000 SLAs has as many.
	UnmatchedMore int
}

type clockPanel struct {
	Anchor, SLA, Description, Target string
	State, Tone                      string
	Elapsed, Limit, When, Deadline   string
	// Over is how far a breached clock is past its target, to the second.
	Over        string
	DeadlineISO string
	Segments    []ledgerRow
	Truncated   bool
	// SegmentsMore counts the ledger's rows past ledgerRowsMax, left to
	// the request's JSON.
	SegmentsMore int
	HeldBy       heldBar     // who held the request over the clock's span (request_held.go)
	Quiet        []quietLine // alerts held for notification hours (request_quiet.go)
}

type ledgerRow struct{ From, To, Kind, Counted string }

// segmentWords says what a ledger segment is in a reader's words.
var segmentWords = map[sla.SegmentKind]string{
	sla.SegmentCounting:     "business hours: counted",
	sla.SegmentOutsideHours: "outside business hours",
	sla.SegmentHoliday:      "holiday",
	sla.SegmentPaused:       "paused",
	sla.SegmentStopped:      "stopped",
}

func (s *Server) handleRequestPage(w http.ResponseWriter, r *http.Request) {
	cfg := s.opts.Config()
	res, err := s.resolveRequest(r, "/requests/")
	if err == nil && !res.found {
		s.requestNotFound(w, r.PathValue("id"), res)
		return
	}
	id := res.ref.ID
	var v store.RequestView
	if err == nil {
		v, err = s.opts.Store.Request(res.ref)
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.requestNotFound(w, id, resolved{notFound: fmt.Sprintf("request %q of provider %q is not known", id, res.ref.Provider)})
		return
	case err != nil:
		s.log.Error("request page: reading the store failed", "request", id, "err", err)
		s.renderStatus(w, http.StatusInternalServerError, "problem", problemView{
			Title: "The request could not be read", Message: "slad could not read its database: " + err.Error(),
		})
		return
	}
	now := s.now()
	p := cfg.Policy
	req, ledgers, holdings := sla.ExplainHeld(p, id, v.Events, now)
	heldBy, colours := sla.HeldByClock(p, &req, holdings, now), heldColoursOf(holdings)
	quiet, err := s.opts.Store.HeldFor(res.ref)
	if err != nil {
		s.log.Error("request page: reading the held alerts failed", "request", id, "err", err)
	}
	loc := pageZone(p, &req, zoneOf(cfg))
	alerts, total, err := s.opts.Store.RequestAlerts(res.ref, maxPageAlerts)
	if err != nil {
		s.log.Error("request page: reading the alerts failed", "request", id, "err", err)
	}
	page := requestPage{
		Title: "Request " + id + " · slad", ID: id, ReqTitle: req.Title, Status: string(req.Status),
		Provider: p.DepartmentName(req.Provider), Customer: p.DepartmentName(req.Customer),
		Priority: req.Priority, Category: req.Category,
		RenderedISO: now.UTC().Format(time.RFC3339), RenderedText: pageTime(now, loc), Zone: loc.String(),
		Alerts:   newAlertsSection(p, &req, &v.State, alerts, total, now, loc),
		JSONLink: "/api/v1/requests/" + httputil.RequestPath(res.ref.Provider, id) + "?explain=1",
	}
	page.Unmatched = unmatchedReasons(p, &req)
	for _, m := range p.ExplainParties(req.Attributes, holdings) {
		page.PartyUnmatched = append(page.PartyUnmatched, m.Reason)
	}
	for _, l := range []*[]string{&page.Unmatched, &page.PartyUnmatched} {
		if n := len(*l); n > statusRowsMax {
			*l, page.UnmatchedMore = (*l)[:statusRowsMax], page.UnmatchedMore+n-statusRowsMax
		}
	}
	for _, c := range req.Clocks {
		sl := p.SLA(c.SLA)
		if sl == nil {
			continue
		}
		panel := newClockPanel(sl, &c, now, loc)
		panel.HeldBy = newHeldBar(p, heldBy[c.Key()], colours)
		panel.Quiet = quietLines(p, quiet, c.Key(), loc)
		segs := ledgers[c.Key()]
		panel.Truncated = len(segs) >= sla.MaxLedgerSegments
		panel.Segments = ledgerRows(segs, loc)
		if n := len(panel.Segments); n > ledgerRowsMax {
			panel.Segments, panel.SegmentsMore = panel.Segments[:ledgerRowsMax], n-ledgerRowsMax
		}
		page.Clocks = append(page.Clocks, panel)
	}
	s.renderStatus(w, http.StatusOK, "request", page)
}

// newClockPanel is what the page says of clock c of SLA sl as of now:
// its state in words (at risk past a warning, or by how much it is over),
// the business time elapsed and, with loc's clock, its deadline.
func newClockPanel(sl *sla.SLA, c *sla.Clock, now time.Time, loc *time.Location) clockPanel {
	live := c.At(now, sl.CalendarOf())
	panel := clockPanel{
		Anchor: strings.NewReplacer("/", "-", " ", "-").Replace(c.Key()),
		SLA:    sl.ID, Description: sl.Description, Target: string(c.Target),
		Elapsed: exactDuration(live.Elapsed), Limit: sla.FormatDuration(c.Limit),
	}
	panel.State, panel.Tone = stateWords(live.State)
	if live.State == sla.StateBreached {
		// To the second, like Elapsed: "2m 56s of 2m: 56s over".
		panel.Over = exactDuration(live.Elapsed - c.Limit)
	} else if share := warnedAt(sl, c, live.Elapsed); share != "" && live.State == sla.StateRunning {
		panel.State, panel.Tone = "At risk: past the "+share+" warning", "warn"
	}
	if !live.Deadline.IsZero() {
		panel.Deadline = pageTime(live.Deadline, loc)
		panel.DeadlineISO = live.Deadline.UTC().Format(time.RFC3339)
		if live.Deadline.After(now) {
			panel.When = "in " + sla.FormatDuration(live.Deadline.Sub(now))
		} else {
			panel.When = sla.FormatDuration(now.Sub(live.Deadline)) + " ago"
		}
	}
	return panel
}

// ledgerRows are a clock's explain segments as the page's table rows, in
// loc's clock: what each stretch was and the business time it counted.
func ledgerRows(segs []sla.Segment, loc *time.Location) []ledgerRow {
	rows := make([]ledgerRow, 0, len(segs))
	for _, sg := range segs {
		kind := segmentWords[sg.Kind]
		if sg.Reason != "" {
			kind += " (" + sg.Reason + ")"
		}
		counted := "—"
		if sg.Kind == sla.SegmentCounting {
			counted = exactDuration(sg.To.Sub(sg.From)) // the rows add up to the caption's exact total
		}
		rows = append(rows, ledgerRow{From: pageTime(sg.From, loc), To: pageTime(sg.To, loc), Kind: kind, Counted: counted})
	}
	return rows
}

// requestNotFound renders the page of a path that names no one request:
// the providers' requests an id names, or that none is known.
func (s *Server) requestNotFound(w http.ResponseWriter, id string, res resolved) {
	if len(res.candidates) == 0 {
		s.renderStatus(w, http.StatusNotFound, "problem", problemView{
			Title:   "No such request",
			Message: "slad knows no such request: " + res.notFound + ".",
		})
		return
	}
	p := s.opts.Config().Policy
	view := problemView{
		Title:   "Which request?",
		Message: fmt.Sprintf("Several departments have a request %q. Choose the one you mean:", id),
	}
	for _, ref := range res.candidates {
		view.Departments = append(view.Departments, deptLink{ID: ref.Provider, Name: p.DepartmentName(ref.Provider), URL: "/requests/" + httputil.RequestPath(ref.Provider, ref.ID)})
	}
	s.renderStatus(w, http.StatusMultipleChoices, "problem", view)
}

// pageZone is the one zone the request page writes times in: that of the
// calendars of the request's SLAs when they agree (where "outside business
// hours" makes sense), else global.timezone (fallback).
func pageZone(p *sla.Policy, req *sla.Request, fallback *time.Location) *time.Location {
	var zone *time.Location
	for _, c := range req.Clocks {
		sl := p.SLA(c.SLA)
		if sl == nil {
			continue
		}
		loc := sl.CalendarOf().Location()
		if zone != nil && zone.String() != loc.String() {
			return fallback
		}
		zone = loc
	}
	if zone == nil {
		return fallback
	}
	return zone
}

// pageTime writes an instant of the request page in its zone, which it
// names: "Tue 24 Nov 2026, 13:00 CET".
func pageTime(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("Mon 2 Jan 2006, 15:04 MST")
}

// exactDuration writes d to the second, in every unit it has ("2m 56s",
// "4h 30s", "26h 3m 10s"), each unit as sla.FormatDuration writes it: where
// the page must not cut anything off, as FormatDuration's two units would.
func exactDuration(d time.Duration) string {
	var parts []string
	for _, u := range []time.Duration{time.Hour, time.Minute, time.Second} {
		if n := d / u; n > 0 {
			parts = append(parts, sla.FormatDuration(n*u))
			d -= n * u
		}
	}
	if len(parts) == 0 {
		return sla.FormatDuration(0)
	}
	return strings.Join(parts, " ")
}

// warnedAt returns the largest warn_at share ("80%") that the clock's
// elapsed business time has passed, or "" when none.
func warnedAt(s *sla.SLA, c *sla.Clock, elapsed time.Duration) string {
	share := ""
	for _, st := range lifecycle.Stages(s, c) {
		if st.Kind == lifecycle.StageWarning && st.Threshold <= elapsed {
			share = sla.FormatPercent(s.WarnAt[st.Step])
		}
	}
	return share
}

// stateWords names a clock state for people, with the tone of its badge.
func stateWords(st sla.ClockState) (words, tone string) {
	switch st {
	case sla.StateBreached:
		return "Breached", "bad"
	case sla.StateMet:
		return "Met", "ok"
	case sla.StatePaused:
		return "Paused", "none"
	case sla.StateCancelled:
		return "Cancelled", "none"
	}
	return "Running", "ok"
}

// unmatchedReasons says, for an opened request without a clock, why each
// SLA of its provider gave it none; nil otherwise.
func unmatchedReasons(p *sla.Policy, req *sla.Request) []string {
	if len(req.Clocks) > 0 || req.Opened.IsZero() {
		return nil
	}
	var out []string
	for _, m := range p.Explain(req.Attributes) {
		out = append(out, m.Reason)
	}
	return out
}
