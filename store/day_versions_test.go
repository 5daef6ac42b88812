package store

import (
	"context"
	"reflect"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// A reader that keeps the sums of an earlier read (the metrics'
// collector) asks for an SLA's window sums only if they changed since: a
// commit that changes the SLA's day aggregates, its own or a customer's,
// gives them a new version; one that changes only another SLA's, or only
// counters, does not.
func TestWindowSumsAreReadAgainExactlyWhenTheirDayAggregatesChanged(t *testing.T) {
	clock := testutil.NewClock(slatest.T0)
	p := slatest.HandoffPolicy(t)
	s := openPolicy(t, t.TempDir(), clock, p)
	day := sla.DateOf(slatest.T0)
	ids := []string{"it-sales", "network-ola"}
	read := func(unless map[string]uint64) map[string]SLASums {
		t.Helper()
		q := FigureQuery{}
		for _, id := range ids {
			q.Sums = append(q.Sums, SumQuery{SLA: id, Ranges: []DayRange{{day.AddDays(-1), day.AddDays(2)}}, Customers: p.CustomersOf(p.SLA(id)), Unless: unless[id]})
		}
		f, err := s.ReadFigures(q)
		if err != nil {
			t.Fatal(err)
		}
		return f.Sums
	}
	versions := func(sums map[string]SLASums) map[string]uint64 {
		out := map[string]uint64{}
		for id, s := range sums {
			out[id] = s.Version
		}
		return out
	}
	withoutVersion := func(s SLASums) SLASums { s.Version = 0; return s }
	prev := read(nil)
	if again := read(versions(prev)); !again["it-sales"].Unchanged || !again["network-ola"].Unchanged {
		t.Fatalf("nothing committed, yet read again: %+v", again)
	}
	seen := map[[2]bool]bool{} // (it-sales changed, network-ola changed)
	for _, e := range handoffStory() {
		clock.Set(e.At)
		if _, err := s.Append(context.Background(), []sla.Event{e}); err != nil {
			t.Fatal(err)
		}
		kept, cur := read(versions(prev)), read(nil)
		var key [2]bool
		for i, id := range ids {
			changed := !reflect.DeepEqual(withoutVersion(prev[id]), withoutVersion(cur[id]))
			if kept[id].Unchanged == changed {
				t.Errorf("after event %s, %s: read again %v, its sums changed %v (%+v -> %+v)", e.ID, id, !kept[id].Unchanged, changed, prev[id], cur[id])
			}
			if !kept[id].Unchanged && !reflect.DeepEqual(kept[id], cur[id]) {
				t.Errorf("after event %s, %s read again as %+v, fully as %+v", e.ID, id, kept[id], cur[id])
			}
			key[i] = changed
		}
		seen[key] = true
		prev = cur
	}
	for _, want := range [][2]bool{{false, false}, {true, false}, {false, true}} {
		if !seen[want] {
			t.Errorf("no event changed (it-sales, network-ola) as %v: the story does not test it (%v)", want, seen)
		}
	}
	// A customer's aggregate alone (a request whose customer changed
	// moves them) gives its SLA a new version; a delta of nothing does
	// not.
	for _, tc := range []struct {
		name    string
		delta   DayAggr
		changed bool
	}{
		{"a customer's day changes", DayAggr{CSATSum: 4, CSATCount: 1}, true},
		{"nothing changes", DayAggr{}, false},
	} {
		before := read(nil)
		if err := s.db.Update(func(tx *bolt.Tx) error {
			return applyDayDeltas(tx.Bucket(bucketCustomerDays), map[string]*DayAggr{string(customerDayKey("it-sales", "sales", day.Days())): &tc.delta})
		}); err != nil {
			t.Fatal(err)
		}
		after := read(versions(before))
		if after["it-sales"].Unchanged == tc.changed || !after["network-ola"].Unchanged {
			t.Errorf("%s: it-sales read again %v, network-ola %v; want %v, false", tc.name, !after["it-sales"].Unchanged, !after["network-ola"].Unchanged, tc.changed)
		}
	}
}

// A schema 18 database gets the bucket of versions: its SLAs read at
// version 1 until a commit changes their day aggregates.
func TestASchema18DatabaseGetsItsDayVersions(t *testing.T) {
	dir := t.TempDir()
	clock := testutil.NewClock(slatest.T0)
	s := openTest(t, dir, clock)
	story := handoffStory()
	for _, e := range story[:3] { // the desk responds: it-sales' response clock stops
		clock.Set(e.At)
		if _, err := s.Append(context.Background(), []sla.Event{e}); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	rewind(t, dir, 18, func(tx *bolt.Tx) error { return tx.DeleteBucket(bucketDayVersions) })

	s = openTest(t, dir, clock)
	day := sla.DateOf(slatest.T0)
	read := func(unless uint64) SLASums {
		t.Helper()
		f, err := s.ReadFigures(FigureQuery{Sums: []SumQuery{{SLA: "it-sales", Ranges: []DayRange{{day, day.AddDays(1)}}, Customers: []string{"sales"}, Unless: unless}}})
		if err != nil {
			t.Fatal(err)
		}
		return f.Sums["it-sales"]
	}
	migrated := read(0)
	if migrated.Version != 1 || migrated.All[0].Targets[sla.Response].Breached+migrated.All[0].Targets[sla.Response].Met != 1 {
		t.Fatalf("after the migration: %+v, want version 1 and the response counted", migrated)
	}
	if again := read(1); !again.Unchanged {
		t.Fatalf("read again at version 1 with nothing committed: %+v", again)
	}
	for _, e := range story[3:] { // the desk resolves: its resolution clock stops
		clock.Set(e.At)
		if _, err := s.Append(context.Background(), []sla.Event{e}); err != nil {
			t.Fatal(err)
		}
	}
	if after := read(1); after.Unchanged || after.Version <= 1 {
		t.Fatalf("after the resolution: %+v, want read again at a new version", after)
	}
}
