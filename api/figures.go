package api

import (
	"fmt"
	"time"

	"github.com/slad-project/slad/api/wire"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/store"
)

// figureSource is the part of the store that window figures are read from.
type figureSource interface {
	Counters() (store.Counters, error)
	Snapshot() (store.Snapshot, error)
	WindowFigures(slaID string, first, last sla.Date) (store.Window, error)
	CustomerWindowFigures(slaID, customer string, first, last sla.Date) (store.Window, error)
}

var _ figureSource = (*store.Store)(nil)

// snapshot is what every SLA's figures share: the store's running counters
// (and, for the status page, the requests needing attention), read once
// per page, answer or scrape, in one transaction, as of the last event or
// tick.
type snapshot struct {
	counters store.Counters
	flagged  []store.Flagged // only for the status page: see readSnapshotWithAttention
	// open counts the open requests per SLA ([0]) and customer ([1], ""
	// for every customer), from counters.Open, summed once per snapshot.
	open map[[2]string]int64
}

// newSnapshot indexes the counters for the figures.
func newSnapshot(c store.Counters, flagged []store.Flagged) snapshot {
	sn := snapshot{counters: c, flagged: flagged, open: map[[2]string]int64{}}
	for k, n := range c.Open {
		sn.open[[2]string{k[0], ""}] += n
		sn.open[[2]string{k[0], k[2]}] += n
	}
	return sn
}

// readSnapshot reads the counters: a fixed number of keys per SLA, however
// many requests are open or breached.
func readSnapshot(src figureSource) (snapshot, error) {
	c, err := src.Counters()
	if err != nil {
		return snapshot{}, fmt.Errorf("read counters: %w", err)
	}
	return newSnapshot(c, nil), nil
}

// readSnapshotWithAttention also reads the requests needing attention, in
// the same transaction as the counters, for the status page's list and
// tiles.
func readSnapshotWithAttention(src figureSource) (snapshot, error) {
	st, err := src.Snapshot()
	if err != nil {
		return snapshot{}, fmt.Errorf("read counters: %w", err)
	}
	return newSnapshot(st.Counters, st.Attention), nil
}

// figures are sl's figures from first to last (local dates of its
// calendar), for every request under it (customer "") or one customer's;
// today is the last day of its current window, so that open breached
// clocks count in a period that reaches it. Every output that shows a
// window figure (/api/v1/slas, /api/v1/report, the history, /metrics and
// the status page, and so slad report) gets it from here and
// sla.SLA.Figures.
func (sn snapshot) figures(src figureSource, sl *sla.SLA, customer string, first, last, today sla.Date) (sla.Figures, error) {
	w, err := window(src, sl.ID, customer, first, last)
	if err != nil {
		return sla.Figures{}, err
	}
	return sn.figuresOf(sl, customer, w, !last.Before(today)), nil
}

// window sums sl's day aggregates, or those of one of its customers.
func window(src figureSource, slaID, customer string, first, last sla.Date) (store.Window, error) {
	var w store.Window
	var err error
	if customer == "" {
		w, err = src.WindowFigures(slaID, first, last)
	} else {
		w, err = src.CustomerWindowFigures(slaID, customer, first, last)
	}
	if err != nil {
		return w, fmt.Errorf("read the figures of SLA %q: %w", slaID, err)
	}
	return w, nil
}

// figuresOf computes sl's figures (every customer's, or one's) from the
// sums of its days and the snapshot.
func (sn snapshot) figuresOf(sl *sla.SLA, customer string, w store.Window, toToday bool) sla.Figures {
	c := sla.Counts{
		Stopped: w.Targets, OpenBreached: map[sla.TargetKind]int64{}, ToToday: toToday,
		CSATSum: w.CSATSum, CSATCount: w.CSATCount, Open: sn.open[[2]string{sl.ID, customer}],
	}
	if customer == "" {
		c.AtRisk = sn.counters.AtRisk[sl.ID]
	} else {
		c.AtRisk = sn.counters.AtRiskByCustomer[[2]string{sl.ID, customer}]
	}
	for _, k := range sla.TargetKinds {
		if customer == "" {
			c.OpenBreached[k] = sn.counters.OpenBreached[[2]string{sl.ID, string(k)}]
		} else {
			c.OpenBreached[k] = sn.counters.OpenBreachedByCustomer[[3]string{sl.ID, string(k), customer}]
		}
	}
	return sl.Figures(c)
}

// standing is an SLA and its figures over its current window as of now:
// an entry of GET /api/v1/slas and a row of the status page.
func (s *Server) standing(p *sla.Policy, sl *sla.SLA, sn snapshot, now time.Time) (wire.SLAStanding, error) {
	cal := sl.CalendarOf()
	first, last := sl.Window.Bounds(now, cal.Location())
	f, err := sn.figures(s.opts.Store, sl, "", first, last, last)
	if err != nil {
		return wire.SLAStanding{}, err
	}
	out := wire.SLAStanding{
		ID: sl.ID, Description: sl.Description, Provider: sl.Provider, Customers: sl.Customers,
		Calendar: cal.Name(), Objective: sl.Objective, Window: sl.Window.String(),
		WindowStart: first.String(), WindowEnd: last.String(),
		Standing: standingOf(sl, f), ByCustomer: []wire.CustomerStanding{},
	}
	for _, cu := range p.CustomersOf(sl) {
		f, err := sn.figures(s.opts.Store, sl, cu, first, last, last)
		if err != nil {
			return wire.SLAStanding{}, err
		}
		out.ByCustomer = append(out.ByCustomer, wire.CustomerStanding{Customer: cu, Standing: standingOf(sl, f)})
	}
	return out, nil
}

// standingOf puts figures over an SLA's window on the wire.
func standingOf(sl *sla.SLA, f sla.Figures) wire.Standing {
	out := wire.Standing{
		Compliance: f.Compliance, ErrorBudgetRemaining: f.ErrorBudgetRemaining, BreachesAffordable: f.BreachesAffordable,
		Open: f.Open, AtRisk: f.AtRisk, Breached: f.Breached,
		CSATAverage: csatAverage(f), CSATCount: f.CSATCount, Targets: []wire.TargetStanding{},
	}
	for _, t := range f.Targets {
		out.Targets = append(out.Targets, wire.TargetStanding{
			Target: t.Target, TargetSeconds: targetSeconds(sl.Target(t.Target)),
			Counted: t.Counted(), Met: t.Met, Breached: t.Breached, OpenBreached: t.OpenBreached,
			Compliance: t.Compliance, ErrorBudgetRemaining: t.ErrorBudgetRemaining, BreachesAffordable: t.BreachesAffordable,
		})
	}
	return out
}

// csatAverage is the average satisfaction score, nil when none was given.
func csatAverage(f sla.Figures) *float64 {
	if f.CSATCount == 0 {
		return nil
	}
	avg := f.CSATAverage
	return &avg
}

// targetSeconds is a target per priority, "default" for the rest.
func targetSeconds(t sla.Target) map[string]int64 {
	out := map[string]int64{}
	for p, d := range t.ByPriority {
		out[p] = int64(d / time.Second)
	}
	if t.Default > 0 {
		out["default"] = int64(t.Default / time.Second)
	}
	return out
}
