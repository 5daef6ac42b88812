package api

import (
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/slad-project/slad/api/wire"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/store"
)

// handleHistory answers GET /api/v1/slas/{id}/history?by=week|month
// [&customer=DEPT]: the SLA's figures, or one customer's, in each of the
// last 12 weeks or months.
func (s *Server) handleHistory(w http.ResponseWriter, r *http.Request) {
	p := s.opts.Config().Policy
	sl := p.SLA(r.PathValue("id"))
	if sl == nil {
		writeError(w, http.StatusNotFound, unknownSLA(p, r.PathValue("id")))
		return
	}
	q := r.URL.Query()
	by := sla.ByWeek
	if v := q.Get("by"); v != "" {
		k, err := sla.ParsePeriodKind(v)
		if err != nil {
			writeError(w, http.StatusBadRequest, "parameter \"by\": "+err.Error())
			return
		}
		by = k
	}
	customer := q.Get("customer")
	if customer != "" && p.Departments[customer] == nil {
		writeError(w, http.StatusBadRequest, "parameter \"customer\": "+unknownDepartment(p, customer))
		return
	}
	if customer != "" && !slices.Contains(p.CustomersOf(sl), customer) {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("parameter \"customer\": SLA %q does not serve %q; its customers are %v", sl.ID, customer, p.CustomersOf(sl)))
		return
	}
	h, err := s.history(p, sl, customer, by, s.now())
	if err != nil {
		writeError(w, http.StatusInternalServerError, "reading the figures failed: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, h)
}

// history is sl's figures (every customer's, customer "", or one's) in
// each of the last sla.HistoryLength weeks or months up to now, oldest
// first, in the SLA calendar's zone. It reads the counters and one day
// aggregate per day of the periods in one transaction, and the stops of
// the periods (for the medians): its cost is that of the 12 periods,
// never of the whole history. The department scorecards call it too.
func (s *Server) history(p *sla.Policy, sl *sla.SLA, customer string, by sla.PeriodKind, now time.Time) (wire.History, error) {
	today := sla.DateOf(now.In(sl.CalendarOf().Location()))
	periods := sla.LastPeriods(by, today, sla.HistoryLength)
	sn, err := readFigures(s.opts.Store, p, figureRead{
		slas: []*sla.SLA{sl}, ranges: periodRanges(periods), customers: nonEmpty(customer),
	}, now)
	if err != nil {
		return wire.History{}, err
	}
	elapsed, err := s.elapsedByPeriod(sl, customer, periods, today)
	if err != nil {
		return wire.History{}, err
	}
	return sn.historyOf(sl, customer, by, periods, today, elapsed), nil
}

// periodRanges are the days of periods up to today, for figureRead.ranges:
// the snapshot's ranges 1 to len(periods).
func periodRanges(periods []sla.Period) func(*sla.SLA, sla.Date) []store.DayRange {
	return func(_ *sla.SLA, today sla.Date) []store.DayRange {
		out := make([]store.DayRange, len(periods))
		for i, per := range periods {
			out[i] = store.DayRange{First: per.First, Last: per.Last}
			if today.Before(per.Last) {
				out[i].Last = today
			}
		}
		return out
	}
}

// nonEmpty is a list of s, or none when s is empty.
func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// historyOf is sl's history from a snapshot that read the periods as its
// ranges 1 to len(periods) (see periodRanges), with the elapsed times of
// each period's stops when there are any (elapsedByPeriod).
func (sn snapshot) historyOf(sl *sla.SLA, customer string, by sla.PeriodKind, periods []sla.Period, today sla.Date, elapsed map[sla.TargetKind][][]int64) wire.History {
	out := wire.History{
		SLA: sl.ID, Provider: sl.Provider, Objective: sl.Objective, Customer: customer,
		By: string(by), Calendar: sl.CalendarOf().Name(), Periods: make([]wire.HistoryPeriod, 0, len(periods)),
	}
	for i, per := range periods {
		last := per.Last
		if today.Before(last) {
			last = today
		}
		f := sn.figuresOf(sl, customer, sn.windowOf(sl, customer, i+1), !last.Before(today))
		hp := wire.HistoryPeriod{
			Period: per.Label, From: per.First.String(), To: last.String(), Current: last == today,
			Targets: []wire.HistoryTarget{},
		}
		var counted int64
		for _, t := range f.Targets {
			ht := wire.HistoryTarget{Target: t.Target, Counted: t.Counted(), Met: t.Met, Breached: t.Breached}
			if ht.Counted > 0 {
				ht.Compliance = ptr(t.Compliance)
			}
			ht.MedianElapsedSeconds = median(periodOf(elapsed[t.Target], i))
			counted += ht.Counted
			hp.Breached += t.Breached
			hp.Targets = append(hp.Targets, ht)
		}
		if counted > 0 {
			hp.Compliance, hp.MeetsObjective = ptr(f.Compliance), f.Compliance >= sl.Objective
		}
		hp.MedianResolutionSeconds = median(periodOf(elapsed[sla.Resolution], i))
		out.Periods = append(out.Periods, hp)
	}
	return out
}

// elapsedByPeriod reads the stops of sl's targets over the periods (for
// one customer, or all) and sorts their elapsed seconds into the periods,
// each list in increasing order.
func (s *Server) elapsedByPeriod(sl *sla.SLA, customer string, periods []sla.Period, today sla.Date) (map[sla.TargetKind][][]int64, error) {
	stops, err := s.stopsOf(sl, periods[0].First, today)
	if err != nil {
		return nil, err
	}
	return sortIntoPeriods(stops, customer, periods), nil
}

// stopsOf reads the stops of each target sl sets from first to last, in
// day order: one read a target, which a scorecard shares between the
// window's medians and the 12 weeks' (it read them twice).
func (s *Server) stopsOf(sl *sla.SLA, first, last sla.Date) (map[sla.TargetKind][]store.StopTime, error) {
	out := map[sla.TargetKind][]store.StopTime{}
	for _, k := range sla.TargetKinds {
		if !sl.Target(k).Set() {
			continue
		}
		stops, err := s.opts.Store.StopTimes(sl.ID, k, first, last)
		if err != nil {
			return nil, fmt.Errorf("read the stops of SLA %q: %w", sl.ID, err)
		}
		out[k] = stops
	}
	return out, nil
}

// sortIntoPeriods sorts the elapsed seconds of the stops (of one
// customer's requests, or all) into the periods they fell in, each list in
// increasing order; stops outside the periods are left out.
func sortIntoPeriods(stops map[sla.TargetKind][]store.StopTime, customer string, periods []sla.Period) map[sla.TargetKind][][]int64 {
	out := map[sla.TargetKind][][]int64{}
	for k, list := range stops {
		lists := make([][]int64, len(periods))
		i := 0
		for _, st := range list { // in day order, as the periods are
			if (customer != "" && st.Customer != customer) || st.Day.Before(periods[0].First) {
				continue
			}
			for i < len(periods)-1 && periods[i].Last.Before(st.Day) {
				i++
			}
			if periods[i].Last.Before(st.Day) {
				break // past the last period
			}
			lists[i] = append(lists[i], st.ElapsedSeconds)
		}
		for _, l := range lists {
			slices.Sort(l)
		}
		out[k] = lists
	}
	return out
}

// periodOf is the i-th period's list; none for a target the SLA does not
// set.
func periodOf(lists [][]int64, i int) []int64 {
	if i >= len(lists) {
		return nil
	}
	return lists[i]
}

// median is the median of sorted values; nil when there are none.
func median(sorted []int64) *int64 { return quantile(sorted, 0.5) }

// quantile is the nearest-rank quantile of sorted values (sla.Quantile);
// nil when there are none.
func quantile(sorted []int64, q float64) *int64 {
	v, ok := sla.Quantile(sorted, q)
	if !ok {
		return nil
	}
	return &v
}

func ptr[T any](v T) *T { return &v }
