package api

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/slad-project/slad/api/wire"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/store"
)

// handleReport answers GET /api/v1/report?sla=&customer=&from=&to=: per SLA and
// target, the clocks that stopped in the period (local dates of the SLA's
// calendar, inclusive; by default the SLA's current window; with only "to",
// the window that ends then) plus, when the period runs to today, the open
// ones already breached — as compliance is defined everywhere — with
// compliance against the objective, error budget, median and 90th
// percentile elapsed business time of the stopped ones, and CSAT; the same
// for each customer of the SLA, or, with "customer", for that customer's
// requests only (and the SLAs that serve it); without "customer", where
// each SLA's time went (wire.Held).
func (s *Server) handleReport(w http.ResponseWriter, r *http.Request) {
	p := s.opts.Config().Policy
	rq, err := parseReportQuery(r.URL.Query(), p)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	now := s.now()
	sn, err := readSnapshot(s.opts.Store, p, nil, now)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "reading the figures failed: "+err.Error())
		return
	}
	out := wire.Report{GeneratedAt: now.UTC(), SLAs: []wire.ReportSLA{}}
	var held []store.HeldQuery
	for _, sl := range rq.slas {
		if rq.customer != "" && !slices.Contains(p.CustomersOf(sl), rq.customer) {
			continue // an SLA that does not serve the customer has nothing to say of it
		}
		first, last, today, err := rq.period(sl, now)
		if err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		rs, err := s.reportSLA(p, sl, sn, rq.customer, first, last, today)
		if err != nil {
			writeError(w, http.StatusInternalServerError, "reading the figures failed: "+err.Error())
			return
		}
		out.SLAs = append(out.SLAs, rs)
		held = append(held, store.HeldQuery{SLA: sl.ID, Range: store.DayRange{First: first, Last: last}})
	}
	if err := s.reportHeld(p, out.SLAs, held, rq.customer); err != nil {
		writeError(w, http.StatusInternalServerError, "reading the figures failed: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// reportQuery is what a report asks for: the SLAs (all, or the one named
// by "sla"), a customer or "", and the days "from" and "to" when given.
type reportQuery struct {
	slas     []*sla.SLA
	customer string
	days     dayRange
}

// parseReportQuery reads a report's parameters, or says which one is
// wrong and why.
func parseReportQuery(q url.Values, p *sla.Policy) (reportQuery, error) {
	rq := reportQuery{slas: p.SLAs, customer: q.Get("customer")}
	days, err := parseDayRange(q)
	if err != nil {
		return rq, err
	}
	rq.days = days
	if rq.customer != "" && p.Departments[rq.customer] == nil {
		return rq, errors.New("parameter \"customer\": " + unknownDepartment(p, rq.customer))
	}
	if id := q.Get("sla"); id != "" {
		one := p.SLA(id)
		if one == nil {
			return rq, errors.New("parameter \"sla\": " + unknownSLA(p, id))
		}
		rq.slas = []*sla.SLA{one}
	}
	return rq, nil
}

// period is the days a report covers for sl, over its window in its
// calendar's zone (dayRange.over). The period runs to today when last is
// today, and then counts the open clocks already breached.
func (rq reportQuery) period(sl *sla.SLA, now time.Time) (first, last, today sla.Date, err error) {
	return rq.days.over(sl.Window, sl.CalendarOf().Location(), now, fmt.Sprintf("the period of SLA %q", sl.ID))
}

// reportHeld gives each SLA of a report where its period's time went, all
// read in one transaction; nothing for a report of one customer (the
// figures are not kept per customer).
func (s *Server) reportHeld(p *sla.Policy, slas []wire.ReportSLA, qs []store.HeldQuery, customer string) error {
	if customer != "" {
		return nil
	}
	sums, err := s.opts.Store.ReadHeld(qs)
	if err != nil {
		return err
	}
	for i := range slas {
		slas[i].Held = heldOf(p, p.SLA(slas[i].ID), sums[slas[i].ID])
	}
	return nil
}

// reportSLA is one SLA's figures from first to last, for every request
// under it or, with customer, that customer's only; and, without, each
// customer's: those every output shows, and the median and 90th
// percentile of the stopped clocks.
func (s *Server) reportSLA(p *sla.Policy, sl *sla.SLA, sn snapshot, customer string, first, last, today sla.Date) (wire.ReportSLA, error) {
	rs := wire.ReportSLA{
		ID: sl.ID, Description: sl.Description, Provider: sl.Provider, Customers: sl.Customers,
		Objective: sl.Objective, From: first.String(), To: last.String(), Customer: customer,
		ByCustomer: []wire.ReportCustomer{},
	}
	stops := map[sla.TargetKind][]store.Stop{}
	for _, k := range sla.TargetKinds {
		if !sl.Target(k).Set() {
			continue
		}
		var err error
		if stops[k], err = s.opts.Store.Stops(sl.ID, k, first, last); err != nil {
			return rs, fmt.Errorf("read the stops of SLA %q: %w", sl.ID, err)
		}
	}
	var err error
	if rs.CSATAverage, rs.CSATCount, rs.Targets, err = s.reportFigures(sl, sn, customer, stops, first, last, today); err != nil {
		return rs, err
	}
	if customer != "" {
		return rs, nil
	}
	everyone := slices.Contains(sl.Customers, "*")
	for _, cu := range p.CustomersOf(sl) {
		rc := wire.ReportCustomer{Customer: cu}
		if rc.CSATAverage, rc.CSATCount, rc.Targets, err = s.reportFigures(sl, sn, cu, stops, first, last, today); err != nil {
			return rs, err
		}
		if everyone && idle(rc) {
			continue // of an SLA serving every department, only those it served in the period
		}
		rs.ByCustomer = append(rs.ByCustomer, rc)
	}
	return rs, nil
}

// idle reports whether a customer's figures say nothing: no request
// counted or breached and open, no rating. An SLA for every department
// ("*") lists only the customers that are not, as /api/v1/slas lists the
// departments with a request under it: a hundred departments would
// otherwise each add a row of zeros per target.
func idle(c wire.ReportCustomer) bool {
	for _, t := range c.Targets {
		if t.Counted != 0 || t.OpenBreached != 0 {
			return false
		}
	}
	return c.CSATCount == 0
}

// reportFigures are the figures of sl's requests (every customer's, or
// one's) from first to last, the median and 90th percentile taken from the
// stops of the period.
func (s *Server) reportFigures(sl *sla.SLA, sn snapshot, customer string, stops map[sla.TargetKind][]store.Stop, first, last, today sla.Date) (*float64, int64, []wire.ReportTarget, error) {
	f, err := sn.figures(s.opts.Store, sl, customer, first, last, today)
	if err != nil {
		return nil, 0, nil, err
	}
	targets := []wire.ReportTarget{}
	for _, t := range f.Targets {
		elapsed := make([]int64, 0, len(stops[t.Target]))
		for _, st := range stops[t.Target] {
			if customer == "" || st.Customer == customer {
				elapsed = append(elapsed, st.ElapsedSeconds)
			}
		}
		slices.Sort(elapsed)
		targets = append(targets, wire.ReportTarget{
			Target: t.Target, Counted: t.Counted(), Met: t.Met, Breached: t.Breached, OpenBreached: t.OpenBreached,
			Compliance: t.Compliance, MeetsObjective: t.MeetsObjective, ErrorBudgetRemaining: t.ErrorBudgetRemaining,
			MedianElapsedSeconds: quantile(elapsed, 0.5), P90ElapsedSeconds: quantile(elapsed, 0.9),
		})
	}
	return csatAverage(f), f.CSATCount, targets, nil
}
