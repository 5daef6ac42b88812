package sla

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Mismatch says why a request got no clock of one SLA of its provider: the
// attribute the SLA refused, the request's value and what the SLA expects.
// It is what GET /api/v1/requests/…?explain=1 lists under "unmatched", so
// that a request without clocks is never left without a reason.
type Mismatch struct {
	// SLA is the SLA that gave no clock; empty when no SLA names the
	// provider at all.
	SLA string `json:"sla"`
	// Target is set when the request falls under the SLA but the SLA has
	// no target of this kind for its priority; empty when the request does
	// not fall under the SLA at all.
	Target TargetKind `json:"target,omitempty"`
	// Field is the attribute refused: provider, customer, priority,
	// category or labels.KEY.
	Field string `json:"field"`
	// Value is the request's value of Field ("" when it has none).
	Value string `json:"value"`
	// Expected lists the values the SLA takes (empty for a label that may
	// hold any value but must be present).
	Expected []string `json:"expected"`
	// Reason is the same as a sentence.
	Reason string `json:"reason"`
	// Measures is set for a holding or waiting SLA ([Policy.ExplainParties]):
	// whose time it would have measured.
	Measures Measure `json:"measures,omitempty"`
}

// refusal is the first attribute an SLA's filters refuse: the one test
// both Matches and Explain run, so that matching and its explanation cannot
// disagree. field is "" when the SLA takes the request.
type refusal struct {
	field string // customer, priority, category, labels.KEY
	label string // the label key, for labels.KEY
	// own is set when a holding or waiting SLA refuses the customer because
	// it is the SLA's own party ([SLA.Serves]): the request is the party's
	// own, which its customers cannot change, so it is explained apart.
	own bool
}

// refuse runs the SLA's filters on a request's attributes (not the
// provider: the policy only tries the SLAs of the request's provider), or
// for a holding or waiting SLA on [SLA.PartyAttributes]. It allocates
// nothing when the SLA takes the request, since folding a request calls it
// for every SLA of the provider.
func (s *SLA) refuse(a Attributes) refusal {
	if !s.Serves(a.Customer) {
		return refusal{field: "customer", own: s.Party() && a.Customer == s.Provider}
	}
	if len(s.Match.Priority) > 0 && !slices.Contains(s.Match.Priority, a.Priority) {
		return refusal{field: "priority"}
	}
	if len(s.Match.Category) > 0 && !slices.Contains(s.Match.Category, a.Category) {
		return refusal{field: "category"}
	}
	// Of several labels refused, the first by name, so that the
	// explanation does not change with map order.
	var r refusal
	for k, vs := range s.Match.Labels {
		v, ok := a.Labels[k]
		if (!ok || (len(vs) > 0 && !slices.Contains(vs, v))) && (r.field == "" || k < r.label) {
			r = refusal{field: "labels", label: k}
		}
	}
	if r.field != "" {
		r.field += "." + r.label
	}
	return r
}

// Explain returns why a request with these attributes has no clock of
// each SLA of its provider (and of each target an SLA it falls under has
// no duration for at its priority), in configuration order; empty when
// every SLA of the provider gives it every target it sets.
func (p *Policy) Explain(a Attributes) []Mismatch {
	slas := p.indexed().byProvider[a.Provider]
	if len(slas) == 0 {
		return []Mismatch{{Field: "provider", Value: a.Provider, Expected: p.providers(), Reason: p.noSLAOf(a.Provider)}}
	}
	var out []Mismatch
	for _, s := range slas {
		if r := s.refuse(a); r.field != "" {
			out = append(out, s.explainRefusal(r, a))
			continue
		}
		for _, k := range TargetKinds {
			t := s.Target(k)
			if _, ok := t.For(a.Priority); t.Set() && !ok {
				out = append(out, s.explainNoTarget(k, t, a.Priority))
			}
		}
	}
	return out
}

// ExplainParties says why each holding or waiting SLA whose party held the
// request (hs, as [Holdings] gives them) has no clock of it: the SLA does
// not cover requests of the request's provider, its filters refuse the
// request, or it has no target for the request's priority. An OLA of
// Network is explained once Network was handed the request, and a
// customer's promise once the request waited on that customer; a party
// that never held the request is no mismatch (its SLA counts only the
// requests it was handed). The test is partyMatching's, SLA.Matches on
// [SLA.PartyAttributes], so the explanation cannot disagree with the
// clocks.
func (p *Policy) ExplainParties(a Attributes, hs []Holding) []Mismatch {
	var out []Mismatch
	for _, s := range p.SLAs {
		if !s.Party() || !heldAs(hs, s) {
			continue
		}
		if m, ok := s.explainParty(a); ok {
			out = append(out, m)
			continue
		}
		for _, k := range TargetKinds {
			t := s.Target(k)
			if _, ok := t.For(a.Priority); t.Set() && !ok {
				m := s.explainNoTarget(k, t, a.Priority)
				m.Measures = s.Measures
				out = append(out, m)
			}
		}
	}
	return out
}

// heldAs reports whether the party a holding or waiting SLA measures held
// the request at some time, the way the SLA measures it.
func heldAs(hs []Holding, s *SLA) bool {
	waiting := s.Measures == MeasureWaiting
	return slices.ContainsFunc(hs, func(h Holding) bool { return h.Department == s.Provider && h.Waiting == waiting })
}

