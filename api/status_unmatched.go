package api

import (
	"cmp"
	"slices"

	"github.com/slad-project/slad/sla"
)

// unmatchedNote is a provider's open requests that no SLA gives a clock,
// as the status page counts them (issue 13): a bridge's category typo or
// a priority no target lists shows here rather than in no figure at all.
type unmatchedNote struct {
	Provider, Name string
	Open           string // "3 open requests", with its plural
	Have           string // its verb: "has" or "have"
	// Example is the URL pattern whose ?explain=1 says why, per SLA.
	Example string
}

// unmatchedNotes lists, per provider in view (every one, or the filter
// department), its open requests without a clock, from the snapshot's
// counters; none when there are none.
func unmatchedNotes(p *sla.Policy, sn snapshot, filter string) []unmatchedNote {
	var out []unmatchedNote
	for _, d := range unmatchedProviders(p, sn.counters) {
		n := sn.counters.OpenUnmatched[d]
		if n <= 0 || (filter != "" && filter != d) {
			continue
		}
		note := unmatchedNote{Provider: d, Name: p.DepartmentName(d), Open: sla.Plural(n, "open request", "open requests"),
			Have: "have", Example: "/api/v1/requests/" + d + "/{id}?explain=1"}
		if n == 1 {
			note.Have = "has"
		}
		out = append(out, note)
	}
	slices.SortStableFunc(out, func(a, b unmatchedNote) int { return cmp.Compare(a.Name, b.Name) })
	return out
}
