package api

import (
	"fmt"
	"math"
	"net/http"
	"slices"

	"github.com/slad-project/slad/api/wire"
	"github.com/slad-project/slad/sla"
)

// handleReport answers GET /api/v1/report?sla=&from=&to=: per SLA and
// target, the clocks that stopped in the period (local dates of the SLA's
// calendar, inclusive; by default the SLA's current window; with only "to",
// the window that ends then) plus, when the period runs to today, the open
// ones already breached — as compliance is defined everywhere — with
// compliance against the objective, error budget, median and 90th
// percentile elapsed business time of the stopped ones, and CSAT.
func (s *Server) handleReport(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p := s.opts.Config().Policy
	var from, to *sla.Date
	for _, f := range []struct {
		name string
		dst  **sla.Date
	}{{"from", &from}, {"to", &to}} {
		if v := q.Get(f.name); v != "" {
			d, err := sla.ParseDate(v)
			if err != nil {
				writeError(w, http.StatusBadRequest, fmt.Sprintf("parameter %q: %v", f.name, err))
				return
			}
			*f.dst = &d
		}
	}
	if from != nil && to != nil && to.Before(*from) {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("parameter \"to\" (%s) is before \"from\" (%s)", to, from))
		return
	}
	slas := p.SLAs
	if id := q.Get("sla"); id != "" {
		one := p.SLA(id)
		if one == nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("parameter \"sla\": no SLA %q in the configuration", id))
			return
		}
		slas = []*sla.SLA{one}
	}
	now := s.now()
	sn, err := readSnapshot(s.opts.Store)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "reading the figures failed: "+err.Error())
		return
	}
	out := wire.Report{GeneratedAt: now.UTC(), SLAs: []wire.ReportSLA{}}
	for _, sl := range slas {
		loc := sl.CalendarOf().Location()
		first, last := sl.Window.Bounds(now, loc)
		today := last
		if to != nil {
			last = *to
			first, _ = sl.Window.Bounds(to.In(loc), loc)
		}
		if from != nil {
			first = *from
		}
		if last.Before(first) {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("the period of SLA %q would run from %s to %s, backwards: give \"from\" as well, or a later \"to\"", sl.ID, first, last))
			return
		}
		rs, err := s.reportSLA(sl, sn, first, last, today)
		if err != nil {
			writeError(w, http.StatusInternalServerError, "reading the figures failed: "+err.Error())
			return
		}
		out.SLAs = append(out.SLAs, rs)
	}
	writeJSON(w, http.StatusOK, out)
}

// reportSLA is one SLA's figures from first to last: those every output
// shows, and the median and 90th percentile of the stopped clocks.
func (s *Server) reportSLA(sl *sla.SLA, sn snapshot, first, last, today sla.Date) (wire.ReportSLA, error) {
	rs := wire.ReportSLA{
		ID: sl.ID, Description: sl.Description, Provider: sl.Provider, Customers: sl.Customers,
		Objective: sl.Objective, From: first.String(), To: last.String(), Targets: []wire.ReportTarget{},
		ByCustomer: []wire.ReportCustomer{},
	}
	f, err := sn.figures(s.opts.Store, sl, first, last, today)
	if err != nil {
		return rs, err
	}
	rs.CSATAverage, rs.CSATCount = csatAverage(f), f.CSATCount
	for _, t := range f.Targets {
		stops, err := s.opts.Store.Stops(sl.ID, t.Target, first, last)
		if err != nil {
			return rs, err
		}
		elapsed := make([]int64, 0, len(stops))
		for _, st := range stops {
			elapsed = append(elapsed, st.ElapsedSeconds)
		}
		slices.Sort(elapsed)
		rs.Targets = append(rs.Targets, wire.ReportTarget{
			Target: t.Target, Counted: t.Counted(), Met: t.Met, Breached: t.Breached, OpenBreached: t.OpenBreached,
			Compliance: t.Compliance, MeetsObjective: t.MeetsObjective, ErrorBudgetRemaining: t.ErrorBudgetRemaining,
			MedianElapsedSeconds: quantile(elapsed, 0.5), P90ElapsedSeconds: quantile(elapsed, 0.9),
		})
	}
	return rs, nil
}

// quantile is the nearest-rank quantile of sorted values; nil when empty.
func quantile(sorted []int64, q float64) *int64 {
	if len(sorted) == 0 {
		return nil
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	v := sorted[max(i, 0)]
	return &v
}
