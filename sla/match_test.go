package sla

import (
	"encoding/json"
	"slices"
	"testing"
	"time"
)

// TestExplainSaysWhyEachSLAGaveNoClock keeps the explanation of a request
// without clocks: per SLA of its provider, the attribute refused, the
// request's value and what the SLA takes.
func TestExplainSaysWhyEachSLAGaveNoClock(t *testing.T) {
	p := fixturePolicy(t)
	p.SLAs = append(p.SLAs, &SLA{ID: "berlin", Provider: "it", Customers: []string{"*"},
		Match:      Match{Labels: map[string][]string{"site": {"berlin"}, "floor": nil}},
		Resolution: Target{ByPriority: map[string]time.Duration{"P1": time.Hour, "P2": 2 * time.Hour}}})
	tests := map[string]struct {
		attrs Attributes
		want  string
	}{
		"a category typo": {Attributes{Provider: "it", Customer: "sales", Priority: "P1", Category: "incidnet"}, `[
{"sla":"desk","field":"category","value":"incidnet","expected":["incident"],"reason":"SLA \"desk\" takes category \"incident\"; the request has \"incidnet\""},
{"sla":"minor","field":"priority","value":"P1","expected":["P3"],"reason":"SLA \"minor\" takes priority \"P3\"; the request has \"P1\""},
{"sla":"outage","field":"category","value":"incidnet","expected":["outage"],"reason":"SLA \"outage\" takes category \"outage\"; the request has \"incidnet\""},
{"sla":"berlin","field":"labels.floor","value":"","expected":[],"reason":"SLA \"berlin\" needs label \"floor\" (any value); the request has none"}]`},
		"another customer, no priority": {Attributes{Provider: "it", Customer: "hr", Category: "incident", Labels: map[string]string{"site": "paris", "floor": "3"}}, `[
{"sla":"desk","field":"customer","value":"hr","expected":["sales"],"reason":"SLA \"desk\" takes customer \"sales\"; the request has \"hr\""},
{"sla":"minor","field":"customer","value":"hr","expected":["sales"],"reason":"SLA \"minor\" takes customer \"sales\"; the request has \"hr\""},
{"sla":"outage","field":"category","value":"incident","expected":["outage"],"reason":"SLA \"outage\" takes category \"outage\"; the request has \"incident\""},
{"sla":"berlin","field":"labels.site","value":"paris","expected":["berlin"],"reason":"SLA \"berlin\" takes labels.site \"berlin\"; the request has \"paris\""}]`},
		"per-priority targets without the request's priority": {Attributes{Provider: "it", Customer: "hr", Category: "outage", Labels: map[string]string{"site": "berlin", "floor": "3"}}, `[
{"sla":"desk","field":"customer","value":"hr","expected":["sales"],"reason":"SLA \"desk\" takes customer \"sales\"; the request has \"hr\""},
{"sla":"minor","field":"customer","value":"hr","expected":["sales"],"reason":"SLA \"minor\" takes customer \"sales\"; the request has \"hr\""},
{"sla":"berlin","target":"resolution","field":"priority","value":"","expected":["P1","P2"],"reason":"SLA \"berlin\" sets a resolution target for priority P1, P2 and no default; the request has none, so it gets no resolution clock"}]`},
		"a provider no SLA names": {Attributes{Provider: "facilities", Customer: "sales"}, `[
{"sla":"","field":"provider","value":"facilities","expected":["it"],"reason":"no SLA names provider \"facilities\", so none of its requests gets a clock"}]`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			checkMismatches(t, "Explain", p.Explain(tc.attrs), tc.want)
		})
	}
}

// checkMismatches compares what an explanation (named what) found with
// want, the JSON of the mismatches expected, as JSON.
func checkMismatches(t *testing.T, what string, got []Mismatch, want string) {
	t.Helper()
	gotJSON, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	var w []Mismatch
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	wantJSON, _ := json.Marshal(w)
	if string(gotJSON) != string(wantJSON) {
		t.Errorf("%s =\n%s\nwant\n%s", what, gotJSON, wantJSON)
	}
}

