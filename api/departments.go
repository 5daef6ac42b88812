package api

import (
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/api/wire"
	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/store"
)

// A department's scorecard: GET /api/v1/departments/{id} (JSON) and
// GET /departments/{id} (the page), one computation for both, a page of
// wire.DepartmentSLAsLimit SLAs at a time (?page=N). Its cost is bounded
// like the status page's. Over every SLA the department gives or
// receives, one transaction: the counters, the attention index, and each
// SLA's own day aggregates and the department's over its window — what
// the totals and tiles count. Over the SLAs of the page only: their
// customers' day aggregates and their last 12 weeks, the stops of their
// window and weeks (the medians), their escalated requests and held time.
// A department of 120 SLAs read the stops of all 120 to show 40 (issue
// 13). Besides, every SLA's holder day aggregates over its window
// (held.go) for the time the department held requests — never every
// request.

// departmentRoutes registers the scorecard's endpoints.
func (s *Server) departmentRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /api/v1/departments/{id}", s.readFunc(readStandings, s.handleDepartment))
	m.HandleFunc("GET /departments/{id}", s.readFunc(readStandings, s.handleDepartmentPage))
}

// departmentOf is the configuration in force and the department the path's
// {id} names, or a 404 naming the known ones (ok false, answered).
func (s *Server) departmentOf(w http.ResponseWriter, r *http.Request) (cfg *config.Config, id string, ok bool) {
	cfg, id = s.opts.Config(), r.PathValue("id")
	if cfg.Policy.Departments[id] == nil {
		writeError(w, http.StatusNotFound, unknownDepartment(cfg.Policy, id))
		return cfg, id, false
	}
	return cfg, id, true
}

func (s *Server) handleDepartment(w http.ResponseWriter, r *http.Request) {
	cfg, id, ok := s.departmentOf(w, r)
	if !ok {
		return
	}
	d, _, err := s.scorecard(cfg, id, s.now(), s.mayReadDetails(r), requestedPage(r))
	if err != nil {
		writeError(w, http.StatusInternalServerError, "reading the figures failed: "+err.Error())
		return
	}
	if d.Page < d.Pages {
		d.Next = pageURL(r, d.Page+1)
	}
	writeJSON(w, http.StatusOK, d)
}

// scorecard gathers a department's figures as provider and as customer,
// those of the SLAs of page page (the last when past it), and the
// requests needing attention they were counted from (the page counts
// requests where the API counts clocks). details says whether the caller
// may read requests (titles, ids): without it the list of requests
// waiting stays empty and only its count is given.
func (s *Server) scorecard(cfg *config.Config, id string, now time.Time, details bool, page int) (wire.Department, store.Attention, error) {
	p := cfg.Policy
	d := wire.Department{
		ID: id, Name: p.DepartmentName(id), Lead: p.Departments[id].Lead, GeneratedAt: now.UTC(),
		Provides: []wire.DepartmentSLA{}, Receives: []wire.DepartmentSLA{}, Waiting: []wire.WaitingRequest{},
		Held: []wire.DepartmentHeld{},
	}
	var slas []*sla.SLA
	for _, sl := range p.SLAs {
		if sl.Provider == id || sl.Serves(id) {
			slas = append(slas, sl)
		}
	}
	// No customer's sums but the department's, and no weeks: what the
	// totals need (receivesFigures asks only whether the department is
	// among an SLA's customers shown). The page reads the rest.
	sn, err := readFigures(s.opts.Store, p, figureRead{
		slas: slas, customers: []string{id}, ownOnly: true,
		attention: &store.AttentionQuery{PerSLA: attentionPerSLA, Department: id},
	}, now)
	if err != nil {
		return d, sn.attention, err
	}
	given, received := scorecardSLAs(p, id, slas, sn, &d)
	lo, hi, page, pages := pageBounds(page, len(given)+len(received), wire.DepartmentSLAsLimit)
	d.Page, d.Pages = page, pages
	n := len(given)
	given, received = given[min(lo, n):min(hi, n)], received[max(lo-n, 0):max(hi-n, 0)]
	// The department's part of every SLA's requests, for the time it held
	// requests under any of them, and every holder of the page's SLAs
	// given, for who held theirs.
	held, windows, err := s.currentHeld(p.SLAs, id, given, now)
	if err != nil {
		return d, sn.attention, err
	}
	d.Held = departmentHeld(p, id, held, windows)
	if err := s.scorecardPage(p, id, now, sn.flagged, held, given, received, &d); err != nil {
		return d, sn.attention, err
	}
	d.Waiting, _ = waitingFor(p, sn.flagged, id, now)
	c := sn.attention.ByCustomer[id]
	d.WaitingTotal = c.Breached + c.AtRisk
	if !details {
		d.Waiting = []wire.WaitingRequest{}
	}
	d.Feedback, err = s.departmentFeedback(cfg, id)
	return d, sn.attention, err
}

