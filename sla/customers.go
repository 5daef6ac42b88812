package sla

import (
	"slices"
	"sort"
)

// Serves reports whether a department is one of the SLA's customers: one
// it names, or any department when it names "*". A holding or waiting SLA
// never serves its own provider, the party it measures, whatever its
// customers say: its customers are the providers of the requests the party
// is handed (or that wait on it), and a department's own request is handed
// to no one, so measuring it there would time the department against
// itself. This is the customer test of matching, its explanation and the
// figures per customer alike.
func (s *SLA) Serves(dept string) bool {
	if s.Party() && dept == s.Provider {
		return false
	}
	return slices.Contains(s.Customers, "*") || slices.Contains(s.Customers, dept)
}

// CustomersOf are the customer departments an SLA serves ([SLA.Serves]),
// each once: its customers as configured, in that order, or, when they
// hold "*", every department of the policy in the order of their ids (but
// the party of a holding or waiting SLA). Figures per customer exist for
// these and no other, so their number is bounded by the configuration,
// never by the requests.
func (p *Policy) CustomersOf(s *SLA) []string {
	if slices.Contains(s.Customers, "*") {
		out := make([]string, 0, len(p.Departments))
		for id := range p.Departments {
			if s.Serves(id) {
				out = append(out, id)
			}
		}
		sort.Strings(out)
		return out
	}
	out := make([]string, 0, len(s.Customers))
	for _, c := range s.Customers {
		if s.Serves(c) && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}
