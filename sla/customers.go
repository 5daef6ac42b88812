package sla

import (
	"slices"
	"sort"
)

// CustomersOf are the customer departments an SLA serves, each once: its
// customers as configured, in that order, or, when they hold "*", every
// department of the policy in the order of their ids. Figures per customer
// exist for these and no other, so their number is bounded by the
// configuration, never by the requests.
func (p *Policy) CustomersOf(s *SLA) []string {
	if slices.Contains(s.Customers, "*") {
		out := make([]string, 0, len(p.Departments))
		for id := range p.Departments {
			out = append(out, id)
		}
		sort.Strings(out)
		return out
	}
	out := make([]string, 0, len(s.Customers))
	for _, c := range s.Customers {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}
