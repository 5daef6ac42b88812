package store

import (
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla/slatest"
)

// atRiskAndBreached is IT's request R1 for Sales, at risk under three
// SLAs and breached under two.
func atRiskAndBreached() contribution {
	due := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	return contribution{
		Customer: "sales", Alert: true, Open: true, servedBy: "it",
		Deadline: deadlineKey(due, Ref{Provider: "it", ID: "R1"}),
		Breaches: [][]byte{breachKey(due.Add(-time.Hour), Ref{Provider: "it", ID: "R1"}, "b-sla/resolution")},
		Counters: sharesOf(map[string]int64{
			counterKey(ctrAtRisk, "c-sla"):                           1,
			counterKey(ctrAtRisk, "a-sla"):                           1,
			counterKey(ctrAtRisk, "d-sla"):                           1,
			counterKey(ctrAtRisk, "e-sla"):                           0, // no longer at risk
			counterKey(ctrAtRiskByCustomer, "a-sla", "sales"):        1,
			counterKey(ctrOpenBreached, "b-sla", "resolution"):       1,
			counterKey(ctrOpenBreached, "f-sla", "response"):         1, // not settled yet: breached at its due time
			counterKey(ctrOpenBreachedByCustomer, "b-sla", "x", "y"): 1,
			counterKey(ctrOpen, "a-sla", "it", "sales"):              1,
			counterKey(ctrOpen, "b-sla", "network", "it"):            1, // a holding SLA: Network serves IT
		}),
	}
}

// A request is ranked under each SLA it needs attention under: breached
// by its earliest open breach there, at risk by its next stage due; its
// parties are those of its open counter, else the request's provider and
// customer.
func TestARequestIsRankedUnderEachSLAItNeedsAttentionUnder(t *testing.T) {
	c := atRiskAndBreached()
	due := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC).Unix()
	want := []attentionSLA{
		{SLA: "a-sla", Provider: "it", Customer: "sales", AtRisk: true, At: due},
		{SLA: "b-sla", Provider: "network", Customer: "it", At: due - 3600},
		{SLA: "c-sla", Provider: "it", Customer: "sales", AtRisk: true, At: due},
		{SLA: "d-sla", Provider: "it", Customer: "sales", AtRisk: true, At: due},
		{SLA: "f-sla", Provider: "it", Customer: "sales", At: due},
	}
	if got := attentionSLAs(&c, nil); !sameRanks(got, want) {
		t.Errorf("ranked %+v\nwant %+v", got, want)
	}
	c.Alert = false
	if got := attentionSLAs(&c, nil); len(got) != 0 {
		t.Errorf("a request needing no attention ranked %+v", got)
	}
}

// indexAttentionOf ranks and counts contributions in the store as a fold
// writing them would, for requests with no record.
func indexAttentionOf(t *testing.T, s *Store, cs map[Ref]contribution) {
	t.Helper()
	if err := s.db.Update(func(tx *bolt.Tx) error {
		w, counts := newTxWriter(tx), countDeltas{}
		for ref, c := range cs {
			ch := (*writePrep)(nil).attentionChange(&contribution{}, &c)
			if err := indexAttentionRanks(w, requestKey(ref), ch); err != nil {
				return err
			}
			ch.addCounts(counts)
		}
		_, err := applyCounters(tx.Bucket(bucketAttentionCounts), counts.all())
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// The department that waits for a request under a holding or waiting SLA
// is the request's provider (sla.SLA.PartiesOf), as the per-customer
// counters count it: IT waits for its own request R1 under Network's OLA
// and under Sales' promise, Sales for it under IT's SLA. A department's
// query keeps only the clocks of the SLAs it is a party of.
func TestAttentionCountsARequestUnderTheDepartmentThatWaitsUnderEachSLA(t *testing.T) {
	s := openTest(t, t.TempDir(), testutil.NewClock(slatest.T0))
	at := deadlineKey(slatest.T0, Ref{Provider: "it", ID: "R1"})
	r1 := contribution{Customer: "sales", servedBy: "it", Alert: true, Open: true, Deadline: at, Counters: sharesOf(map[string]int64{
		counterKey(ctrOpen, "desk", "it", "sales"):           1,
		counterKey(ctrOpen, "ola", "network", "it"):          1,
		counterKey(ctrOpen, "answers", "sales", "it"):        1,
		counterKey(ctrAtRisk, "desk"):                        1,
		counterKey(ctrOpenBreached, "answers", "resolution"): 1,
		counterKey(ctrOpenBreached, "ola", "resolution"):     1,
		counterKey(ctrOpenBreached, "ola", "response"):       1,
	})}
	r2 := contribution{Customer: "sales", servedBy: "it", Alert: true, Open: true, Deadline: at, Counters: sharesOf(map[string]int64{
		counterKey(ctrOpen, "ola", "network", "it"):      1,
		counterKey(ctrOpenBreached, "ola", "resolution"): 1,
	})}
	indexAttentionOf(t, s, map[Ref]contribution{{Provider: "it", ID: "R1"}: r1, {Provider: "it", ID: "R2"}: r2})
	read := func(dept string) Attention {
		f, err := s.ReadFigures(FigureQuery{Attention: &AttentionQuery{Department: dept}})
		if err != nil {
			t.Fatal(err)
		}
		return f.Attention
	}
	all := read("")
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
	if all.BySLA["desk"] != 1 || all.BySLA["ola"] != 2 || all.BySLA["answers"] != 1 {
		t.Errorf("needing attention per SLA %v, want desk 1, ola 2, answers 1", all.BySLA)
	}
	for dept, want := range map[string]AttentionCounts{"sales": {Breached: 1}, "network": {Breached: 2}, "it": {Breached: 2}} {
		if got := read(dept).Counts; got != want {
			t.Errorf("%s's view counts %+v, want %+v", dept, got, want)
		}
	}
	// Sales keeps of R1 its promise's clock and desk, and nothing of R2.
	if sales := read("sales"); sales.BySLA["answers"] != 1 || sales.BySLA["desk"] != 1 || sales.BySLA["ola"] != 0 ||
		sales.ByCustomer["sales"] != (AttentionCounts{AtRisk: 1}) || sales.ByProvider["sales"] != (AttentionCounts{Breached: 1}) || len(sales.ByCustomer) != 1 {
		t.Errorf("Sales' view: per SLA %v, waits for %v, owes %v; want answers 1, desk 1, and its own counts only", sales.BySLA, sales.ByCustomer, sales.ByProvider)
	}
}
