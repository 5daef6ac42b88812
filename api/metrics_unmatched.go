package api

import (
	"maps"
	"slices"

	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/store"
)

// requestFamilies are the series of requests per provider, so that a
// request no SLA gives a clock is counted rather than silent (issue 13):
// the share slad_requests_unmatched_total / slad_requests_opened_total is
// what the shipped rule SladUnmatchedShareJumped watches.
type requestFamilies struct {
	opened, unmatched, openUnmatched *family
}

func newRequestFamilies(fams *families) requestFamilies {
	return requestFamilies{
		opened:        fams.counter("slad_requests_opened_total", "Requests opened, per provider (once each).", "provider"),
		unmatched:     fams.counter("slad_requests_unmatched_total", "Requests that stood with no clock of any SLA (at their opening, or after an update or reload left them none), per provider; once each, not taken back when a later change gives them one. GET /api/v1/requests/{provider}/{id}?explain=1 says why.", "provider"),
		openUnmatched: fams.gauge("slad_requests_unmatched_open", "Open requests with no clock of any SLA now, per provider.", "provider"),
	}
}

// unmatchedProviders lists the providers whose request series are
// written: every configured department some SLA names as provider (at 0
// from the start) and any other configured department with a count. A
// department the configuration no longer has is left out, so the label's
// values are bounded by the configuration, not by what was ever sent.
func unmatchedProviders(p *sla.Policy, c store.Counters) []string {
	set := map[string]bool{}
	for _, s := range p.SLAs {
		if p.Departments[s.Provider] != nil {
			set[s.Provider] = true
		}
	}
	for _, m := range []map[string]int64{c.Opened, c.Unmatched, c.OpenUnmatched} {
		for d, n := range m {
			if n != 0 && p.Departments[d] != nil {
				set[d] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// collectRequests sends the per-provider request series.
func (c *Collector) collectRequests(out sink, p *sla.Policy, counters store.Counters) {
	f := c.requests
	for _, d := range unmatchedProviders(p, counters) {
		out.value(f.opened, float64(counters.Opened[d]), d)
		out.value(f.unmatched, float64(counters.Unmatched[d]), d)
		out.value(f.openUnmatched, float64(counters.OpenUnmatched[d]), d)
	}
}
