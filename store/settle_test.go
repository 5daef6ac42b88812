package store

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// TestASettlingVisitWritesWhatRecomputingTheRequestWrites: a tick that
// only settles a closed request's clocks computes just the shares that
// settle (settledContribution) and writes only what changed. Histories of
// days ago — under the 1,000-SLA policy as the audit's import drew them,
// and random ones with handoffs, holding and waiting SLAs, reopenings and
// cancellations — are imported in batches minutes apart, so that they
// settle at different ticks, into two stores. One is ticked by Evaluate,
// the other by the same chunks with every contribution computed whole
// (contributeLive). Each settling request's record and counter deltas are
// the same both ways, and after every tick both files hold the same keys
// and values.
func TestASettlingVisitWritesWhatRecomputingTheRequestWrites(t *testing.T) {
	rng := testutil.Rand(t)
	tests := map[string]struct {
		policy   func(testing.TB) *sla.Policy
		at       time.Time // when the import starts
		requests func(at time.Time) []sla.Event
		// shuffled: the import sends the events in any order, so that a
		// request's clocks are first seen in different batches, and settle
		// at different ticks.
		shuffled bool
	}{
		"the audit's import, 1,000 SLAs": {
			policy: scalePolicy, at: auditImportAt,
			requests: func(at time.Time) []sla.Event {
				var events []sla.Event
				for range 300 {
					events = append(events, auditHistory(rng.IntN(1_000_000), at)...)
				}
				return events
			},
		},
		"random histories with handoffs": {
			policy: slatest.HandoffPolicy, at: slatest.T0.Add(4 * 24 * time.Hour),
			requests: func(time.Time) []sla.Event { return slatest.RandomHistories(rng, 200) },
			shuffled: true,
		},
		// Updates move requests between SLAs: a clock of an SLA a later
		// batch gives the request settles after the others.
		"random histories changing SLAs": {
			policy: slatest.RichPolicy, at: slatest.T0.Add(5 * 24 * time.Hour),
			requests: func(time.Time) []sla.Event { return slatest.RichHistories(rng, 200) },
			shuffled: true,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p := tc.policy(t)
			clock := testutil.NewClock(tc.at)
			open := func() *Store {
				s, err := Open(Options{Dir: t.TempDir(), Policy: p, Now: clock.Now})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = s.Close() })
				return s
			}
			s, whole := open(), open()
			events := tc.requests(tc.at)
			if tc.shuffled {
				rng.Shuffle(len(events), func(i, j int) { events[i], events[j] = events[j], events[i] })
			}
			// Batches of about 100 events, 7 minutes apart: they settle an
			// hour later, over several ticks.
			for from := 0; from < len(events); from += 100 {
				for _, to := range []*Store{s, whole} {
					if _, err := to.Append(context.Background(), events[from:min(from+100, len(events))]); err != nil {
						t.Fatal(err)
					}
				}
				clock.Set(clock.Now().Add(7 * time.Minute))
			}
			settled := 0
			end := clock.Now().Add(lifecycle.HistoryAge + time.Minute)
			for now := tc.at.Add(lifecycle.HistoryAge); !now.After(end); now = now.Add(5 * time.Minute) {
				clock.Set(now)
				got, err := s.Evaluate(now)
				if err != nil {
					t.Fatal(err)
				}
				want, n := evaluateWhole(t, whole, now)
				if got != want {
					t.Fatalf("tick at %s: %+v, computed whole %+v", now.Sub(tc.at), got, want)
				}
				settled += n
				if g, w := boltContents(t, s.db), boltContents(t, whole.db); g != w {
					t.Fatalf("tick at %s: the files differ", now.Sub(tc.at))
				}
			}
			if settled < 50 {
				t.Fatalf("%d requests only settled; the test measures little", settled)
			}
		})
	}
}

