package store

import (
	"bytes"
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

func fromHR(e *sla.Event) { e.Customer = "hr" }

// providerCounts is the per-provider counters of requests: opened,
// unmatched, open unmatched (for provider it).
func providerCounts(t *testing.T, s *Store) [3]int64 {
	t.Helper()
	c, err := s.Counters()
	if err != nil {
		t.Fatal(err)
	}
	return [3]int64{c.Opened["it"], c.Unmatched["it"], c.OpenUnmatched["it"]}
}

// unmatchedListed is the ids OpenUnmatched lists for provider it.
func unmatchedListed(t *testing.T, s *Store) []string {
	t.Helper()
	ids, more, err := s.OpenUnmatched("it", "", 100)
	if err != nil || more {
		t.Fatalf("OpenUnmatched = %v, more %v, %v", ids, more, err)
	}
	return ids
}

// TestRequestsWithoutAClockAreCountedAndListed (issue 13): a request no
// SLA gives a clock is counted unmatched under its provider, once,
// durably; it leaves the open count when it closes or a reload gives it a
// clock, and the total never goes down. The open ones are listed by id,
// the list and the open count always agreeing.
func TestRequestsWithoutAClockAreCountedAndListed(t *testing.T) {
	clock := testutil.NewClock(slatest.T0.Add(time.Hour))
	dir := t.TempDir()
	s := openTest(t, dir, clock)
	ctx := context.Background()
	step := func(name string, want [3]int64, listed []string, events ...sla.Event) {
		t.Helper()
		if _, err := s.Append(ctx, events); err != nil {
			t.Fatal(err)
		}
		if got := providerCounts(t, s); got != want {
			t.Errorf("%s: opened, unmatched, open unmatched = %v, want %v", name, got, want)
		}
		if got := unmatchedListed(t, s); !slices.Equal(got, listed) {
			t.Errorf("%s: listed %q, want %q", name, got, listed)
		}
	}
	step("a request the SLA covers", [3]int64{1, 0, 0}, nil, slatest.Event("o1", "R1", sla.Opened, slatest.T0))
	step("cancelled, a request that had clocks is not unmatched", [3]int64{1, 0, 0}, nil, slatest.Event("c1", "R1", sla.Cancelled, slatest.T0.Add(time.Minute)))
	step("a customer no SLA serves", [3]int64{2, 1, 1}, []string{"R2"}, slatest.Event("o2", "R2", sla.Opened, slatest.T0, fromHR))
	step("its later events count nothing more", [3]int64{2, 1, 1}, []string{"R2"}, slatest.Event("p2", "R2", sla.Paused, slatest.T0.Add(time.Minute)))
	step("resolved, it is no longer open", [3]int64{2, 1, 0}, nil, slatest.Event("r2", "R2", sla.Resolved, slatest.T0.Add(2*time.Minute)))
	step("reopened, it is open again but not a second unmatched", [3]int64{2, 1, 1}, []string{"R2"}, slatest.Event("x2", "R2", sla.Reopened, slatest.T0.Add(3*time.Minute)))
	step("a third, unmatched", [3]int64{3, 2, 2}, []string{"R2", "R3"}, slatest.Event("o3", "R3", sla.Opened, slatest.T0, fromHR))

	// A reload that serves HR gives both a clock: the open count falls,
	// the totals stay.
	wider := slatest.DeskPolicy()
	wider.SLAs[0].Customers = []string{"*"}
	if _, err := s.Adopt(wider, "wider"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Rematch(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := providerCounts(t, s), [3]int64{3, 2, 0}; got != want {
		t.Errorf("after the reload: %v, want %v", got, want)
	}
	if got := unmatchedListed(t, s); len(got) != 0 {
		t.Errorf("after the reload: listed %q, want none", got)
	}
	// Durable: the counts survive a restart.
	before, err := s.Counters()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTest(t, dir, clock)
	after, err := s.Counters()
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(before.Unmatched, after.Unmatched) || !maps.Equal(before.Opened, after.Opened) {
		t.Errorf("after a restart: opened %v unmatched %v, want %v %v", after.Opened, after.Unmatched, before.Opened, before.Unmatched)
	}
}

// TestRequestsStoredBeforeSchema14AreCounted: the migration counts the
// requests an older slad stored (opened, unmatched, open unmatched) as
// this slad would have, and a request touched afterwards is not counted
// a second time.
func TestRequestsStoredBeforeSchema14AreCounted(t *testing.T) {
	clock := testutil.NewClock(slatest.T0.Add(time.Hour))
	dir := t.TempDir()
	s := openTest(t, dir, clock)
	ctx := context.Background()
	if _, err := s.Append(ctx, []sla.Event{
		slatest.Event("o1", "R1", sla.Opened, slatest.T0),
		slatest.Event("o2", "R2", sla.Opened, slatest.T0, fromHR),
		slatest.Event("o3", "R3", sla.Opened, slatest.T0, fromHR),
		slatest.Event("x3", "R3", sla.Resolved, slatest.T0.Add(time.Minute)),
	}); err != nil {
		t.Fatal(err)
	}
	want := providerCounts(t, s)
	if want != [3]int64{3, 2, 1} {
		t.Fatalf("before: %v, want 3 opened, 2 unmatched, 1 open unmatched", want)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// As schema 13 left them: no counter per provider anywhere.
	rewind(t, dir, 13, func(tx *bolt.Tx) error {
		if err := rewriteValues(tx.Bucket(bucketRequests), func(k, v []byte) ([]byte, error) {
			ref, _, _ := parseRequestKey(k)
			rec, err := decodeRecord(ref, v)
			if err != nil {
				return nil, err
			}
			for _, c := range rec.Contrib.Counters {
				if kind, _, _ := strings.Cut(c.key, "\x00"); providerKinds[kind] {
					rec.High = slices.DeleteFunc(rec.High, func(h counterShare) bool { return h.key == c.key })
				}
			}
			rec.Contrib.Counters = slices.DeleteFunc(rec.Contrib.Counters, func(c counterShare) bool {
				kind, _, _ := strings.Cut(c.key, "\x00")
				return providerKinds[kind]
			})
			return encodeRecord(ref, rec), nil
		}); err != nil {
			return err
		}
		c := tx.Bucket(bucketCounters)
		var stale [][]byte
		_ = c.ForEach(func(k, _ []byte) error {
			if kind, _, _ := strings.Cut(string(k), "\x00"); providerKinds[kind] {
				stale = append(stale, bytes.Clone(k))
			}
			return nil
		})
		for _, k := range stale {
			if err := c.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	s = openTest(t, dir, clock)
	if got := providerCounts(t, s); got != want {
		t.Errorf("after the migration: %v, want %v", got, want)
	}
	// Touched again, a request counted by the migration is not counted twice.
	if _, err := s.Append(ctx, []sla.Event{slatest.Event("p2", "R2", sla.Paused, slatest.T0.Add(2*time.Minute))}); err != nil {
		t.Fatal(err)
	}
	if got := providerCounts(t, s); got != want {
		t.Errorf("after an event: %v, want %v", got, want)
	}
}

// TestTheOpenRequestsWithoutAClockArePagedPerProvider: one provider's list
// holds its own requests only, in id order, a page after the id given.
func TestTheOpenRequestsWithoutAClockArePagedPerProvider(t *testing.T) {
	s := openTest(t, t.TempDir(), testutil.NewClock(slatest.T0.Add(time.Hour)))
	var events []sla.Event
	for _, id := range []string{"R5", "R1", "R3", "R2", "R4"} {
		events = append(events, slatest.Event("o"+id, id, sla.Opened, slatest.T0, fromHR))
	}
	events = append(events, slatest.Event("other", "R0", sla.Opened, slatest.T0, func(e *sla.Event) { e.Provider = "facilities" }))
	if _, err := s.Append(context.Background(), events); err != nil {
		t.Fatal(err)
	}
	pages := []struct {
		after string
		ids   []string
		more  bool
	}{
		{"", []string{"R1", "R2"}, true},
		{"R2", []string{"R3", "R4"}, true},
		{"R4", []string{"R5"}, false},
		{"R5", nil, false},
		{"R25", []string{"R3", "R4"}, true}, // an id not listed: the next ones
	}
	for _, p := range pages {
		ids, more, err := s.OpenUnmatched("it", p.after, 2)
		if err != nil || !slices.Equal(ids, p.ids) || more != p.more {
			t.Errorf("after %q: %q, more %v, %v; want %q, more %v", p.after, ids, more, err, p.ids, p.more)
		}
	}
	if ids, _, err := s.OpenUnmatched("facilities", "", 10); err != nil || !slices.Equal(ids, []string{"R0"}) {
		t.Errorf("facilities: %q, %v; want [R0]", ids, err)
	}
}

// TestRequestsStoredBeforeSchema17AreListed: the migration lists the open
// requests without a clock an older slad stored, and only those.
func TestRequestsStoredBeforeSchema17AreListed(t *testing.T) {
	clock := testutil.NewClock(slatest.T0.Add(time.Hour))
	dir := t.TempDir()
	s := openTest(t, dir, clock)
	if _, err := s.Append(context.Background(), []sla.Event{
		slatest.Event("o1", "R1", sla.Opened, slatest.T0),
		slatest.Event("o2", "R2", sla.Opened, slatest.T0, fromHR),
		slatest.Event("o3", "R3", sla.Opened, slatest.T0, fromHR),
		slatest.Event("x3", "R3", sla.Resolved, slatest.T0.Add(time.Minute)),
		slatest.Event("o4", "R4", sla.Opened, slatest.T0, fromHR),
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	rewind(t, dir, 16, func(tx *bolt.Tx) error { return tx.DeleteBucket(bucketOpenUnmatched) })
	s = openTest(t, dir, clock)
	if got := unmatchedListed(t, s); !slices.Equal(got, []string{"R2", "R4"}) {
		t.Errorf("after the migration: listed %q, want [R2 R4]", got)
	}
}