// TestExplainAgreesWithMatching keeps matching and its explanation one
// rule: an SLA is explained away exactly when Matching leaves it out or it
// has no target for the request's priority, over every combination of
// attribute values the fixture's filters distinguish.
func TestExplainAgreesWithMatching(t *testing.T) {
	p := fixturePolicy(t)
	p.SLAs = append(p.SLAs, &SLA{ID: "berlin", Provider: "it", Customers: []string{"*"},
		Match:      Match{Labels: map[string][]string{"site": {"berlin"}, "floor": nil}},
		Resolution: Target{ByPriority: map[string]time.Duration{"P1": time.Hour}}})
	labelSets := []map[string]string{nil, {"site": "berlin"}, {"site": "berlin", "floor": "1"}, {"site": "paris", "floor": "1"}}
	for _, cu := range []string{"sales", "hr"} {
		for _, pr := range []string{"", "P1", "P2", "P3", "P9"} {
			for _, cat := range []string{"", "incident", "outage", "incidnet"} {
				for _, l := range labelSets {
					a := Attributes{Provider: "it", Customer: cu, Priority: pr, Category: cat, Labels: l}
					explained := map[string]bool{}
					for _, m := range p.Explain(a) {
						if m.Target == "" {
							explained[m.SLA] = true
						}
					}
					matched := map[string]bool{}
					for _, s := range p.Matching(a) {
						matched[s.ID] = true
					}
					for _, s := range p.SLAs {
						if matched[s.ID] == explained[s.ID] {
							t.Errorf("%+v: SLA %s matched %v, explained away %v", a, s.ID, matched[s.ID], explained[s.ID])
						}
					}
				}
			}
		}
	}
}

// olaFixture is fixturePolicy with an OLA of Network over IT's P1 and
// P2 incidents (per-priority resolution, no default) and Sales' promise
// to answer IT within a day.
func olaFixture(t *testing.T) *Policy {
	p := fixturePolicy(t)
	p.CustomerReasons = []string{"waiting_for_customer"}
	p.SLAs = append(p.SLAs,
		&SLA{ID: "net-ola", Provider: "network", Customers: []string{"it"}, Measures: MeasureHolding,
			Match:      Match{Category: []string{"incident"}},
			Response:   Target{Default: 15 * time.Minute},
			Resolution: Target{ByPriority: map[string]time.Duration{"P1": 2 * time.Hour, "P2": 8 * time.Hour}}},
		&SLA{ID: "hr-ola", Provider: "network", Customers: []string{"hr"}, Measures: MeasureHolding,
			Resolution: Target{Default: time.Hour}},
		&SLA{ID: "sales-answers", Provider: "sales", Customers: []string{"it"}, Measures: MeasureWaiting,
			Match: Match{Labels: map[string][]string{"site": {"berlin"}}}, Resolution: Target{Default: 24 * time.Hour}})
	return p
}

