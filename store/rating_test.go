package store

import (
	"context"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// ratedHandoff stores the handoff story (held by Network, waiting on
// Sales) resolved with a score of 4, an event at a time.
func ratedHandoff(t *testing.T, clock *testutil.Clock) *Store {
	t.Helper()
	s, err := Open(Options{Dir: t.TempDir(), Policy: slatest.HandoffPolicy(t), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	story := handoffStory()
	story[len(story)-1].CSAT = 4
	for _, e := range story {
		clock.Set(e.At)
		if _, err := s.Append(context.Background(), []sla.Event{e}); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// csatOf is the CSAT sum and count of an SLA's days around the handoff
// story, or of its customer's requests when customer is not "".
func csatOf(t *testing.T, s *Store, slaID, customer string) [2]int64 {
	t.Helper()
	day := sla.DateOf(slatest.T0)
	read := func() (Window, error) { return s.WindowFigures(slaID, day, day.AddDays(3)) }
	if customer != "" {
		read = func() (Window, error) { return s.CustomerWindowFigures(slaID, customer, day, day.AddDays(3)) }
	}
	w, err := read()
	if err != nil {
		t.Fatal(err)
	}
	return [2]int64{w.CSATSum, w.CSATCount}
}

// wantRatedByCustomerOnly checks that the score, sum and count, is the
// desk's SLA's (per SLA and for its customer, Sales), and that neither
// Network's OLA nor Sales' promise to IT has a rating, per SLA or under
// the customer IT they count the request under.
func wantRatedByCustomerOnly(t *testing.T, s *Store, want [2]int64) {
	t.Helper()
	for _, c := range []struct{ sla, customer string }{{"it-sales", ""}, {"it-sales", "sales"}} {
		if got := csatOf(t, s, c.sla, c.customer); got != want {
			t.Errorf("%s (customer %q): CSAT sum, count = %v, want %v", c.sla, c.customer, got, want)
		}
	}
	for _, c := range []struct{ sla, customer string }{{"network-ola", ""}, {"network-ola", "it"}, {"sales-answers", ""}, {"sales-answers", "it"}} {
		if got := csatOf(t, s, c.sla, c.customer); got != [2]int64{} {
			t.Errorf("%s (customer %q): CSAT sum, count = %v, want none: the customer rated the provider, not them", c.sla, c.customer, got)
		}
	}
}

// TestARatingCountsOnlyUnderTheProvidersSLA: Sales rates IT's resolution
// of a request Network held and that waited on Sales; the rating is IT's,
// not Network's (its OLA) nor Sales' (its promise to IT).
func TestARatingCountsOnlyUnderTheProvidersSLA(t *testing.T) {
	s := ratedHandoff(t, testutil.NewClock(slatest.T0))
	wantRatedByCustomerOnly(t, s, [2]int64{4, 1})
}

// TestARequestRatedUnderItsOLABeforeTheFixIsCorrectedByItsNextFold: a
// record stored when a rating counted under every SLA of the request
// keeps those shares in its contribution; the next fold of the request
// takes them back (the difference of the two contributions), per SLA and
// per customer, so a later event corrects the figures.
func TestARequestRatedUnderItsOLABeforeTheFixIsCorrectedByItsNextFold(t *testing.T) {
	clock := testutil.NewClock(slatest.T0)
	s := ratedHandoff(t, clock)
	ref := Ref{Provider: "it", ID: "IT-4711"}
	// Make the record what the rule before gave: the score under the OLA
	// and Sales' promise too, on the resolution day, in the record and
	// the aggregates alike.
	if err := s.db.Update(func(tx *bolt.Tx) error {
		rec, err := loadRecord(tx, ref)
		if err != nil {
			return err
		}
		old := rec.Contrib
		before := old
		before.Days = append([]dayShare(nil), old.Days...)
		resolved := sla.DateOf(rec.Request.Resolved.In(time.UTC)).Days()
		for _, id := range []string{"network-ola", "sales-answers"} {
			before.Days = append(before.Days, dayShare{SLA: id, Day: resolved, Aggr: DayAggr{CSATSum: 4, CSATCount: 1}})
		}
		if err := applyDays(tx, old, before); err != nil {
			return err
		}
		rec.Contrib = before
		return tx.Bucket(bucketRequests).Put(requestKey(ref), encodeRecord(ref, rec))
	}); err != nil {
		t.Fatal(err)
	}
	if got := csatOf(t, s, "network-ola", "it"); got != [2]int64{4, 1} {
		t.Fatalf("the record as stored before: OLA's CSAT under IT = %v, want the score", got)
	}
	rated := slatest.Event("8", "IT-4711", sla.Rated, clock.Now().Add(time.Hour), func(e *sla.Event) { e.CSAT = 2 })
	clock.Set(rated.At)
	if _, err := s.Append(context.Background(), []sla.Event{rated}); err != nil {
		t.Fatal(err)
	}
	wantRatedByCustomerOnly(t, s, [2]int64{2, 1})
}
