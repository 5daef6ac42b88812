package store

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla/slatest"
)

// TestTheBreachesOfEverySLAAreListedNewestFirstAcrossPages: the listing of
// every SLA's breaches, a merge of the per-SLA index, gives every breach
// once in the order of breach time, request and clock — the order of a
// plain sort of every key — whatever the page size, and within since and
// until; one SLA's listing gives that SLA's part of it.
func TestTheBreachesOfEverySLAAreListedNewestFirstAcrossPages(t *testing.T) {
	rng := testutil.Rand(t)
	for round := range testutil.Iterations(4) {
		clock := testutil.NewClock(slatest.T0)
		s, err := Open(Options{Dir: t.TempDir(), Policy: slatest.RichPolicy(t), Now: clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Append(context.Background(), slatest.RichHistories(rng, 120)); err != nil {
			t.Fatal(err)
		}
		for h := 1; h <= 96; h += 1 + rng.IntN(12) {
			clock.Set(slatest.T0.Add(time.Duration(h) * time.Hour))
			if _, err := s.Evaluate(clock.Now()); err != nil {
				t.Fatal(err)
			}
		}
		want := sortedBreachKeys(t, s) // newest first, prefixes cut off
		if len(want) < 20 {
			t.Fatalf("round %d: %d breaches; the test needs more", round, len(want))
		}
		all := listBreaches(t, s, BreachQuery{}, 1+rng.IntN(7))
		if !slices.EqualFunc(all, want, bytes.Equal) {
			t.Fatalf("round %d: listed %d breaches, want %d in key order", round, len(all), len(want))
		}
		since := parseTime(want[len(want)-1-rng.IntN(len(want))])
		until := since.Add(time.Duration(1+rng.IntN(36)) * time.Hour)
		var inRange [][]byte
		for _, k := range want {
			if at := parseTime(k); !at.Before(since) && at.Before(until) {
				inRange = append(inRange, k)
			}
		}
		if got := listBreaches(t, s, BreachQuery{Since: since, Until: until}, 1+rng.IntN(5)); !slices.EqualFunc(got, inRange, bytes.Equal) {
			t.Errorf("round %d: %d breaches in [%s, %s), want %d", round, len(got), since, until, len(inRange))
		}
		for _, id := range []string{"it-sales", "it-office", "hr-any"} {
			var ofSLA [][]byte
			for _, k := range want {
				if _, _, clockKey := parseBreachKey(k); bytes.HasPrefix([]byte(clockKey), []byte(id+"/")) {
					ofSLA = append(ofSLA, k)
				}
			}
			if got := listBreaches(t, s, BreachQuery{SLA: id}, 1+rng.IntN(5)); !slices.EqualFunc(got, ofSLA, bytes.Equal) {
				t.Errorf("round %d: %s: %d breaches listed, want %d", round, id, len(got), len(ofSLA))
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func parseTime(k []byte) time.Time {
	at, _, _ := parseBreachKey(k)
	return at
}

// sortedBreachKeys reads every key of the per-SLA breach index, cuts the
// SLA's prefix off and sorts them newest first.
func sortedBreachKeys(t *testing.T, s *Store) [][]byte {
	t.Helper()
	var keys [][]byte
	if err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketBreachesBySLA).ForEach(func(k, _ []byte) error {
			id, _, _ := cutLPBytes(k)
			keys = append(keys, bytes.Clone(k[2+len(id):]))
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(keys, func(a, b []byte) int { return bytes.Compare(b, a) })
	return keys
}

// listBreaches pages through a listing, limit breaches a page, and returns
// their keys (their cursors, decoded).
func listBreaches(t *testing.T, s *Store, q BreachQuery, limit int) [][]byte {
	t.Helper()
	var keys [][]byte
	q.Limit = limit
	for range 10000 {
		page, next, err := s.Breaches(q)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range page {
			k, err := decodeCursor(b.Cursor)
			if err != nil {
				t.Fatal(err)
			}
			keys = append(keys, k)
		}
		if next == "" {
			return keys
		}
		q.Cursor = next
	}
	t.Fatal("the listing does not end")
	return nil
}

// toBreachesByTime brings back the layout before schema 16: every breach
// in the breaches bucket too, by time.
func toBreachesByTime(tx *bolt.Tx) error {
	b, err := tx.CreateBucket(bucketBreaches)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketBreachesBySLA).ForEach(func(k, v []byte) error {
		id, _, _ := cutLPBytes(k)
		return b.Put(bytes.Clone(k[2+len(id):]), v)
	})
}

// TestASchema15DatabaseKeepsEveryBreachInItsListings: the migration to
// schema 16 drops the breaches by time, and the listings read the same
// breaches, in the same order, as before it.
func TestASchema15DatabaseKeepsEveryBreachInItsListings(t *testing.T) {
	dir := t.TempDir()
	clock := testutil.NewClock(slatest.T0)
	s, err := Open(Options{Dir: dir, Policy: slatest.RichPolicy(t), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(context.Background(), slatest.RichHistories(testutil.Rand(t), 60)); err != nil {
		t.Fatal(err)
	}
	clock.Set(slatest.T0.Add(72 * time.Hour))
	if _, err := s.Evaluate(clock.Now()); err != nil {
		t.Fatal(err)
	}
	want := listBreaches(t, s, BreachQuery{}, 1000)
	wantOne := listBreaches(t, s, BreachQuery{SLA: "it-office"}, 1000)
	if len(want) < 10 || len(wantOne) == 0 {
		t.Fatalf("%d breaches, %d of it-office; the test needs more", len(want), len(wantOne))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	rewind(t, dir, 15, nil)

	s, err = Open(Options{Dir: dir, Policy: slatest.RichPolicy(t), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := listBreaches(t, s, BreachQuery{}, 7); !slices.EqualFunc(got, want, bytes.Equal) {
		t.Errorf("after the migration %d breaches listed, want the %d before it", len(got), len(want))
	}
	if got := listBreaches(t, s, BreachQuery{SLA: "it-office"}, 3); !slices.EqualFunc(got, wantOne, bytes.Equal) {
		t.Errorf("after the migration %d breaches of it-office listed, want the %d before it", len(got), len(wantOne))
	}
	if err := s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketBreaches) != nil {
			t.Error("the breaches by time are still there after the migration to schema 16")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkBreachListingOf1000SLAs times what the listing of every SLA's
// breaches adds to a page of 100: finding 1,000 SLAs' ranges in the
// per-SLA index (50 breaches each) and merging them.
func BenchmarkBreachListingOf1000SLAs(b *testing.B) {
	db := boltWithBuckets(b, filepath.Join(b.TempDir(), FileName), bucketBreachesBySLA)
	if err := db.Update(func(tx *bolt.Tx) error {
		idx := tx.Bucket(bucketBreachesBySLA)
		for i := range 1000 {
			id := fmt.Sprintf("sla-%04d", i)
			for j := range 50 {
				k := breachKey(slatest.T0.Add(time.Duration(j*1000+i)*time.Second), Ref{Provider: "it", ID: fmt.Sprint("R", j)}, id+"/response")
				if err := idx.Put(appendBySLA(nil, k), []byte("x")); err != nil {
					return err
				}
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := db.View(func(tx *bolt.Tx) error {
			idx := tx.Bucket(bucketBreachesBySLA)
			m := newBreachMerge(idx, breachPrefixes(idx), nil)
			for range 100 {
				if m.next() == nil {
					b.Fatal("the merge ended early")
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
}
