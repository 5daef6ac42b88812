package store

import (
	"bytes"
	"testing"
	"time"
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
