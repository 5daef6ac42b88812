package store

import (
	"bytes"
	"testing"
	"time"

	"github.com/slad-project/slad/sla"
)

// A request at risk under several SLAs has one attention value, whatever
// order its counters come in: a tick compares the value it computes with
// the stored one and writes nothing when they are equal (putChanged).
func TestAnAttentionValueDoesNotDependOnTheOrderOfItsCounters(t *testing.T) {
	due := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	breached := due.Add(-time.Hour)
	c := contribution{
		Customer: "sales", Alert: true, Open: true,
		Deadline: deadlineKey(due, Ref{Provider: "it", ID: "R1"}),
		Breaches: [][]byte{breachKey(breached, Ref{Provider: "it", ID: "R1"}, "b-sla/resolution")},
		Counters: sharesOf(map[string]int64{
			counterKey(ctrAtRisk, "c-sla"):                           1,
			counterKey(ctrAtRisk, "a-sla"):                           1,
			counterKey(ctrAtRisk, "d-sla"):                           1,
			counterKey(ctrAtRisk, "e-sla"):                           0, // no longer at risk
			counterKey(ctrAtRiskByCustomer, "a-sla", "sales"):        1,
			counterKey(ctrOpenBreached, "b-sla", "resolution"):       1,
			counterKey(ctrOpenBreached, "f-sla", "response"):         1, // not settled yet: breached at its due time
			counterKey(ctrOpenBreachedByCustomer, "b-sla", "x", "y"): 1,
		}),
	}
	want := attentionValue(c)
	for range 50 {
		if got := attentionValue(c); !bytes.Equal(got, want) {
			t.Fatalf("one contribution gave the attention values\n%q\n%q", want, got)
		}
	}
	e, ok := parseAttention(Ref{Provider: "it", ID: "R1"}, want)
	if !ok || e.Customer != "sales" || !e.Due.Equal(due) {
		t.Fatalf("parsed %+v, %v", e, ok)
	}
	if len(e.AtRisk) != 3 || e.AtRisk[0] != "a-sla" || e.AtRisk[1] != "c-sla" || e.AtRisk[2] != "d-sla" {
		t.Errorf("at risk under %v; want a-sla, c-sla, d-sla", e.AtRisk)
	}
	if len(e.Breached) != 2 || e.Breached[0] != (openBreach{"b-sla/resolution", breached}) || e.Breached[1] != (openBreach{"f-sla/response", due}) {
		t.Errorf("breached %+v; want b-sla/resolution at %s and f-sla/response at %s", e.Breached, breached, due)
	}
}

// The department that waits for a request under a holding or waiting SLA
// is the request's provider (sla.SLA.PartiesOf), as the per-customer
// counters count it: IT waits for its own request R1 under Network's OLA
// and under Sales' promise, Sales for it under IT's SLA. A department's
// query keeps only the clocks of the SLAs it is a party of.
func TestAttentionCountsARequestUnderTheDepartmentThatWaitsUnderEachSLA(t *testing.T) {
	p := &sla.Policy{SLAs: []*sla.SLA{
		{ID: "desk", Provider: "it", Customers: []string{"sales"}},
		{ID: "ola", Provider: "network", Customers: []string{"it"}, Measures: sla.MeasureHolding},
		{ID: "answers", Provider: "sales", Customers: []string{"it"}, Measures: sla.MeasureWaiting},
	}}
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	r1 := AttentionEntry{Ref: Ref{Provider: "it", ID: "R1"}, Customer: "sales",
		Breached: []openBreach{{"answers/resolution", at}, {"ola/resolution", at}, {"ola/response", at}}, AtRisk: []string{"desk"}}
	r2 := AttentionEntry{Ref: Ref{Provider: "it", ID: "R2"}, Customer: "sales", Breached: []openBreach{{"ola/resolution", at}}}
	counts := func(q AttentionQuery) Attention {
		a := Attention{ByCustomer: map[string]AttentionCounts{}, ByProvider: map[string]AttentionCounts{},
			Breached: map[string]int{}, BreachedByPair: map[[2]string]int{}}
		for _, e := range []AttentionEntry{r1, r2} {
			if e, ok := q.keep(e); ok {
				a.count(e, q.Policy)
			}
		}
		return a
	}
	all := counts(AttentionQuery{Policy: p})
	if all.Counts != (AttentionCounts{Breached: 2}) {
		t.Errorf("counts %+v, want 2 breached", all.Counts)
	}
	if all.ByCustomer["it"] != (AttentionCounts{Breached: 2}) || all.ByCustomer["sales"] != (AttentionCounts{AtRisk: 1}) || len(all.ByCustomer) != 2 {
		t.Errorf("by customer %+v, want it: 2 breached (R1, R2), sales: 1 at risk (R1 under desk)", all.ByCustomer)
	}
	if all.ByProvider["network"] != (AttentionCounts{Breached: 2}) || all.ByProvider["it"] != (AttentionCounts{AtRisk: 1}) || all.ByProvider["sales"] != (AttentionCounts{Breached: 1}) {
		t.Errorf("by provider %+v, want network: 2 breached, it: 1 at risk, sales: 1 breached", all.ByProvider)
	}
	// R1's two ola clocks and R2's: two requests, not three clocks.
	if all.Breached["ola"] != 2 || all.Breached["answers"] != 1 || all.Breached["desk"] != 0 || all.BreachedByPair[[2]string{"ola", "it"}] != 2 {
		t.Errorf("breached per SLA %v, per pair %v; want ola 2 (for it), answers 1", all.Breached, all.BreachedByPair)
	}
	for dept, want := range map[string]AttentionCounts{"sales": {Breached: 1}, "network": {Breached: 2}, "it": {Breached: 2}} {
		if got := counts(AttentionQuery{Policy: p, Department: dept}).Counts; got != want {
			t.Errorf("%s's view counts %+v, want %+v", dept, got, want)
		}
	}
	if e, ok := (AttentionQuery{Policy: p, Department: "sales"}).keep(r1); !ok || len(e.Breached) != 1 || e.Breached[0].Clock != "answers/resolution" || len(e.AtRisk) != 1 {
		t.Errorf("Sales keeps of R1 %+v, want its promise's clock and desk", e)
	}
	if _, ok := (AttentionQuery{Policy: p, Department: "sales"}).keep(r2); ok {
		t.Error("Sales keeps R2, breached under Network's OLA only")
	}
}
