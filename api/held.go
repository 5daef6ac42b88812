package api

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/slad-project/slad/api/wire"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/store"
)

// Where the time went (issue 12): who held an SLA's requests, read from
// the store's holder day aggregates over a window (store.ReadHeld) —
// one seek per SLA and one tally per day and holder, never the requests.

// attributedTarget is the target whose clock an SLA's held figures
// measure (sla.AttributedClock): resolution, else response.
func attributedTarget(sl *sla.SLA) sla.TargetKind {
	if sl.Resolution.Set() {
		return sla.Resolution
	}
	return sla.Response
}

// heldOf is the wire form of an SLA's tallies over a period.
func heldOf(p *sla.Policy, sl *sla.SLA, sums store.HeldSums) *wire.Held {
	all := sums.All
	h := &wire.Held{
		Target: string(attributedTarget(sl)), Requests: all.Requests, Breached: all.Breached,
		HandoffsPerRequest: round2(all.HandoffsPerRequest()),
		MedianSeconds:      tallyQuantile(all, 0.5), P90Seconds: tallyQuantile(all, 0.9),
		Holders: []wire.Holder{},
	}
	for _, k := range heldOrder(sums.Holders) {
		h.Holders = append(h.Holders, holderOf(p, k, sums.Holders[k], all))
	}
	return h
}

// heldOrder lists holders the most time held first, then by department
// and the holder before the customer waited on.
func heldOrder(holders map[store.Holder]sla.HeldTally) []store.Holder {
	type ranked struct {
		store.Holder
		seconds int64
	}
	rs := make([]ranked, 0, len(holders))
	for k, t := range holders {
		rs = append(rs, ranked{k, t.Seconds})
	}
	slices.SortFunc(rs, func(a, b ranked) int {
		return cmp.Or(cmp.Compare(b.seconds, a.seconds), cmp.Compare(a.Department, b.Department), boolOrder(a.Waiting, b.Waiting))
	})
	out := make([]store.Holder, len(rs))
	for i, r := range rs {
		out[i] = r.Holder
	}
	return out
}

func boolOrder(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// holderOf is one holder's figures, its share of the breached requests'
// time taken from the SLA's tally all.
func holderOf(p *sla.Policy, k store.Holder, t, all sla.HeldTally) wire.Holder {
	h := wire.Holder{
		Department: k.Department, Name: p.DepartmentName(k.Department), Waiting: k.Waiting, Requests: t.Requests,
		MedianHeldSeconds: tallyQuantile(t, 0.5), P90HeldSeconds: tallyQuantile(t, 0.9),
		HandoffsPerRequest: round2(t.HandoffsPerRequest()),
	}
	if share, ok := t.BreachedShare(all); ok {
		share = math.Round(share*10000) / 10000
		h.BreachedShare = &share
	}
	return h
}

// tallyQuantile is a tally's nearest-rank quantile; nil when it counts
// nothing.
func tallyQuantile(t sla.HeldTally, q float64) *int64 {
	v, ok := t.Quantile(q)
	if !ok {
		return nil
	}
	return &v
}

// round2 rounds a mean to two decimals, as people read it.
func round2(v float64) float64 { return math.Round(v*100) / 100 }

// currentHeld reads the tallies of the SLAs over their current windows,
// and the windows: for each SLA of whole, every holder's; for the others,
// only dept's, what departmentHeld needs of them.
func (s *Server) currentHeld(slas []*sla.SLA, dept string, whole []*sla.SLA, now time.Time) (map[string]store.HeldSums, map[string]store.DayRange, error) {
	windows := make(map[string]store.DayRange, len(slas))
	qs := make([]store.HeldQuery, 0, len(slas))
	for _, sl := range slas {
		first, last := sl.Window.Bounds(now, sl.CalendarOf().Location())
		windows[sl.ID] = store.DayRange{First: first, Last: last}
		q := store.HeldQuery{SLA: sl.ID, Range: windows[sl.ID], Department: dept}
		if slices.Contains(whole, sl) {
			q.Department = ""
		}
		qs = append(qs, q)
	}
	sums, err := s.opts.Store.ReadHeld(qs)
	return sums, windows, err
}

// departmentHeld lists a department's part of every SLA's requests in the
// SLA's current window, as its scorecard shows it (wire.DepartmentHeld),
// from tallies read by currentHeld.
func departmentHeld(p *sla.Policy, id string, sums map[string]store.HeldSums, windows map[string]store.DayRange) []wire.DepartmentHeld {
	out := []wire.DepartmentHeld{}
	for _, sl := range p.SLAs {
		sum := sums[sl.ID]
		for _, waiting := range []bool{false, true} {
			k := store.Holder{Department: id, Waiting: waiting}
			t, ok := sum.Holders[k]
			if !ok || t.Requests <= 0 {
				continue
			}
			w := windows[sl.ID]
			out = append(out, wire.DepartmentHeld{
				SLA: sl.ID, Provider: sl.Provider, WindowStart: w.First.String(), WindowEnd: w.Last.String(),
				Of: sum.All.Requests, Holder: holderOf(p, k, t, sum.All),
			})
		}
	}
	return out
}
