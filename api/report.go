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
	counters, err := s.opts.Store.Counters()
	if err != nil {
		writeError(w, http.StatusInternalServerError, "reading the counters failed: "+err.Error())
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
		var openBreached map[sla.TargetKind]int64
		if !last.Before(today) {
			openBreached = map[sla.TargetKind]int64{}
			for _, k := range sla.TargetKinds {
				openBreached[k] = counters.OpenBreached[[2]string{sl.ID, string(k)}]
			}
		}
		rs, err := s.reportSLA(sl, first, last, openBreached)
		if err != nil {
			writeError(w, http.StatusInternalServerError, "reading the figures failed: "+err.Error())
			return
		}
		out.SLAs = append(out.SLAs, rs)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) reportSLA(sl *sla.SLA, first, last sla.Date, openBreached map[sla.TargetKind]int64) (wire.ReportSLA, error) {
	rs := wire.ReportSLA{
		ID: sl.ID, Description: sl.Description, Provider: sl.Provider, Customers: sl.Customers,
		Objective: sl.Objective, From: first.String(), To: last.String(), Targets: []wire.ReportTarget{},
	}
	fig, err := s.opts.Store.WindowFigures(sl.ID, first, last)
	if err != nil {
		return rs, err
	}
	rs.CSATCount = fig.CSATCount
	if fig.CSATCount > 0 {
		avg := fig.CSATAverage()
		rs.CSATAverage = &avg
	}
	for _, k := range sla.TargetKinds {
		if !sl.Target(k).Set() {
			continue
		}
		stops, err := s.opts.Store.Stops(sl.ID, k, first, last)
		if err != nil {
			return rs, err
		}
		var tally sla.Tally
		elapsed := make([]int64, 0, len(stops))
		for _, st := range stops {
			if st.Breached {
				tally.Breached++
			} else {
				tally.Met++
			}
			elapsed = append(elapsed, st.ElapsedSeconds)
		}
		slices.Sort(elapsed)
		tally.Breached += openBreached[k]
		rt := wire.ReportTarget{
			Target: k, Counted: tally.Counted(), Met: tally.Met, Breached: tally.Breached, OpenBreached: openBreached[k],
			Compliance: tally.Compliance(), MeetsObjective: tally.Compliance() >= sl.Objective,
			ErrorBudgetRemaining: tally.ErrorBudgetRemaining(sl.Objective),
			MedianElapsedSeconds: quantile(elapsed, 0.5), P90ElapsedSeconds: quantile(elapsed, 0.9),
		}
		rs.Targets = append(rs.Targets, rt)
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