// evaluateWhole ticks s at now as Evaluate does, but with every due
// request's contribution computed whole: it checks that those that only
// settle come out the same as settledContribution makes them, and
// returns how many there were.
func evaluateWhole(t *testing.T, s *Store, now time.Time) (EvalResult, int) {
	t.Helper()
	p, bound, chunks := dueChunks(t, s, now)
	var res EvalResult
	settled := 0
	for _, c := range chunks {
		for _, f := range c.folds {
			if f.err != nil || f.old == nil {
				continue
			}
			live := f.old.Request.At(p, now)
			settles := f.keep && onlySettles(p, &live, &lifecycle.TickResult{Effects: f.effects, Fired: f.fired, Skipped: f.skipped})
			data, counters := f.data, slices.Clone(f.counters)
			f.full = true
			f.compute(p, now)
			f.prep = writePrep{}
			f.prepareWrite()
			if !settles {
				continue
			}
			settled++
			if !bytes.Equal(data, f.data) {
				t.Errorf("request %s settled: record\n%+v\ncomputed whole\n%+v", f.ref.ID, mustDecode(t, f.ref, data), f.rec)
			}
			if !slices.Equal(counters, f.counters) {
				t.Errorf("request %s settled: counters change by %v, computed whole by %v", f.ref.ID, counters, f.counters)
			}
		}
		if err := s.update(func(tx *bolt.Tx) error {
			r, err := s.writeDue(tx, p, bound, c, now)
			res.add(r)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	return res, settled
}

func mustDecode(t *testing.T, ref Ref, data []byte) *record {
	t.Helper()
	rec, err := decodeRecord(ref, data)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// TestImportedHistoryIsSpreadOverTicksBehindEveryLiveAlert: the requests
// of an import due only for their history (to settle, or to send the
// catch-up of breaches long past, their grace hour over) wait in the
// deadline index's history lane, and a tick takes them after every other
// due request, Options.HistoryPerTick less those and the stages they
// fired (at least a tenth of it), each request and each stage it fires
// counting one, the next tick going on. Once the lane is drained, the
// alerts sent and the file are those of one tick taking everything.
func TestImportedHistoryIsSpreadOverTicksBehindEveryLiveAlert(t *testing.T) {
	rng := testutil.Rand(t)
	p := scalePolicy(t)
	clock := testutil.NewClock(auditImportAt)
	open := func(perTick int) *Store {
		s, err := Open(Options{Dir: t.TempDir(), Policy: p, Now: clock.Now, HistoryPerTick: perTick})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	const perTick = 60
	// One request's share past the budget at most: itself and the stages
	// it fires, a breach and an escalation of each of its ten clocks.
	const overshoot = 1 + 2*10
	spread, whole := open(perTick), open(0)
	var events []sla.Event
	for range 300 {
		events = append(events, auditHistory(rng.IntN(1_000_000), auditImportAt)...)
	}
	for _, s := range []*Store{spread, whole} {
		if _, err := s.Append(context.Background(), events); err != nil {
			t.Fatal(err)
		}
	}
	now := auditImportAt.Add(lifecycle.HistoryAge + time.Minute)
	lane, urgent := 0, 0
	if err := spread.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketDeadlines).ForEach(func(k, _ []byte) error {
			switch {
			case k[0] == historyLane:
				lane++
			case deadlineDue(k, dueBound(now)):
				urgent++
			}
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	if lane < 3*perTick {
		t.Fatalf("%d requests in the history lane; the test measures little", lane)
	}

	clock.Set(now)
	want, err := whole.Evaluate(now)
	if err != nil {
		t.Fatal(err)
	}
	if want.Fired == 0 || want.HistoryLeft {
		t.Fatalf("one tick taking everything: %+v; want alerts fired and nothing left", want)
	}
	var sum EvalResult
	ticks, laterAlerts := 0, false
	for got := (EvalResult{HistoryLeft: true}); got.HistoryLeft; ticks++ {
		if got, err = spread.Evaluate(now); err != nil {
			t.Fatal(err)
		}
		switch work := got.Requests + got.Fired; {
		case ticks == 0 && got.Requests < urgent:
			t.Fatalf("first tick: %+v; want at least the %d requests of the first lane", got, urgent)
		case ticks > 0 && (work > perTick+overshoot || got.HistoryLeft && work < perTick):
			t.Fatalf("tick %d: %+v; want requests and stages fired of %d to %d", ticks+1, got, perTick, perTick+overshoot)
		}
		laterAlerts = laterAlerts || ticks > 0 && got.Fired > 0
		sum.add(got)
	}
	if !laterAlerts || ticks < (want.Requests+want.Fired)/(perTick+overshoot) {
		t.Fatalf("took the history in %d ticks, alerts after the first %v; want them spread over the ticks (%+v in one)", ticks, laterAlerts, want)
	}
	if sum.Requests != want.Requests || sum.Fired != want.Fired || sum.Queued != want.Queued {
		t.Fatalf("the ticks took %+v in all; want what one tick takes, %+v", sum, want)
	}
	if g, w := boltContents(t, spread.db), boltContents(t, whole.db); g != w {
		t.Fatal("taken over ticks, the file differs from one taking everything in one tick")
	}
}
