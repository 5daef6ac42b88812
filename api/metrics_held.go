package api

import (
	"strconv"
	"sync"
	"time"

	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/store"
)

// heldFamilies are where the time went (issue 12), per SLA over its
// current window as its compliance is: the requests whose attributed
// clock stopped in it, and who held them. A holder's series are labelled
// (sla, department, waiting), for the heldSeriesPerSLA configured
// departments that held the SLA's requests the most time in its window:
// they appear when a holder comes among them and go stale when it leaves
// them. At most SLAs × heldSeriesPerSLA series a family, whatever the
// requests: every holder of every SLA made 282,000 series and 40 MB a
// scrape where requests went round 50 departments; the API's held
// figures (report, scorecards) name them all.
type heldFamilies struct {
	handoffs                                          *family // per SLA
	requests, median, p90, holderHandoffs, breachedAt *family // per holder
	kept                                              *heldKept
}

// heldSeriesPerSLA is how many holders of an SLA have slad_held_* series:
// the requester's provider, its customer waited on and a few departments
// that take part, for most SLAs all of them.
const heldSeriesPerSLA = 5

func newHeldFamilies(fams *families) heldFamilies {
	holder := []string{"sla", "department", "waiting"}
	return heldFamilies{
		handoffs:       fams.gauge("slad_handoffs_per_request", "Mean number of times a request under the SLA changed hands (a wait on the customer and its end count), over the requests whose resolution clock stopped in the SLA's window.", "sla"),
		requests:       fams.gauge("slad_held_requests", "Requests under the SLA a department held (waiting=\"true\": was waited on as the customer), of those whose resolution clock stopped in the SLA's window.", holder...),
		median:         fams.gauge("slad_held_median_seconds", "Median business time a department held a request under the SLA, over the SLA's window (within 2%).", holder...),
		p90:            fams.gauge("slad_held_p90_seconds", "90th percentile of the business time a department held a request under the SLA, over the SLA's window (within 2%).", holder...),
		holderHandoffs: fams.gauge("slad_held_handoffs_per_request", "Times a request under the SLA was handed to the department, per request it held, over the SLA's window.", holder...),
		kept:           &heldKept{},
		breachedAt:     fams.gauge("slad_held_breached_share_ratio", "The department's share of the elapsed business time of the clocks of the SLA's breached requests (what counted toward the target while it held them), over the SLA's window; absent while none breached.", holder...),
	}
}

// collectHeld sends the held series of every SLA (keptHeld).
func (c *Collector) collectHeld(out sink, p *sla.Policy, now time.Time) {
	all, err := c.keptHeld(p, now)
	if err != nil {
		c.log.Error("metrics: reading the holders failed", "err", err)
		return
	}
	f := c.held
	for i, sl := range p.SLAs {
		series := all[i]
		out.value(f.handoffs, series.handoffs, sl.ID)
		for _, h := range series.holders {
			labels := []string{sl.ID, h.department, strconv.FormatBool(h.waiting)}
			out.value(f.requests, h.requests, labels...)
			out.value(f.holderHandoffs, h.handoffs, labels...)
			if h.hasQuantiles {
				out.value(f.median, h.median, labels...)
				out.value(f.p90, h.p90, labels...)
			}
			if h.hasShare {
				out.value(f.breachedAt, h.breachedShare, labels...)
			}
		}
	}
}

// keptHeld returns the held series of every SLA of p, in its order, read
// in one transaction (store.ReadHeld). It keeps each SLA's series and
// rereads only the SLAs whose tallies changed since (store.HeldQuery.Unless)
// or whose window moved: a window of 1,000 SLAs is hundreds of thousands
// of day tallies, and most scrapes find a few SLAs changed.
func (c *Collector) keptHeld(p *sla.Policy, now time.Time) ([]heldSeries, error) {
	kept := c.held.kept
	kept.mu.Lock()
	defer kept.mu.Unlock()
	if kept.policy != p { // the series depend on the departments configured
		kept.policy, kept.bySLA = p, map[string]heldSeries{}
	}
	qs := make([]store.HeldQuery, 0, len(p.SLAs))
	for _, sl := range p.SLAs {
		first, last := sl.Window.Bounds(now, sl.CalendarOf().Location())
		q := store.HeldQuery{SLA: sl.ID, Range: store.DayRange{First: first, Last: last}}
		if k, ok := kept.bySLA[sl.ID]; ok && k.window == q.Range {
			q.Unless = k.version
		}
		qs = append(qs, q)
	}
	sums, err := c.store.ReadHeld(qs)
	if err != nil {
		return nil, err
	}
	out := make([]heldSeries, len(p.SLAs))
	for i, sl := range p.SLAs {
		sum := sums[sl.ID]
		series, ok := kept.bySLA[sl.ID]
		if !sum.Unchanged || !ok {
			series = heldSeriesOf(p, sum)
			series.window = qs[i].Range
			kept.bySLA[sl.ID] = series
		}
		out[i] = series // never changed once made: read without the lock
	}
	return out, nil
}

// heldKept are the held series of each SLA as last read, with the
// version of its tallies they were read at.
type heldKept struct {
	mu     sync.Mutex
	policy *sla.Policy
	bySLA  map[string]heldSeries
}

// heldSeries are one SLA's held series.
type heldSeries struct {
	version  uint64
	window   store.DayRange
	handoffs float64
	holders  []heldHolderSeries
}

type heldHolderSeries struct {
	department                      string
	waiting                         bool
	requests, handoffs, median, p90 float64
	breachedShare                   float64
	hasQuantiles, hasShare          bool // absent while nothing was counted, none breached
}

// heldSeriesOf computes an SLA's held series from its sums.
func heldSeriesOf(p *sla.Policy, sum store.HeldSums) heldSeries {
	series := heldSeries{version: sum.Version, handoffs: sum.All.HandoffsPerRequest()}
	for _, k := range heldOrder(sum.Holders) {
		t := sum.Holders[k]
		if p.Departments[k.Department] == nil || t.Requests <= 0 {
			continue // a department no longer configured, or a tally taken back
		}
		if len(series.holders) == heldSeriesPerSLA {
			break
		}
		h := heldHolderSeries{department: k.Department, waiting: k.Waiting, requests: float64(t.Requests), handoffs: t.HandoffsPerRequest()}
		median, ok := t.Quantile(0.5)
		p90, _ := t.Quantile(0.9) // counted when the median is
		h.median, h.p90, h.hasQuantiles = float64(median), float64(p90), ok
		h.breachedShare, h.hasShare = t.BreachedShare(sum.All)
		series.holders = append(series.holders, h)
	}
	return series
}
