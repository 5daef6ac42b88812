package sla

import "slices"

// Rated reports whether a request's satisfaction score counts toward the
// SLA's CSAT. A score ("csat" on "resolved", or "rated") is the request's
// customer judging its provider's resolution, so it rates the SLAs that
// measure that service: those of the request's life, whose parties
// ([SLA.PartiesOf]) are the request's provider and customer. A holding SLA
// (an OLA) measures another department's time with the request, which the
// customer did not rate; a waiting SLA measures the customer's own
// promise, and crediting it would show the customer's rating of its
// provider as the provider's rating of the customer.
func (s *SLA) Rated() bool { return !s.Party() }

// RatedSLAs are the SLAs a request's score counts under, each once, in the
// order of its clocks: those [SLA.Rated] keeps among the SLAs of the
// policy whose clocks the request has and that still cover it (a clock
// cancelled by an update is not the SLA's to rate). None for a request
// that is not resolved or has no score.
func (p *Policy) RatedSLAs(r *Request) []*SLA {
	if r.Status != StatusResolved || r.CSAT <= 0 {
		return nil
	}
	var out []*SLA
	for i := range r.Clocks {
		clk := &r.Clocks[i]
		s := p.SLA(clk.SLA)
		if s == nil || clk.Cancelled || !s.Rated() || slices.Contains(out, s) {
			continue
		}
		out = append(out, s)
	}
	return out
}