// scorecardSLAs lists, of the SLAs concerning a department, those its
// scorecard lists as given and as received, and counts them and those
// below objective into d's totals: from the snapshot's window sums only.
func scorecardSLAs(p *sla.Policy, id string, slas []*sla.SLA, sn snapshot, d *wire.Department) (given, received []*sla.SLA) {
	for _, sl := range slas {
		if sl.Provider == id {
			given = append(given, sl)
			if belowObjective(sl, sn.current(sl, "")) {
				d.ProvidesBelowObjective++
			}
		}
		if receivesFigures(p, sl, id, sn) {
			received = append(received, sl)
			if belowObjective(sl, sn.current(sl, id)) {
				d.ReceivesBelowObjective++
			}
		}
	}
	d.ProvidesTotal, d.ReceivesTotal = len(given), len(received)
	return given, received
}

// belowObjective reports whether an SLA's figures over its window are
// below its objective: the pages' "Below objective" (slaRowOf,
// standingWords), which needs something counted.
func belowObjective(sl *sla.SLA, f sla.Figures) bool {
	var counted int64
	for _, t := range f.Targets {
		counted += t.Counted()
	}
	return counted > 0 && f.Compliance < sl.Objective
}

// scorecardPage fills d with the SLAs of one page, given and received:
// what a scorecard reads per SLA — each customer's figures and the last
// 12 weeks (one transaction for the page), the stops for the medians,
// the escalated requests among flagged, the held time — for these SLAs
// only.
func (s *Server) scorecardPage(p *sla.Policy, id string, now time.Time, flagged []store.Flagged, held map[string]store.HeldSums, given, received []*sla.SLA, d *wire.Department) error {
	slas := slices.Clone(given)
	for _, sl := range received {
		if !slices.Contains(slas, sl) { // an SLA "*" its provider raises requests under
			slas = append(slas, sl)
		}
	}
	if len(slas) == 0 {
		return nil
	}
	sn, err := readFigures(s.opts.Store, p, figureRead{slas: slas, ranges: trendRanges, customers: []string{id}}, now)
	if err != nil {
		return err
	}
	for _, sl := range given {
		ds, err := s.providedSLA(sn, flagged, sl, standing(p, sl, sn), now)
		if err != nil {
			return err
		}
		ds.Held = heldOf(p, sl, held[sl.ID])
		d.Provides = append(d.Provides, ds)
	}
	for _, sl := range received {
		ds, err := s.receivedSLA(sn, flagged, sl, ownStanding(sl, sn, targetSecondsMemo{}), id, now)
		if err != nil {
			return err
		}
		d.Receives = append(d.Receives, ds)
	}
	return nil
}

// receivesFigures reports whether a scorecard lists an SLA among those the
// department receives: when it names the department, or serves every
// department ("*") and the department has requests under it (see
// snapshot.customersShown), so that a scorecard does not list every SLA
// that serves everybody.
func receivesFigures(p *sla.Policy, sl *sla.SLA, dept string, sn snapshot) bool {
	if !sl.Serves(dept) {
		return false // an OLA or promise never serves its own party (sla.SLA.Serves)
	}
	return slices.Contains(sl.Customers, dept) || slices.Contains(sn.customersShown(p, sl), dept)
}

// providedSLA is an SLA the department gives: every request's figures and
// each customer's.
func (s *Server) providedSLA(sn snapshot, flagged []store.Flagged, sl *sla.SLA, st wire.SLAStanding, now time.Time) (wire.DepartmentSLA, error) {
	ds := departmentSLA(st)
	ds.Standing, ds.ByCustomer = st.Standing, st.ByCustomer
	stops, weeks, err := s.scorecardStops(sn, sl, st)
	if err != nil {
		return ds, err
	}
	ds.MedianResponseSeconds, ds.MedianResolutionSeconds = medians(stops, st, "")
	ds.Escalated = escalated(sl, flagged, "", now)
	ds.Weekly = weeklyHistory(sn, sl, "", stops, weeks)
	return ds, nil
}

// receivedSLA is an SLA the department receives, from its side: the
// figures of its own requests.
func (s *Server) receivedSLA(sn snapshot, flagged []store.Flagged, sl *sla.SLA, st wire.SLAStanding, dept string, now time.Time) (wire.DepartmentSLA, error) {
	ds := departmentSLA(st)
	ds.Standing = standingOf(sl, sn.current(sl, dept))
	stops, weeks, err := s.scorecardStops(sn, sl, st)
	if err != nil {
		return ds, err
	}
	ds.MedianResponseSeconds, ds.MedianResolutionSeconds = medians(stops, st, dept)
	ds.Escalated = escalated(sl, flagged, dept, now)
	ds.Weekly = weeklyHistory(sn, sl, dept, stops, weeks)
	return ds, nil
}

// scorecardStops reads an SLA's stops once for its scorecard entry: over
// its current window and its last 12 weeks together (a quarter's window
// may begin before them), with those weeks.
func (s *Server) scorecardStops(sn snapshot, sl *sla.SLA, st wire.SLAStanding) (map[sla.TargetKind][]store.StopTime, []sla.Period, error) {
	first, err1 := sla.ParseDate(st.WindowStart)
	last, err2 := sla.ParseDate(st.WindowEnd)
	if err1 != nil || err2 != nil {
		return nil, nil, fmt.Errorf("window of SLA %q: %q – %q", sl.ID, st.WindowStart, st.WindowEnd)
	}
	today := sn.windows[sl.ID][1]
	weeks := sla.LastPeriods(sla.ByWeek, today, sla.HistoryLength)
	from := weeks[0].First
	if first.Before(from) {
		from = first
	}
	until := today
	if until.Before(last) {
		until = last
	}
	stops, err := s.stopsOf(sl, from, until)
	return stops, weeks, err
}

