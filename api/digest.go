package api

import (
	"fmt"
	"time"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/store"
)

// A department's digest (daemon/digest.go sends one per slot of its
// schedule): the scorecard's figures read the scorecard's way — one
// snapshot of the counters, the attention index and the day aggregates of
// its SLAs over their window and the window before — never every request.

// trendTolerance is how far apart two compliances may be and still be
// "flat": half a percentage point.
const trendTolerance = 0.005

// Digest computes a department's digest for the schedule slot, as the
// figures stand at now; since is the slot of the digest before (or when
// the digest was configured). Breaches since are the clocks that breached
// from since to the slot (the SLA's breach index over that span), so that
// consecutive digests neither miss nor repeat one.
func (s *Server) Digest(dept string, slot, since time.Time, zone *time.Location) (*lifecycle.Digest, error) {
	cfg := s.opts.Config()
	p := cfg.Policy
	d := p.Departments[dept]
	if d == nil {
		return nil, fmt.Errorf("no department %q in the configuration", dept)
	}
	now := s.now()
	out := &lifecycle.Digest{
		Department: dept, DepartmentName: p.DepartmentName(dept), Lead: d.Lead,
		Slot: slot.UTC(), Since: since.UTC().Truncate(time.Second), Zone: zone.String(),
		URL:      cfg.Global.ExternalURL + "/departments/" + dept,
		Provides: []lifecycle.DigestSLA{}, Receives: []lifecycle.DigestSLA{},
	}
	var slas []*sla.SLA
	for _, sl := range p.SLAs {
		if sl.Provider == dept || sl.Serves(dept) {
			slas = append(slas, sl)
		}
	}
	sn, err := readFigures(s.opts.Store, p, figureRead{
		slas: slas, customers: []string{dept}, ranges: previousWindow,
		attention: &store.AttentionQuery{PerSLA: 1, Department: dept},
	}, now)
	if err != nil {
		return nil, err
	}
	for _, sl := range slas {
		provides, recv := sl.Provider == dept, receivesFigures(p, sl, dept, sn)
		if !provides && !recv {
			continue
		}
		all, byCustomer, err := s.opts.Store.BreachesBetween(sl.ID, since, slot)
		if err != nil {
			return nil, fmt.Errorf("count the breaches of SLA %q: %w", sl.ID, err)
		}
		if provides {
			out.Provides = append(out.Provides, digestSLA(sn, sl, "", customerNames(p, sl), all))
		}
		if recv {
			out.Receives = append(out.Receives, digestSLA(sn, sl, dept, p.DepartmentName(sl.Provider), byCustomer[dept]))
		}
	}
	if rows := attentionList(p, sn.flagged, dept, now); len(rows) > 0 {
		out.Worst = worstOf(rows[0], cfg)
		out.Worst.ProviderName = p.DepartmentName(out.Worst.Provider)
	}
	fb, err := s.departmentFeedback(cfg, dept)
	if err != nil {
		return nil, err
	}
	if fb.Received.INPS != nil {
		v := float64(*fb.Received.INPS)
		out.INPS, out.INPSResponses = &v, fb.Received.Responses
	}
	return out, nil
}

// previousWindow is the further range a digest reads per SLA: the window
// before the current one (the previous month, quarter or as many days), in
// the SLA calendar's days.
func previousWindow(sl *sla.SLA, today sla.Date) []store.DayRange {
	loc := sl.CalendarOf().Location()
	first, _ := sl.Window.Bounds(today.In(loc), loc)
	pFirst, pLast := sl.Window.Bounds(first.AddDays(-1).In(loc), loc)
	return []store.DayRange{{First: pFirst, Last: pLast}}
}

// digestSLA is one SLA's line in a digest: every request's figures
// (customer "") or one customer's, and the breaches since the last digest.
func digestSLA(sn snapshot, sl *sla.SLA, customer, party string, breaches int64) lifecycle.DigestSLA {
	cur := sn.current(sl, customer)
	prev := sn.figuresOf(sl, customer, sn.windowOf(sl, customer, 1), false)
	line := lifecycle.DigestSLA{
		SLA: sl.ID, Description: sl.Description, Party: party,
		Objective: sl.Objective, Window: sl.Window.String(),
		Compliance: cur.Compliance, BudgetLeft: cur.ErrorBudgetRemaining,
		MeetsObjective: cur.Compliance >= sl.Objective,
		AtRisk:         cur.AtRisk, BreachedOpen: cur.Breached,
		BreachesSince: breaches, CSATCount: cur.CSATCount,
	}
	if cur.CSATCount > 0 {
		v := cur.CSATAverage
		line.CSAT = &v
	}
	if counted(prev) > 0 {
		v := prev.Compliance
		line.Previous = &v
		switch {
		case counted(cur) == 0:
		case cur.Compliance > v+trendTolerance:
			line.Trend = "up"
		case cur.Compliance < v-trendTolerance:
			line.Trend = "down"
		default:
			line.Trend = "flat"
		}
	}
	return line
}

// counted is how many clocks a figure counted over every target.
func counted(f sla.Figures) int64 {
	var n int64
	for _, t := range f.Targets {
		n += t.Met + t.Breached
	}
	return n
}

// worstOf turns the first row of the attention list into the digest's
// worst open request.
func worstOf(r attentionRow, cfg *config.Config) *lifecycle.DigestRequest {
	w := &lifecycle.DigestRequest{
		Provider: r.providerID, ID: r.Request, Title: r.Title, Priority: r.Priority,
		State: "at_risk", SLA: r.SLA, Target: r.Target, Deadline: r.at.UTC(),
		URL: cfg.Global.ExternalURL + r.Link,
	}
	if r.at.IsZero() {
		w.Deadline = time.Time{}
	}
	if r.breached {
		w.State = "breached"
	}
	return w
}
