package api

import (
	"cmp"
	"net/url"
	"slices"

	"github.com/slad-project/slad/internal/httputil"
	"github.com/slad-project/slad/sla"
)

// unmatchedNamed is how many of a provider's open requests without a clock
// the status page names; the rest are one link away (unmatchedListURL).
const unmatchedNamed = 5

// unmatchedNote is a provider's open requests that no SLA gives a clock,
// as the status page counts them (issue 13): a bridge's category typo or
// a priority no target lists shows here rather than in no figure at all.
type unmatchedNote struct {
	Provider, Name string
	Open           string // "3 open requests", with its plural
	Have           string // its verb: "has" or "have"
	// Example is the URL pattern whose ?explain=1 says why, per SLA: the
	// note's pointer when it names no request (a reader without access to
	// requests).
	Example string
	// Requests are the first of them, by id, linked to their pages; More
	// counts the others, listed at ListURL.
	Requests []unmatchedLink
	More     int64
	ListURL  string
}

// unmatchedLink is a request the note names.
type unmatchedLink struct{ ID, URL string }

// unmatchedListURL is the API's list of a provider's open requests without
// a clock (handleUnmatched).
func unmatchedListURL(provider string) string {
	return "/api/v1/departments/" + url.PathEscape(provider) + "/unmatched"
}

// unmatchedNotes lists, per provider in view (every one, or the filter
// department), its open requests without a clock, from the snapshot's
// counters, naming the first of them when the snapshot read their ids;
// none when there are none.
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
		for _, id := range sn.unmatched[d] {
			note.Requests = append(note.Requests, unmatchedLink{ID: id, URL: "/requests/" + httputil.RequestPath(d, id)})
		}
		if len(note.Requests) > 0 {
			note.More, note.ListURL = max(n-int64(len(note.Requests)), 0), unmatchedListURL(d)
		}
		out = append(out, note)
	}
	slices.SortStableFunc(out, func(a, b unmatchedNote) int { return cmp.Compare(a.Name, b.Name) })
	return out
}
