package sla

import (
	"encoding/json"
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
			got, err := json.Marshal(p.Explain(tc.attrs))
			if err != nil {
				t.Fatal(err)
			}
			var want []Mismatch
			if err := json.Unmarshal([]byte(tc.want), &want); err != nil {
				t.Fatal(err)
			}
			wantJSON, _ := json.Marshal(want)
			if string(got) != string(wantJSON) {
				t.Errorf("Explain =\n%s\nwant\n%s", got, wantJSON)
			}
		})
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