// explainParty is why a holding or waiting SLA does not cover a request,
// and false when it does.
func (s *SLA) explainParty(a Attributes) (Mismatch, bool) {
	v := s.PartyAttributes(a)
	what := fmt.Sprintf("how long %q holds requests", s.Provider)
	if s.Measures == MeasureWaiting {
		what = fmt.Sprintf("how long requests wait on %q", s.Provider)
		if v.Provider != s.Provider {
			return Mismatch{SLA: s.ID, Measures: s.Measures, Field: "customer", Value: a.Customer, Expected: []string{s.Provider},
				Reason: fmt.Sprintf("SLA %q measures %s, its customer; the request's customer is now %s", s.ID, what, valueOrNone(a.Customer))}, true
		}
	}
	r := s.refuse(v)
	switch {
	case r.field == "":
		return Mismatch{}, false
	case r.own:
		reason := fmt.Sprintf("SLA %q measures how long %q holds the requests other departments hand it; the request's provider is %q itself, so no one handed it over", s.ID, s.Provider, s.Provider)
		if s.Measures == MeasureWaiting {
			reason = fmt.Sprintf("SLA %q measures how long other departments' requests wait on %q; the request's provider is %q itself, so it waits on no other department", s.ID, s.Provider, s.Provider)
		}
		return Mismatch{SLA: s.ID, Measures: s.Measures, Field: "provider", Value: a.Provider, Expected: others(s.Customers, s.Provider), Reason: reason}, true
	case r.field == "customer": // the customers of a party's SLA are the providers of the requests it covers
		return Mismatch{SLA: s.ID, Measures: s.Measures, Field: "provider", Value: a.Provider, Expected: s.Customers,
			Reason: fmt.Sprintf("SLA %q measures %s of provider %s; the request's provider is %s", s.ID, what, anyOf(s.Customers), valueOrNone(a.Provider))}, true
	}
	m := s.explainRefusal(r, v)
	m.Measures = s.Measures
	return m, true
}

// noSLAOf says why no SLA measures the requests of a provider that no
// SLA of a request's life names. Its holding and waiting SLAs, if any, are
// named too: they carry its name as provider, yet never measure its own
// requests ([SLA.Serves]), and saying "no SLA names it" beside them would
// contradict the configuration.
func (p *Policy) noSLAOf(provider string) string {
	var party []string
	for _, s := range p.SLAs {
		if s.Party() && s.Provider == provider {
			party = append(party, s.ID)
		}
	}
	switch len(party) {
	case 0:
		return fmt.Sprintf("no SLA names provider %q, so none of its requests gets a clock", provider)
	case 1:
		return fmt.Sprintf("no SLA measures the requests provider %q gives: SLA %q measures only its time on other departments' requests", provider, party[0])
	}
	return fmt.Sprintf("no SLA measures the requests provider %q gives: SLAs %s measure only its time on other departments' requests", provider, strings.TrimPrefix(anyOf(party), "one of "))
}

// providers lists the providers some SLA names, sorted.
func (p *Policy) providers() []string {
	return slices.Sorted(maps.Keys(p.indexed().byProvider))
}

// others is vs without v, never nil.
func others(vs []string, v string) []string {
	out := []string{}
	for _, x := range vs {
		if x != v {
			out = append(out, x)
		}
	}
	return out
}

// explainRefusal turns a refusal into a Mismatch with its sentence.
func (s *SLA) explainRefusal(r refusal, a Attributes) Mismatch {
	m := Mismatch{SLA: s.ID, Field: r.field}
	switch r.field {
	case "customer":
		m.Value, m.Expected = a.Customer, s.Customers
	case "priority":
		m.Value, m.Expected = a.Priority, s.Match.Priority
	case "category":
		m.Value, m.Expected = a.Category, s.Match.Category
	default:
		m.Value, m.Expected = a.Labels[r.label], s.Match.Labels[r.label]
		if _, ok := a.Labels[r.label]; !ok {
			m.Reason = fmt.Sprintf("SLA %q needs label %q (%s); the request has none", s.ID, r.label, anyOf(m.Expected))
		}
	}
	if m.Expected == nil {
		m.Expected = []string{}
	}
	if m.Reason == "" {
		m.Reason = fmt.Sprintf("SLA %q takes %s %s; the request has %s", s.ID, r.field, anyOf(m.Expected), valueOrNone(m.Value))
	}
	return m
}

// explainNoTarget is the Mismatch of a target with no duration for the
// request's priority.
func (s *SLA) explainNoTarget(k TargetKind, t Target, priority string) Mismatch {
	listed := slices.Sorted(maps.Keys(t.ByPriority))
	return Mismatch{SLA: s.ID, Target: k, Field: "priority", Value: priority, Expected: listed,
		Reason: fmt.Sprintf("SLA %q sets a %s target for priority %s and no default; the request has %s, so it gets no %s clock",
			s.ID, k, strings.Join(listed, ", "), valueOrNone(priority), k)}
}

// anyOf writes the values a filter takes: "one of P1, P2", "P1", or "any
// value" for an empty list.
func anyOf(vs []string) string {
	switch len(vs) {
	case 0:
		return "any value"
	case 1:
		return fmt.Sprintf("%q", vs[0])
	}
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = fmt.Sprintf("%q", v)
	}
	return "one of " + strings.Join(q, ", ")
}

// valueOrNone quotes a request's value, or says it has none.
func valueOrNone(v string) string {
	if v == "" {
		return "none"
	}
	return fmt.Sprintf("%q", v)
}
