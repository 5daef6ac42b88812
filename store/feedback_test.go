package store

import (
	"context"
	"errors"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

func answer(id string, at time.Time, provider, customer string, score int) sla.Answer {
	return sla.Answer{ID: id, At: at, Provider: provider, Customer: customer, Score: score}
}

// TestFeedbackIsCountedPerPairAndLocalDay: each answer adds to its pair's
// count on its local day in the zone given, and a window sums its days.
func TestFeedbackIsCountedPerPairAndLocalDay(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	s := openTest(t, t.TempDir(), testutil.NewClock(slatest.T0))
	ctx := context.Background()
	// 23:30 UTC on 2026-03-09 is already 2026-03-10 in Berlin.
	late := time.Date(2026, 3, 9, 23, 30, 0, 0, time.UTC)
	batch := []sla.Answer{
		answer("a1", late, "it", "sales", 10),
		answer("a2", late.Add(-2*time.Hour), "it", "sales", 6),
		answer("a3", late, "it", "hr", 8),
		answer("a4", late.Add(30*24*time.Hour), "it", "sales", 9),
	}
	res, err := s.AppendFeedback(ctx, batch, berlin)
	if err != nil || res != (FeedbackResult{Accepted: 4}) {
		t.Fatalf("AppendFeedback = %+v, %v", res, err)
	}
	day := func(d int) sla.Date { return sla.Date{Year: 2026, Month: 3, Day: d} }
	tests := map[string]struct {
		first, last sla.Date
		want        map[FeedbackPair]sla.NPSCounts
	}{
		"the Berlin day of a late UTC answer": {day(10), day(10), map[FeedbackPair]sla.NPSCounts{
			{"it", "sales"}: {Promoters: 1}, {"it", "hr"}: {Passives: 1},
		}},
		"the day before holds the earlier answer": {day(9), day(9), map[FeedbackPair]sla.NPSCounts{
			{"it", "sales"}: {Detractors: 1},
		}},
		"a window sums its days": {day(1), day(31), map[FeedbackPair]sla.NPSCounts{
			{"it", "sales"}: {Promoters: 1, Detractors: 1}, {"it", "hr"}: {Passives: 1},
		}},
		"a window without answers is empty": {day(11), day(31), map[FeedbackPair]sla.NPSCounts{}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := s.FeedbackCounts(tc.first, tc.last)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("FeedbackCounts = %+v, want %+v", got, tc.want)
			}
			for p, n := range tc.want {
				if got[p] != n {
					t.Errorf("%+v: %+v, want %+v", p, got[p], n)
				}
			}
		})
	}
}

// TestFeedbackIsIdempotentByID: the same answer again is a duplicate that
// counts nothing; a different answer under a stored id refuses its whole
// batch.
func TestFeedbackIsIdempotentByID(t *testing.T) {
	s := openTest(t, t.TempDir(), testutil.NewClock(slatest.T0))
	ctx := context.Background()
	a := answer("a1", slatest.T0, "it", "sales", 10)
	if _, err := s.AppendFeedback(ctx, []sla.Answer{a}, time.UTC); err != nil {
		t.Fatal(err)
	}
	again := a
	again.At = a.At.In(time.FixedZone("", 3600)) // the same instant
	res, err := s.AppendFeedback(ctx, []sla.Answer{again, again}, time.UTC)
	if err != nil || res != (FeedbackResult{Duplicates: 2}) {
		t.Fatalf("a repeat: %+v, %v; want 2 duplicates", res, err)
	}
	changed := a
	changed.Score = 2
	_, err = s.AppendFeedback(ctx, []sla.Answer{answer("a2", slatest.T0, "it", "hr", 0), changed}, time.UTC)
	var ce *AnswerConflictError
	if !errors.As(err, &ce) || !errors.Is(err, ErrConflict) || ce.Index != 1 || ce.Stored.Score != 10 || ce.Sent.Score != 2 {
		t.Fatalf("a changed answer: %v, want a conflict on answer 1", err)
	}
	want := `answer 1: id "a1" already names a different answer (differing in score)`
	if got := err.Error(); len(got) < len(want) || got[:len(want)] != want {
		t.Errorf("conflict = %s\nwant it to start with %s", got, want)
	}
	today := sla.DateOf(slatest.T0.UTC())
	got, err := s.FeedbackCounts(today, today)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[FeedbackPair{"it", "sales"}] != (sla.NPSCounts{Promoters: 1}) {
		t.Errorf("after a repeat and a refused batch: %+v, want one promoter for it/sales only", got)
	}
}

// TestALaterRatingReplacesTheScoreOnTheResolutionDay: the CSAT of a day is
// that of the requests resolved that day; a "rated" event days later
// replaces the request's score there and adds nothing to the day it came.
func TestALaterRatingReplacesTheScoreOnTheResolutionDay(t *testing.T) {
	clock := testutil.NewClock(slatest.T0.Add(72 * time.Hour))
	s := openTest(t, t.TempDir(), clock)
	resolved := slatest.T0.Add(time.Hour)
	rated := slatest.T0.Add(48 * time.Hour)
	csat := func(first, last time.Time) (sum, count int64) {
		t.Helper()
		w, err := s.WindowFigures("it-sales", sla.DateOf(first.UTC()), sla.DateOf(last.UTC()))
		if err != nil {
			t.Fatal(err)
		}
		return w.CSATSum, w.CSATCount
	}
	if _, err := s.Append(context.Background(), []sla.Event{
		slatest.Event("o", "R1", sla.Opened, slatest.T0),
		slatest.Event("r", "R1", sla.Resolved, resolved, func(e *sla.Event) { e.CSAT = 5 }),
	}); err != nil {
		t.Fatal(err)
	}
	if sum, n := csat(resolved, resolved); sum != 5 || n != 1 {
		t.Fatalf("on resolution: CSAT %d from %d, want 5 from 1", sum, n)
	}
	if _, err := s.Append(context.Background(), []sla.Event{
		slatest.Event("x", "R1", sla.Rated, rated, func(e *sla.Event) { e.CSAT = 2; e.Comment = "it came back" }),
	}); err != nil {
		t.Fatal(err)
	}
	if sum, n := csat(resolved, resolved); sum != 2 || n != 1 {
		t.Errorf("the resolution day after a later rating: CSAT %d from %d, want 2 from 1", sum, n)
	}
	if sum, n := csat(rated, rated); sum != 0 || n != 0 {
		t.Errorf("the rating's own day: CSAT %d from %d, want nothing", sum, n)
	}
}

// TestASchema4DatabaseGetsTheFeedbackBuckets: a database from before the
// feedback buckets opens, migrated, and takes answers.
func TestASchema4DatabaseGetsTheFeedbackBuckets(t *testing.T) {
	dir := t.TempDir()
	clock := testutil.NewClock(slatest.T0)
	s, err := Open(Options{Dir: dir, Policy: slatest.DeskPolicy(), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	rewind(t, dir, 4, func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(bucketFeedback); err != nil {
			return err
		}
		return tx.DeleteBucket(bucketFeedbackDays)
	})
	s = openTest(t, dir, clock)
	if res, err := s.AppendFeedback(context.Background(), []sla.Answer{answer("a1", slatest.T0, "it", "sales", 9)}, time.UTC); err != nil || res.Accepted != 1 {
		t.Fatalf("after migration: %+v, %v", res, err)
	}
}
