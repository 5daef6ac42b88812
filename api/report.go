package api

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/slad-project/slad/api/wire"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/store"
)

// handleReport answers GET /api/v1/report?sla=&customer=&from=&to=&page=:
// per SLA and target, the clocks that stopped in the period (local dates
// of the SLA's calendar, inclusive; by default the SLA's current window;
// with only "to", the window that ends then) plus, when the period runs to
// today, the open ones already breached — as compliance is defined
// everywhere — with compliance against the objective, error budget,
// median and 90th percentile elapsed business time of the stopped ones,
// and CSAT; the same for each customer of the SLA, or, with "customer",
// for that customer's requests only (and the SLAs that serve it); without
// "customer", where each SLA's time went (wire.Held). The SLAs come
// wire.ReportSLAsLimit a page (pageBounds, as a scorecard's), and only
// the page's are read: 1,000 SLAs made one answer of 32 MB in 4 to 5 s.
func (s *Server) handleReport(w http.ResponseWriter, r *http.Request) {
	p := s.opts.Config().Policy
	rq, err := parseReportQuery(r.URL.Query(), p)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	now := s.now()
	// Every SLA's period is checked, not the page's only: a period that
	// runs backwards is the same 400 on every page.
	periods, err := rq.periods(now)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	lo, hi, page, pages := pageBounds(requestedPage(r), len(periods), wire.ReportSLAsLimit)
	out := wire.Report{GeneratedAt: now.UTC(), Page: page, Pages: pages}
	if page < pages {
		out.Next = pageURL(r, page+1)
	}
	if out.SLAs, err = s.report(p, periods[lo:hi], rq.customer); err != nil {
		writeError(w, http.StatusInternalServerError, "reading the figures failed: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// report is the figures of the SLAs of one page of a report over their
// periods: their sums in one transaction with the counters, their stops,
// and, without customer, who held their requests.
func (s *Server) report(p *sla.Policy, periods []reportPeriod, customer string) ([]wire.ReportSLA, error) {
	sn, err := readPeriods(s.opts.Store, p, periods, customer)
	if err != nil {
		return nil, err
	}
	out := make([]wire.ReportSLA, 0, len(periods))
	for _, rp := range periods {
		rs, err := s.reportSLA(p, rp, sn, customer)
		if err != nil {
			return nil, err
		}
		out = append(out, rs)
	}
	if err := s.reportHeld(p, out, periods, customer); err != nil {
		return nil, err
	}
	return out, nil
}

// reportQuery is what a report asks for: the SLAs (all, those serving
// the customer, or the one named by "sla"), a customer or "", and the days
// "from" and "to" when given.
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
	if rq.customer != "" {
		// An SLA that does not serve the customer has nothing to say of it.
		rq.slas = slices.DeleteFunc(slices.Clone(rq.slas), func(sl *sla.SLA) bool { return !sl.Serves(rq.customer) })
	}
	return rq, nil
}

// reportPeriod is one SLA of a report and the days it covers
// (reportQuery.period).
type reportPeriod struct {
	sla                *sla.SLA
	first, last, today sla.Date
}

// periods are the periods of the report's SLAs, or the error of the
// first that runs backwards.
func (rq reportQuery) periods(now time.Time) ([]reportPeriod, error) {
	out := make([]reportPeriod, 0, len(rq.slas))
	for _, sl := range rq.slas {
		first, last, today, err := rq.period(sl, now)
		if err != nil {
			return nil, err
		}
		out = append(out, reportPeriod{sla: sl, first: first, last: last, today: today})
	}
	return out, nil
}

// period is the days a report covers for sl, over its window in its
// calendar's zone (dayRange.over). The period runs to today when last is
// today, and then counts the open clocks already breached.
func (rq reportQuery) period(sl *sla.SLA, now time.Time) (first, last, today sla.Date, err error) {
	return rq.days.over(sl.Window, sl.CalendarOf().Location(), now, fmt.Sprintf("the period of SLA %q", sl.ID))
}

// readPeriods reads the counters and the sums of the SLAs' day aggregates
// over their periods in one transaction (the snapshot's sums then hold
// the period, not the window): every request's and, with customer, that
// customer's only; without, each named customer's, or for an SLA serving
// every department those with a day aggregate in the period (an SLA of
// 50 customers would otherwise be read 50 times, mostly for nothing).
func readPeriods(src figureSource, p *sla.Policy, periods []reportPeriod, customer string) (snapshot, error) {
	q := store.FigureQuery{Sums: make([]store.SumQuery, 0, len(periods)), CountersOfSums: someSLAs(p, len(periods))}
	for _, rp := range periods {
		sq := store.SumQuery{SLA: rp.sla.ID, Ranges: []store.DayRange{{First: rp.first, Last: rp.last}}}
		switch {
		case customer != "":
			sq.Customers = []string{customer}
		case slices.Contains(rp.sla.Customers, "*"):
			sq.ActiveCustomers = true
		default:
			sq.Customers = p.CustomersOf(rp.sla)
		}
		q.Sums = append(q.Sums, sq)
	}
	f, err := src.ReadFigures(q)
	if err != nil {
		return snapshot{}, fmt.Errorf("read the figures: %w", err)
	}
	sn := snapshot{countersIndexed: indexCounters(f.Counters)}
	sn.sums = f.Sums
	return sn, nil
}

// reportHeld gives each SLA of a report where its period's time went, all
// read in one transaction; nothing for a report of one customer (the
// figures are not kept per customer).
func (s *Server) reportHeld(p *sla.Policy, slas []wire.ReportSLA, periods []reportPeriod, customer string) error {
	if customer != "" || len(periods) == 0 {
		return nil
	}
	qs := make([]store.HeldQuery, 0, len(periods))
	for _, rp := range periods {
		qs = append(qs, store.HeldQuery{SLA: rp.sla.ID, Range: store.DayRange{First: rp.first, Last: rp.last}})
	}
	sums, err := s.opts.Store.ReadHeld(qs)
	if err != nil {
		return err
	}
	for i, rp := range periods {
		slas[i].Held = heldOf(p, rp.sla, sums[rp.sla.ID])
	}
	return nil
}

// reportSLA is one SLA's figures over its period, for every request under
// it or, with customer, that customer's only; and, without, each
// customer's: those every output shows, and the median and 90th
// percentile of the stopped clocks.
func (s *Server) reportSLA(p *sla.Policy, rp reportPeriod, sn snapshot, customer string) (wire.ReportSLA, error) {
	sl := rp.sla
	rs := wire.ReportSLA{
		ID: sl.ID, Description: sl.Description, Provider: sl.Provider, Customers: sl.Customers,
		Objective: sl.Objective, From: rp.first.String(), To: rp.last.String(), Customer: customer,
		ByCustomer: []wire.ReportCustomer{},
	}
	elapsed, err := s.reportElapsed(rp, customer)
	if err != nil {
		return rs, err
	}
	rs.CSATAverage, rs.CSATCount, rs.Targets = reportFigures(sn, rp, customer, elapsed[""])
	if customer != "" {
		return rs, nil
	}
	everyone := slices.Contains(sl.Customers, "*")
	for _, cu := range sn.customersShown(p, sl) {
		rc := wire.ReportCustomer{Customer: cu}
		rc.CSATAverage, rc.CSATCount, rc.Targets = reportFigures(sn, rp, cu, elapsed[cu])
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

// elapsedTimes are the elapsed business seconds of the clocks of an SLA
// that stopped in a period, sorted, per customer ("" for every request,
// or the one customer a report is of) and target.
type elapsedTimes map[string]map[sla.TargetKind][]int64

// reportElapsed reads the stops of the SLA's targets over its period and
// sorts their elapsed times into every request's and, without customer,
// each customer's: one pass over the stops (filtering them once per
// customer went over the stops of an SLA serving 50 departments 50
// times), the customers' times in one slice.
func (s *Server) reportElapsed(rp reportPeriod, customer string) (elapsedTimes, error) {
	out := elapsedTimes{"": {}}
	for _, k := range sla.TargetKinds {
		if !rp.sla.Target(k).Set() {
			continue
		}
		stops, err := s.opts.Store.StopTimes(rp.sla.ID, k, rp.first, rp.last)
		if err != nil {
			return nil, fmt.Errorf("read the stops of SLA %q: %w", rp.sla.ID, err)
		}
		all := make([]int64, 0, len(stops))
		for _, st := range stops {
			if customer == "" || st.Customer == customer {
				all = append(all, st.ElapsedSeconds)
			}
		}
		slices.Sort(all)
		out[""][k] = all
		if customer == "" {
			byCustomer(out, k, stops)
		}
	}
	return out, nil
}

// byCustomer sorts the elapsed times of one target's stops into each
// customer's, sorted, all in one slice: counted first, then placed.
func byCustomer(out elapsedTimes, k sla.TargetKind, stops []store.StopTime) {
	start := map[string]int{}
	for _, st := range stops {
		start[st.Customer]++
	}
	n := 0
	for cu, c := range start {
		start[cu], n = n, n+c
	}
	end := maps.Clone(start)
	times := make([]int64, len(stops))
	for _, st := range stops {
		times[end[st.Customer]] = st.ElapsedSeconds
		end[st.Customer]++
	}
	for cu, from := range start {
		mine := times[from:end[cu]:end[cu]]
		slices.Sort(mine)
		if out[cu] == nil {
			out[cu] = map[sla.TargetKind][]int64{}
		}
		out[cu][k] = mine
	}
}

// reportFigures are the figures of an SLA's requests (every customer's,
// or one's) over its period, from the period's sums in the snapshot, the
// median and 90th percentile from the sorted elapsed times of the stops.
func reportFigures(sn snapshot, rp reportPeriod, customer string, elapsed map[sla.TargetKind][]int64) (*float64, int64, []wire.ReportTarget) {
	f := sn.figuresOf(rp.sla, customer, sn.windowOf(rp.sla, customer, 0), !rp.last.Before(rp.today))
	targets := make([]wire.ReportTarget, 0, len(f.Targets))
	for _, t := range f.Targets {
		e := elapsed[t.Target]
		targets = append(targets, wire.ReportTarget{
			Target: t.Target, Counted: t.Counted(), Met: t.Met, Breached: t.Breached, OpenBreached: t.OpenBreached,
			Compliance: t.Compliance, MeetsObjective: t.MeetsObjective, ErrorBudgetRemaining: t.ErrorBudgetRemaining,
			MedianElapsedSeconds: quantile(e, 0.5), P90ElapsedSeconds: quantile(e, 0.9),
		})
	}
	return csatAverage(f), f.CSATCount, targets
}
