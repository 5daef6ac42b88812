package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

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
	Clocks                                 []clockPanel
}

type clockPanel struct {
	Anchor, SLA, Description, Target string
	State, Tone                      string
	Elapsed, Limit, When, Deadline   string
	DeadlineISO                      string
	Segments                         []ledgerRow
	Truncated                        bool
	HeldBy                           heldBar     // who held the request over the clock's span (request_held.go)
	Quiet                            []quietLine // alerts held for notification hours (request_quiet.go)
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
	heldBy := sla.HeldByClock(p, &req, holdings, now)
	quiet, err := s.opts.Store.HeldFor(res.ref)
	if err != nil {
		s.log.Error("request page: reading the held alerts failed", "request", id, "err", err)
	}
	page := requestPage{
		Title: "Request " + id + " · slad", ID: id, ReqTitle: req.Title, Status: string(req.Status),
		Provider: deptName(p, req.Provider), Customer: deptName(p, req.Customer),
		Priority: req.Priority, Category: req.Category,
		RenderedISO: now.UTC().Format(time.RFC3339), RenderedText: now.UTC().Format("Mon 2 Jan 2006, 15:04 MST"),
		JSONLink: "/api/v1/requests/" + httputil.RequestPath(res.ref.Provider, id) + "?explain=1",
	}
	for _, c := range req.Clocks {
		sl := p.SLA(c.SLA)
		if sl == nil {
			continue
		}
		cal := sl.CalendarOf()
		live := c.At(now, cal)
		panel := clockPanel{
			Anchor: strings.NewReplacer("/", "-", " ", "-").Replace(c.Key()),
			SLA:    sl.ID, Description: sl.Description, Target: string(c.Target),
			Elapsed: sla.FormatDuration(live.Elapsed), Limit: sla.FormatDuration(c.Limit),
		}
		panel.State, panel.Tone = stateWords(live.State)
		panel.HeldBy = newHeldBar(p, heldBy[c.Key()])
		panel.Quiet = quietLines(p, quiet, c.Key())
		if !live.Deadline.IsZero() {
			panel.Deadline = live.Deadline.In(cal.Location()).Format("Mon 2 Jan, 15:04 MST")
			panel.DeadlineISO = live.Deadline.UTC().Format(time.RFC3339)
			if live.Deadline.After(now) {
				panel.When = "in " + sla.FormatDuration(live.Deadline.Sub(now))
			} else {
				panel.When = sla.FormatDuration(now.Sub(live.Deadline)) + " ago"
			}
		}
		segs := ledgers[c.Key()]
		panel.Truncated = len(segs) >= sla.MaxLedgerSegments
		for _, sg := range segs {
			kind := segmentWords[sg.Kind]
			if sg.Reason != "" {
				kind += " (" + sg.Reason + ")"
			}
			counted := "—"
			if sg.Kind == sla.SegmentCounting {
				counted = sla.FormatDuration(sg.To.Sub(sg.From))
			}
			panel.Segments = append(panel.Segments, ledgerRow{
				From: sg.From.In(cal.Location()).Format("Mon 2 Jan 15:04"), To: sg.To.In(cal.Location()).Format("Mon 2 Jan 15:04 MST"),
				Kind: kind, Counted: counted,
			})
		}
		page.Clocks = append(page.Clocks, panel)
	}
	s.renderStatus(w, http.StatusOK, "request", page)
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
		view.Departments = append(view.Departments, deptLink{ID: ref.Provider, Name: deptName(p, ref.Provider), URL: "/requests/" + httputil.RequestPath(ref.Provider, ref.ID)})
	}
	s.renderStatus(w, http.StatusMultipleChoices, "problem", view)
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
