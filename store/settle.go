package store

import (
	"strings"
	"time"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/sla"
)

// Settling imported history. A clock that stopped or breached long before
// slad first saw it counts in the totals that never go down only an hour
// later, when it settles (lifecycle.State.Settled): the deadline index
// names the request for that moment, and the tick visits it. An import of
// a million closed requests makes nearly all of them due so, an hour after
// each batch.
//
// For a request with no open clock, settling is all that time changes of
// its contribution: its day shares, stops, held shares and the rest stay
// as they were, and only the shares contributor.settled adds (breaches,
// stops and the histogram, the breach list) and the deadline move. A visit
// that fires nothing computes just these (settledContribution), rather
// than the whole contribution again (contributeLive): with the 1,000-SLA
// policy's 10 clocks a request, every one stopped, that cost a settling
// tick most of its compute phase, and the writer then found the day
// shares and stops unchanged one by one (BenchmarkEvaluateSettle).

// onlySettles reports whether a due request's visit changes its
// contribution only where clocks settle: the tick t fired and skipped
// nothing, the request is closed (resolved or cancelled, no clock open)
// and each of its clocks' SLAs is in force — a clock of an SLA a reload
// removed contributes nothing more, which its shares as stored still
// hold. live is the request as it stands at now.
func onlySettles(p *sla.Policy, live *sla.Request, t *lifecycle.TickResult) bool {
	if len(t.Effects) > 0 || t.Fired > 0 || t.Skipped > 0 {
		return false
	}
	if live.Status != sla.StatusResolved && live.Status != sla.StatusCancelled {
		return false
	}
	for i := range live.Clocks {
		if clk := &live.Clocks[i]; clk.Open() || p.SLA(clk.SLA) == nil {
			return false
		}
	}
	return true
}

// settledContribution is the contribution of a request onlySettles says
// only settles: rec's stored one with the shares of the settled clocks as
// of now (contributor.settled) in place of those it had, and its next
// deadline. It is what contributeLive computes for such a request (a
// test holds them to it), without the day shares, stops and held shares
// it would find unchanged. live is the request as it stands at now.
func settledContribution(rec *record, live *sla.Request, p *sla.Policy, now time.Time) contribution {
	c := rec.Contrib
	// Room for the four shares a settled clock may add (settled).
	b := &contributor{r: *live, c: contribution{Counters: make(counterShares, 0, len(c.Counters)+4*len(live.Clocks))}, known: c.Counters}
	for _, s := range c.Counters { // sorted, and so what is kept
		if kind, _, _ := strings.Cut(s.key, "\x00"); !settledKind(kind) {
			b.c.Counters = append(b.c.Counters, s)
		}
	}
	for i := range live.Clocks {
		clk := &live.Clocks[i]
		if !rec.Settled(clk, now) {
			continue
		}
		var key string
		if clk.Breached() {
			key = clk.Key()
		}
		b.settled(clk, key)
	}
	c.Counters, c.Breaches = b.c.Counters, b.c.Breaches
	c.Deadline = nextDeadline(p, rec, live, now)
	return c
}

// settledKind reports whether counters of a kind are added to only by
// settled clocks (contributor.settled).
func settledKind(kind string) bool {
	switch kind {
	case ctrBreaches, ctrStopped, ctrHist, ctrHistSum:
		return true
	}
	return false
}