// TestExplainPartiesSaysWhyAHolderOrACustomerGotNoClock keeps the
// explanation of the holding and waiting SLAs (issue 12's OLAs and
// customers' promises) on a request: each SLA whose party held the request
// and gave it no clock says why, in the request's terms (an OLA's
// customers are the providers of the requests it covers); a party that
// never held the request is no mismatch.
func TestExplainPartiesSaysWhyAHolderOrACustomerGotNoClock(t *testing.T) {
	p := olaFixture(t)
	network := []Holding{{Department: "it"}, {Department: "network"}}
	waited := []Holding{{Department: "it"}, {Department: "sales", Waiting: true}}
	tests := map[string]struct {
		attrs Attributes
		hs    []Holding
		want  string
	}{
		"handed to Network, a category its OLA does not take": {Attributes{Provider: "it", Customer: "sales", Priority: "P1", Category: "change"}, network, `[
{"sla":"net-ola","field":"category","value":"change","expected":["incident"],"reason":"SLA \"net-ola\" takes category \"incident\"; the request has \"change\"","measures":"holding"},
{"sla":"hr-ola","field":"provider","value":"it","expected":["hr"],"reason":"SLA \"hr-ola\" measures how long \"network\" holds requests of provider \"hr\"; the request's provider is \"it\"","measures":"holding"}]`},
		"handed to Network, a priority with no OLA target": {Attributes{Provider: "it", Customer: "sales", Priority: "P4", Category: "incident"}, network, `[
{"sla":"net-ola","target":"resolution","field":"priority","value":"P4","expected":["P1","P2"],"reason":"SLA \"net-ola\" sets a resolution target for priority P1, P2 and no default; the request has \"P4\", so it gets no resolution clock","measures":"holding"},
{"sla":"hr-ola","field":"provider","value":"it","expected":["hr"],"reason":"SLA \"hr-ola\" measures how long \"network\" holds requests of provider \"hr\"; the request's provider is \"it\"","measures":"holding"}]`},
		"waited on Sales without the label its promise takes": {Attributes{Provider: "it", Customer: "sales", Priority: "P1", Category: "incident"}, waited, `[
{"sla":"sales-answers","field":"labels.site","value":"","expected":["berlin"],"reason":"SLA \"sales-answers\" needs label \"site\" (\"berlin\"); the request has none","measures":"waiting"}]`},
		"waited on Sales, then moved to another customer": {Attributes{Provider: "it", Customer: "hr", Priority: "P1", Labels: map[string]string{"site": "berlin"}}, waited, `[
{"sla":"sales-answers","field":"customer","value":"hr","expected":["sales"],"reason":"SLA \"sales-answers\" measures how long requests wait on \"sales\", its customer; the request's customer is now \"hr\"","measures":"waiting"}]`},
		"never handed on": {Attributes{Provider: "it", Customer: "sales", Priority: "P9", Category: "change"}, []Holding{{Department: "it"}}, `null`},
		"covered": {Attributes{Provider: "it", Customer: "sales", Priority: "P2", Category: "incident", Labels: map[string]string{"site": "berlin"}},
			[]Holding{{Department: "it"}, {Department: "sales", Waiting: true}, {Department: "it"}}, `null`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			checkMismatches(t, "ExplainParties", p.ExplainParties(tc.attrs, tc.hs), tc.want)
		})
	}
}

// TestExplainPartiesAgreesWithTheClocks folds requests handed to Network
// and waiting on Sales over the attribute values the fixture's filters
// tell apart, and finds every holding or waiting SLA explained away
// exactly when the request has no clock of it (of that target, for a
// target explained).
func TestExplainPartiesAgreesWithTheClocks(t *testing.T) {
	p := olaFixture(t)
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for _, pv := range []string{"it", "hr"} {
		for _, pr := range []string{"", "P1", "P2", "P4"} {
			for _, cat := range []string{"incident", "change"} {
				for _, site := range []string{"", "berlin", "paris"} {
					opened := Event{ID: "o", Type: Opened, At: t0, Provider: pv, Customer: "sales", Priority: pr, Category: cat}
					if site != "" {
						opened.Labels = map[string]string{"site": site}
					}
					evs := []Event{opened,
						{ID: "a", Type: Assigned, At: t0.Add(time.Minute), Department: "network"},
						{ID: "b", Type: Assigned, At: t0.Add(2 * time.Minute), Department: pv},
						{ID: "p", Type: Paused, At: t0.Add(3 * time.Minute), Reason: "waiting_for_customer"}}
					r, hs := Holdings(p, "R", evs)
					for _, s := range p.SLAs {
						if !s.Party() {
							continue
						}
						for _, k := range TargetKinds {
							explained := slices.ContainsFunc(p.ExplainParties(r.Attributes, hs), func(m Mismatch) bool {
								return m.SLA == s.ID && (m.Target == "" || m.Target == k)
							})
							if !s.Target(k).Set() {
								continue
							}
							if clocked := r.Clock(s.ID, k) != nil; clocked == explained {
								t.Errorf("%+v: %s %s has a clock %v, explained away %v", r.Attributes, s.ID, k, clocked, explained)
							}
						}
					}
				}
			}
		}
	}
}
