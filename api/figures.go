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
}

var _ figureSource = (*store.Store)(nil)

// snapshot is what every SLA's figures share: the store's running counters
// (and, for the status page, the requests needing attention), read once
// per page, answer or scrape, in one transaction, as of the last event or
// tick.
type snapshot struct {
	counters store.Counters
	flagged  []store.Flagged // only for the status page: see readSnapshotWithAttention
}

// readSnapshot reads the counters: a fixed number of keys per SLA, however
// many requests are open or breached.
func readSnapshot(src figureSource) (snapshot, error) {
	c, err := src.Counters()
	if err != nil {
		return snapshot{}, fmt.Errorf("read counters: %w", err)
	}
	return snapshot{counters: c}, nil
}

// readSnapshotWithAttention also reads the requests needing attention, in
// the same transaction as the counters, for the status page's list and
// tiles.
func readSnapshotWithAttention(src figureSource) (snapshot, error) {
	st, err := src.Snapshot()
	if err != nil {
		return snapshot{}, fmt.Errorf("read counters: %w", err)
	}
	return snapshot{counters: st.Counters, flagged: st.Attention}, nil
}

// figures are sl's figures from first to last (local dates of its
// calendar); today is the last day of its current window, so that open
// breached clocks count in a period that reaches it. Every output that
// shows a window figure (/api/v1/slas, /api/v1/report, /metrics and the
// status page, and so slad report) gets it from here and sla.SLA.Figures.
func (sn snapshot) figures(src figureSource, sl *sla.SLA, first, last, today sla.Date) (sla.Figures, error) {
	w, err := src.WindowFigures(sl.ID, first, last)
	if err != nil {
		return sla.Figures{}, fmt.Errorf("read the figures of SLA %q: %w", sl.ID, err)
	}
	return sn.figuresOf(sl, w, !last.Before(today)), nil
}

// figuresOf computes sl's figures from the sums of its days and the
// snapshot.
func (sn snapshot) figuresOf(sl *sla.SLA, w store.Window, toToday bool) sla.Figures {
	c := sla.Counts{
		Stopped: w.Targets, OpenBreached: map[sla.TargetKind]int64{}, ToToday: toToday,
		CSATSum: w.CSATSum, CSATCount: w.CSATCount, AtRisk: sn.counters.AtRisk[sl.ID],
	}
	for _, k := range sla.TargetKinds {
		c.OpenBreached[k] = sn.counters.OpenBreached[[2]string{sl.ID, string(k)}]
	}
	for k, n := range sn.counters.Open {
		if k[0] == sl.ID {
			c.Open += n
		}
	}
	return sl.Figures(c)
}

// standing is an SLA and its figures over its current window as of now:
// an entry of GET /api/v1/slas and a row of the status page.
func (s *Server) standing(sl *sla.SLA, sn snapshot, now time.Time) (wire.SLAStanding, error) {
	cal := sl.CalendarOf()
	first, last := sl.Window.Bounds(now, cal.Location())
	f, err := sn.figures(s.opts.Store, sl, first, last, last)
	if err != nil {
		return wire.SLAStanding{}, err
	}
	out := wire.SLAStanding{
		ID: sl.ID, Description: sl.Description, Provider: sl.Provider, Customers: sl.Customers,
		Calendar: cal.Name(), Objective: sl.Objective, Window: sl.Window.String(),
		WindowStart: first.String(), WindowEnd: last.String(),
		Standing: standingOf(sl, f), ByCustomer: []wire.CustomerStanding{},
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
