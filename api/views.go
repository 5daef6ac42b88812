package api

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/api/wire"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/store"
)

// ClockView is one SLA target's clock on a request, as the API shows it.
type ClockView struct {
	SLA              string         `json:"sla"`
	Target           sla.TargetKind `json:"target"`
	State            sla.ClockState `json:"state"`
	TargetSeconds    int64          `json:"target_seconds"`
	ElapsedSeconds   int64          `json:"elapsed_seconds"`
	RemainingSeconds int64          `json:"remaining_seconds"`
	Deadline         *time.Time     `json:"deadline"`
	Stage            *string        `json:"stage"`
	Started          time.Time      `json:"started"`
	Stopped          *time.Time     `json:"stopped"`
	PauseReason      string         `json:"pause_reason,omitempty"`
	Segments         []sla.Segment  `json:"segments,omitzero"`
	// HeldBy lists, with explain only, who held the request over the
	// clock's span (from its start to its stop, or now), counting and
	// paused time alike, with the business seconds of the SLA's calendar
	// each holder had, in the order they first held it.
	HeldBy []sla.Held `json:"held_by,omitzero"`
}

// RequestView is a request and its clocks.
type RequestView struct {
	ID          string            `json:"id"`
	Status      sla.RequestStatus `json:"status"`
	Provider    string            `json:"provider,omitempty"`
	Customer    string            `json:"customer,omitempty"`
	Priority    string            `json:"priority,omitempty"`
	Category    string            `json:"category,omitempty"`
	Title       string            `json:"title,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Opened      *time.Time        `json:"opened"`
	Responded   *time.Time        `json:"responded"`
	Resolved    *time.Time        `json:"resolved"`
	Paused      bool              `json:"paused"`
	PauseReason string            `json:"pause_reason,omitempty"`
	CSAT        int               `json:"csat,omitempty"`
	// Holder is who holds the open request now: the department it was
	// last assigned to (its provider until then), or its customer while it
	// waits on the customer; absent once it is resolved or cancelled.
	Holder *HolderView `json:"holder,omitempty"`
	Events int         `json:"events"`
	Clocks []ClockView `json:"clocks"`
	// Ignored lists, with explain only, the events the fold left out and why
	// (dated before the opening, a second "opened", another provider).
	Ignored []sla.IgnoredEvent `json:"ignored,omitzero"`
	// Unmatched lists, with explain only, why each SLA of the provider
	// gave the request no clock (or no clock of one target): the
	// attribute refused, the request's value and what the SLA takes; then
	// the same of each holding or waiting SLA whose party held the request
	// (sla.Policy.ExplainParties).
	Unmatched []sla.Mismatch `json:"unmatched,omitzero"`
	// Holdings lists, with explain only, who held the request from its
	// opening on, each stretch with its bounds (to absent while it holds).
	Holdings []sla.Holding `json:"holdings,omitzero"`
}

// HolderView is who holds a request now.
type HolderView struct {
	Department string `json:"department"`
	Name       string `json:"name"`
	Waiting    bool   `json:"waiting"` // the request waits on its customer
}

// holderView is who holds r now, or nil.
func holderView(p *sla.Policy, r *sla.Request) *HolderView {
	d, waiting, ok := p.HolderOf(r)
	if !ok {
		return nil
	}
	return &HolderView{Department: d, Name: p.DepartmentName(d), Waiting: waiting}
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// latestStage names the most advanced stage fired for a clock.
func latestStage(fired []string) *string {
	best, rank := "", -1
	for _, k := range fired {
		for i, kind := range lifecycle.StageKinds {
			if strings.HasPrefix(k, string(kind)) && i > rank {
				best, rank = string(kind), i
			}
		}
	}
	if rank < 0 {
		return nil
	}
	return &best
}

func (s *Server) handleRequest(w http.ResponseWriter, r *http.Request) {
	explain, err := yesNoParam(r, "explain")
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	res, err := s.resolveRequest(r, "/api/v1/requests/")
	switch {
	case err != nil:
		writeError(w, http.StatusInternalServerError, "reading the request failed: "+err.Error())
		return
	case len(res.candidates) > 0:
		writeCandidates(w, r.PathValue("id"), res.candidates)
		return
	case !res.found:
		writeError(w, http.StatusNotFound, res.notFound)
		return
	}
	id := res.ref.ID
	v, err := s.opts.Store.Request(res.ref)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("request %q of provider %q is not known: no event for it has been received", id, res.ref.Provider))
		return
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, "reading the request failed: "+err.Error())
		return
	}
	now := s.now()
	cfg := s.opts.Config()
	p := cfg.Policy
	req := v.Request
	var ledgers map[string][]sla.Segment
	var heldBy map[string][]sla.Held
	var holdings []sla.Holding
	if explain {
		// Fold again so that ledger and figures come from one computation.
		req, ledgers, holdings = sla.ExplainHeld(p, id, v.Events, now)
		heldBy = sla.HeldByClock(p, &req, holdings, now)
	}
	out := RequestView{
		ID: req.ID, Status: req.Status, Provider: res.ref.Provider, Customer: req.Customer,
		Priority: req.Priority, Category: req.Category, Title: req.Title, Labels: req.Labels,
		Opened: timePtr(req.Opened), Responded: timePtr(req.Responded), Resolved: timePtr(req.Resolved),
		Paused: req.Paused, PauseReason: req.PauseReason, CSAT: req.CSAT, Events: len(v.Events),
		Holder: holderView(p, &req), Clocks: []ClockView{},
	}
	if explain {
		out.Holdings = append([]sla.Holding{}, holdings...)
		out.Ignored = append([]sla.IgnoredEvent{}, sla.IgnoredEvents(v.Events)...)
		if !req.Opened.IsZero() {
			out.Unmatched = append(append([]sla.Mismatch{}, p.Explain(req.Attributes)...), p.ExplainParties(req.Attributes, holdings)...)
		}
	}
	for _, c := range req.Clocks {
		cal := p.SLA(c.SLA).CalendarOf()
		live := c.At(now, cal)
		cv := ClockView{
			SLA: c.SLA, Target: c.Target, State: live.State,
			TargetSeconds:    int64(c.Limit / time.Second),
			ElapsedSeconds:   int64(live.Elapsed / time.Second),
			RemainingSeconds: int64(live.Remaining / time.Second),
			Deadline:         timePtr(live.Deadline),
			Stage:            latestStage(v.Fired[c.Key()]),
			Started:          c.Started.UTC(),
			Stopped:          timePtr(c.Stopped),
			PauseReason:      c.PauseReason,
		}
		if ledgers != nil {
			cv.Segments = ledgers[c.Key()]
			if cv.Segments == nil {
				cv.Segments = []sla.Segment{}
			}
			cv.HeldBy = append([]sla.Held{}, heldBy[c.Key()]...)
		}
		out.Clocks = append(out.Clocks, cv)
	}
	writeJSON(w, http.StatusOK, out)
}

// yesNoParam reads a yes/no query parameter; absent is no.
func yesNoParam(r *http.Request, name string) (bool, error) {
	switch v := r.URL.Query().Get(name); v {
	case "", "0", "false", "no":
		return false, nil
	case "1", "true", "yes":
		return true, nil
	default:
		return false, fmt.Errorf("parameter %q: %q is not one of 1, true, yes, 0, false, no", name, v)
	}
}

// handleSLAs answers every SLA's standing in compact JSON, written an SLA
// at a time as it is computed (with 1,000 SLAs the indented answer was
// 4.5 MB, half of its time spent indenting); ?pretty=1 indents it for
// people. Each SLA lists its first wire.ByCustomerLimit customers and
// points to its own answer for the rest. It reads what a scrape reads,
// from the same sums kept (Server.sums): only the SLAs whose day
// aggregates changed, or whose window moved, since either last read.
func (s *Server) handleSLAs(w http.ResponseWriter, r *http.Request) {
	pretty, err := yesNoParam(r, "pretty")
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	p := s.opts.Config().Policy
	sn, err := readFigures(s.opts.Store, p, figureRead{slas: p.SLAs, kept: s.sums}, s.now())
	if err != nil {
		writeError(w, http.StatusInternalServerError, "reading the figures failed: "+err.Error())
		return
	}
	if pretty {
		out := struct {
			SLAs []wire.SLAStanding `json:"slas"`
		}{SLAs: make([]wire.SLAStanding, 0, len(p.SLAs))}
		for _, sl := range p.SLAs {
			out.SLAs = append(out.SLAs, listedStanding(p, sl, sn))
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	out := newJSONStream(w)
	out.raw(`{"slas":[`)
	for i, sl := range p.SLAs {
		if i > 0 {
			out.raw(",")
		}
		out.value(listedStanding(p, sl, sn))
	}
	out.raw("]}\n")
	if err := out.close(); err != nil {
		s.log.Debug("writing the SLAs failed", "err", err)
	}
}

func (s *Server) handleSLA(w http.ResponseWriter, r *http.Request) {
	p := s.opts.Config().Policy
	id := r.PathValue("id")
	sl := p.SLA(id)
	if sl == nil {
		writeError(w, http.StatusNotFound, unknownSLA(p, id))
		return
	}
	sn, err := readSnapshot(s.opts.Store, p, []*sla.SLA{sl}, s.now())
	if err != nil {
		writeError(w, http.StatusInternalServerError, "reading the figures failed: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, standing(p, sl, sn))
}

// parseTime accepts RFC 3339 or a date (midnight UTC; as "until", the
// caller makes it the end of that day).
func parseTime(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("parameter %q: %q is neither an RFC 3339 time (2026-11-23T09:00:00Z) nor a date (2026-11-23)", field, v)
}

func (s *Server) handleBreaches(w http.ResponseWriter, r *http.Request) {
	bq, err := parseBreachQuery(r.URL.Query(), s.opts.Config().Policy)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	list, next, err := s.opts.Store.Breaches(bq)
	if errors.Is(err, store.ErrBadCursor) {
		writeError(w, http.StatusBadRequest, "parameter \"cursor\": "+err.Error())
		return
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, "reading breaches failed: "+err.Error())
		return
	}
	if list == nil {
		list = []store.Breach{}
	}
	out := struct {
		Breaches   []store.Breach `json:"breaches"`
		NextCursor string         `json:"next_cursor,omitempty"`
	}{list, next}
	writeJSON(w, http.StatusOK, out)
}

// parseBreachQuery reads a breach listing's parameters — sla, since,
// until (a date includes that day), limit (100 unless given, at most
// 1,000) and cursor — or says which one is wrong and why.
func parseBreachQuery(q url.Values, p *sla.Policy) (store.BreachQuery, error) {
	bq := store.BreachQuery{SLA: q.Get("sla"), Cursor: q.Get("cursor"), Limit: 100}
	if bq.SLA != "" && p.SLA(bq.SLA) == nil {
		return bq, errors.New("parameter \"sla\": " + unknownSLA(p, bq.SLA))
	}
	var err error
	if bq.Since, err = parseTime("since", q.Get("since")); err != nil {
		return bq, err
	}
	if bq.Until, err = parseTime("until", q.Get("until")); err != nil {
		return bq, err
	}
	if _, dateErr := time.Parse(time.DateOnly, q.Get("until")); dateErr == nil {
		bq.Until = bq.Until.AddDate(0, 0, 1) // a date as "until" includes that day
	}
	if !bq.Since.IsZero() && !bq.Until.IsZero() && !bq.Since.Before(bq.Until) {
		return bq, fmt.Errorf("\"since\" (%s) is not before \"until\" (%s): the period is empty", q.Get("since"), q.Get("until"))
	}
	bq.Limit, err = pageLimit(q, bq.Limit)
	return bq, err
}

// pageLimit reads a listing's "limit", from 1 to 1,000, or def when it is
// not given.
func pageLimit(q url.Values, def int) (int, error) {
	l := q.Get("limit")
	if l == "" {
		return def, nil
	}
	n, err := strconv.Atoi(l)
	if err != nil || n < 1 || n > 1000 {
		return def, fmt.Errorf("parameter \"limit\": %q is not a number from 1 to 1000", l)
	}
	return n, nil
}
