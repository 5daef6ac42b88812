package api

import (
	"strconv"
	"time"

	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/store"
)

// heldFamilies are where the time went (issue 12), per SLA over its
// current window as its compliance is: the requests whose attributed
// clock stopped in it, and who held them. A holder's series are labelled
// (sla, department, waiting): they appear with the first request it held
// in the SLA's window and go stale once the window holds none, for
// configured departments only — at most SLAs × departments × 2 series a
// family, in practice the departments that pass each other work.
type heldFamilies struct {
	handoffs                                          *family // per SLA
	requests, median, p90, holderHandoffs, breachedAt *family // per holder
}

func newHeldFamilies(fams *families) heldFamilies {
	holder := []string{"sla", "department", "waiting"}
	return heldFamilies{
		handoffs:       fams.gauge("slad_handoffs_per_request", "Mean number of times a request under the SLA changed hands (a wait on the customer and its end count), over the requests whose resolution clock stopped in the SLA's window.", "sla"),
		requests:       fams.gauge("slad_held_requests", "Requests under the SLA a department held (waiting=\"true\": was waited on as the customer), of those whose resolution clock stopped in the SLA's window.", holder...),
		median:         fams.gauge("slad_held_median_seconds", "Median business time a department held a request under the SLA, over the SLA's window (within 2%).", holder...),
		p90:            fams.gauge("slad_held_p90_seconds", "90th percentile of the business time a department held a request under the SLA, over the SLA's window (within 2%).", holder...),
		holderHandoffs: fams.gauge("slad_held_handoffs_per_request", "Times a request under the SLA was handed to the department, per request it held, over the SLA's window.", holder...),
		breachedAt:     fams.gauge("slad_held_breached_share_ratio", "The department's share of the elapsed business time of the clocks of the SLA's breached requests (what counted toward the target while it held them), over the SLA's window; absent while none breached.", holder...),
	}
}

// collectHeld sends the held series of every SLA, read in one
// transaction (store.ReadHeld).
func (c *Collector) collectHeld(out sink, p *sla.Policy, now time.Time) {
	qs := make([]store.HeldQuery, 0, len(p.SLAs))
	for _, sl := range p.SLAs {
		first, last := sl.Window.Bounds(now, sl.CalendarOf().Location())
		qs = append(qs, store.HeldQuery{SLA: sl.ID, Range: store.DayRange{First: first, Last: last}})
	}
	sums, err := c.store.ReadHeld(qs)
	if err != nil {
		c.log.Error("metrics: reading the holders failed", "err", err)
		return
	}
	f := c.held
	for _, sl := range p.SLAs {
		sum := sums[sl.ID]
		out.value(f.handoffs, sum.All.HandoffsPerRequest(), sl.ID)
		for _, k := range heldOrder(sum.Holders) {
			t := sum.Holders[k]
			if p.Departments[k.Department] == nil || t.Requests <= 0 {
				continue // a department no longer configured, or a tally taken back
			}
			labels := []string{sl.ID, k.Department, strconv.FormatBool(k.Waiting)}
			out.value(f.requests, float64(t.Requests), labels...)
			out.value(f.holderHandoffs, t.HandoffsPerRequest(), labels...)
			if v, ok := t.Quantile(0.5); ok {
				out.value(f.median, float64(v), labels...)
			}
			if v, ok := t.Quantile(0.9); ok {
				out.value(f.p90, float64(v), labels...)
			}
			if share, ok := t.BreachedShare(sum.All); ok {
				out.value(f.breachedAt, share, labels...)
			}
		}
	}
}