// departmentSLA is the part of a scorecard's SLA that does not depend on
// whose side it is seen from.
func departmentSLA(st wire.SLAStanding) wire.DepartmentSLA {
	return wire.DepartmentSLA{
		SLA: st.ID, Description: st.Description, Provider: st.Provider, Customers: st.Customers,
		Objective: st.Objective, Window: st.Window, WindowStart: st.WindowStart, WindowEnd: st.WindowEnd,
	}
}

// medians are the median business times to response and to resolution of
// the clocks stopped in the SLA's current window, from its stops: of one
// customer's requests, or of every request when customer is empty. Null
// where the SLA sets no such target or none stopped.
func medians(stops map[sla.TargetKind][]store.StopTime, st wire.SLAStanding, customer string) (response, resolution *int64) {
	first, _ := sla.ParseDate(st.WindowStart) // checked by scorecardStops
	last, _ := sla.ParseDate(st.WindowEnd)
	mid := func(k sla.TargetKind) *int64 {
		list, ok := stops[k]
		if !ok {
			return nil
		}
		var elapsed []int64
		for _, s := range list {
			if (customer == "" || s.Customer == customer) && !s.Day.Before(first) && !last.Before(s.Day) {
				elapsed = append(elapsed, s.ElapsedSeconds)
			}
		}
		slices.Sort(elapsed)
		return median(elapsed)
	}
	return mid(sla.Response), mid(sla.Resolution)
}

// escalated counts the open requests under an SLA (of one customer, when
// given: the department that waits under it, sla.SLA.PartiesOf) with a
// clock past one of its escalation steps: from the attention index, since
// only a breached clock can have escalated.
func escalated(sl *sla.SLA, flagged []store.Flagged, customer string, now time.Time) int64 {
	if len(sl.Escalate) == 0 {
		return 0
	}
	var n int64
	for _, f := range flagged {
		if _, waiter := sl.PartiesOf(f.Request.Attributes); customer != "" && waiter != customer {
			continue
		}
		if slices.ContainsFunc(f.Request.Clocks, func(c sla.Clock) bool { return c.SLA == sl.ID && c.Open() && escalatedClock(sl, c, now) }) {
			n++
		}
	}
	return n
}

// escalatedClock reports whether an open clock's first escalation step is
// due by now, as the alert lifecycle reckons it.
func escalatedClock(sl *sla.SLA, c sla.Clock, now time.Time) bool {
	c.Advance(now, sl.CalendarOf())
	for _, st := range lifecycle.Stages(sl, &c) {
		if st.Kind == lifecycle.StageEscalation && !st.Due.IsZero() && !st.Due.After(now) {
			return true
		}
	}
	return false
}

// waitingFor lists the open requests dept waits for that are breached or
// at risk, each once under its most urgent clock, the most urgent first:
// at most wire.WaitingLimit of them, and how many there are. A department
// waits under a clock when it is the customer of the clock's SLA on the
// request (attentionRow.waiter): the request's customer, or for a holding
// or waiting SLA the request's provider — IT waits for its own request
// under Network's OLA and under Sales' promise, Sales under neither.
func waitingFor(p *sla.Policy, flagged []store.Flagged, dept string, now time.Time) ([]wire.WaitingRequest, int) {
	out := []wire.WaitingRequest{}
	seen := map[[2]string]bool{}
	for _, r := range attentionList(p, flagged, "", now) { // the status page's order
		k := [2]string{r.providerID, r.Request} // ids: two departments may share a name
		if r.waiter != dept || seen[k] {
			continue
		}
		seen[k] = true
		if len(out) == wire.WaitingLimit {
			continue
		}
		w := wire.WaitingRequest{
			Provider: r.providerID, ID: r.Request, Title: r.Title, Priority: r.Priority,
			State: "at_risk", SLA: r.SLA, Target: r.Target, URL: r.Link,
		}
		if r.breached {
			w.State = "breached"
		}
		if !r.at.IsZero() {
			w.Deadline = timePtr(r.at)
		}
		out = append(out, w)
	}
	return out, len(seen)
}

// weeklyHistory is an SLA's figures over the last 12 weeks (one
// customer's when given), for the charts: from a snapshot that read them
// (trendRanges), and the weeks' stops for the medians.
func weeklyHistory(sn snapshot, sl *sla.SLA, customer string, stops map[sla.TargetKind][]store.StopTime, weeks []sla.Period) *wire.History {
	today := sn.windows[sl.ID][1]
	h := sn.historyOf(sl, customer, sla.ByWeek, weeks, today, sortIntoPeriods(stops, customer, weeks))
	return &h
}
