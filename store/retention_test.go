package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

const day = 24 * time.Hour

// retentionHistory stores four requests of DeskPolicy and delivers every
// alert they raise, so that the notification log holds entries of each:
// R1 breached and resolved and R2 cancelled on day 0; R3 opened on day 0
// and still open; R4 resolved on day 300. The clock ends on day 401.
func retentionHistory(t *testing.T, s *Store, clock *testutil.Clock) {
	t.Helper()
	ctx := context.Background()
	at := func(d time.Duration, events ...sla.Event) {
		t.Helper()
		clock.Set(slatest.T0.Add(d))
		if _, err := s.Append(ctx, events); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Evaluate(clock.Now()); err != nil {
			t.Fatal(err)
		}
		deliverAll(t, s, clock.Now())
	}
	at(0, slatest.Event("r1-o", "R1", sla.Opened, slatest.T0), slatest.Event("r2-o", "R2", sla.Opened, slatest.T0))
	at(time.Hour, slatest.Event("r3-o", "R3", sla.Opened, slatest.T0.Add(time.Hour)), slatest.Event("r2-c", "R2", sla.Cancelled, slatest.T0.Add(time.Hour)))
	at(5 * time.Hour)
	at(6*time.Hour, slatest.Event("r1-x", "R1", sla.Resolved, slatest.T0.Add(6*time.Hour), func(e *sla.Event) { e.CSAT = 2 }))
	d300 := slatest.T0.Add(300 * day)
	at(300*day,
		slatest.Event("r4-o", "R4", sla.Opened, d300),
		slatest.Event("r4-r", "R4", sla.Responded, d300.Add(10*time.Minute)),
		slatest.Event("r4-x", "R4", sla.Resolved, d300.Add(time.Hour), func(e *sla.Event) { e.CSAT = 5 }))
	clock.Set(slatest.T0.Add(401 * day))
}

// deliverAll marks every alert due at now delivered, so that it moves to
// the notification log.
func deliverAll(t *testing.T, s *Store, now time.Time) {
	t.Helper()
	pending, err := s.PendingAlerts()
	if err != nil {
		t.Fatal(err)
	}
	for receiver := range pending {
		items, err := s.DueAlerts(receiver, now, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			if err := s.Record([]Outcome{{Kind: OutcomeDelivered, Item: it, At: now}}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// figures is everything slad reports that history feeds: counters, the
// requests needing attention, every window's day aggregates (per SLA and
// per customer), the stops and the breaches of the retention period.
type figures struct {
	Snapshot            Figures
	Span, Day0          Window
	CustomerSpan        Window
	ResponseStops       []Stop
	ResolutionStops     []Stop
	Breaches            []Breach
	BreachesOfTheSLA    []Breach
	WindowOfEveryDayNow []Window
}

func figuresOf(t *testing.T, s *Store, since time.Time) figures {
	t.Helper()
	var f figures
	var err error
	first, last := sla.DateOf(slatest.T0.Add(-day)), sla.DateOf(s.now())
	day0 := sla.DateOf(slatest.T0)
	must := func(e error) {
		t.Helper()
		if e != nil {
			err = errors.Join(err, e)
		}
	}
	var e error
	f.Snapshot, e = s.ReadFigures(FigureQuery{Attention: &AttentionQuery{PerSLA: math.MaxInt}})
	must(e)
	f.Span, e = s.WindowFigures("it-sales", first, last)
	must(e)
	f.Day0, e = s.WindowFigures("it-sales", day0, day0)
	must(e)
	f.CustomerSpan, e = s.CustomerWindowFigures("it-sales", "sales", first, last)
	must(e)
	from := sla.DateOf(since)
	f.ResponseStops, e = s.Stops("it-sales", sla.Response, from, last)
	must(e)
	f.ResolutionStops, e = s.Stops("it-sales", sla.Resolution, from, last)
	must(e)
	f.Breaches, _, e = s.Breaches(BreachQuery{Since: since, Limit: 1000})
	must(e)
	f.BreachesOfTheSLA, _, e = s.Breaches(BreachQuery{SLA: "it-sales", Since: since, Limit: 1000})
	must(e)
	for d := from; d.Days() <= last.Days(); d = d.AddDays(1) {
		w, e := s.WindowFigures("it-sales", d, last)
		must(e)
		f.WindowOfEveryDayNow = append(f.WindowOfEveryDayNow, w)
	}
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestRetentionRemovesRequestsClosedBeforeTheCutoffAndChangesNoFigure(t *testing.T) {
	clock := testutil.NewClock(slatest.T0)
	s := openTest(t, t.TempDir(), clock)
	retentionHistory(t, s, clock)
	cutoff := clock.Now().Add(-400 * day)
	logged := notifyLogRequests(t, s)
	if logged["R1"] == 0 || logged["R3"] == 0 {
		t.Fatalf("notification log names %v; the history should have logged alerts of R1 and R3", logged)
	}
	before := figuresOf(t, s, cutoff)

	n, err := s.RemoveClosed(context.Background(), cutoff)
	if err != nil || n != 2 {
		t.Fatalf("RemoveClosed = %d, %v; want R1 and R2 removed", n, err)
	}

	if after := figuresOf(t, s, cutoff); !reflect.DeepEqual(before, after) {
		t.Errorf("figures changed when history was removed:\nbefore %+v\nafter  %+v", before, after)
	}
	for _, id := range []string{"R1", "R2"} {
		if _, err := s.Request(Ref{Provider: "it", ID: id}); !errors.Is(err, ErrNotFound) {
			t.Errorf("request %s: err = %v, want ErrNotFound", id, err)
		}
		if key := requestKey(Ref{Provider: "it", ID: id}); true {
			for _, where := range keysNaming(t, s, key) {
				t.Errorf("request %s removed, but %s still names it", id, where)
			}
		}
	}
	for _, id := range []string{"R3", "R4"} {
		if v, err := s.Request(Ref{Provider: "it", ID: id}); err != nil || len(v.Events) == 0 {
			t.Errorf("request %s (open, or closed within the retention period): %v, %d events; want it kept", id, err, len(v.Events))
		}
	}
	if left := notifyLogRequests(t, s); left["R1"] != 0 || left["R3"] != logged["R3"] {
		t.Errorf("notification log names %v after the sweep; want R1's entries gone and R3's %d kept", left, logged["R3"])
	}
	if n, err := s.RemoveClosed(context.Background(), cutoff); err != nil || n != 0 {
		t.Errorf("a second sweep removed %d, %v; want nothing left to remove", n, err)
	}
}

// keysNaming lists the buckets whose keys or (for the request-naming
// indexes) values hold a request key.
func keysNaming(t *testing.T, s *Store, key []byte) []string {
	t.Helper()
	var out []string
	if err := s.db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			return b.ForEach(func(k, v []byte) error {
				if bytes.Contains(k, key) || (string(name) != string(bucketCounters) && bytes.Contains(v, key)) {
					out = append(out, fmt.Sprintf("bucket %s key %x", name, k))
				}
				return nil
			})
		})
	}); err != nil {
		t.Fatal(err)
	}
	ids := 0
	if err := s.db.View(func(tx *bolt.Tx) error {
		ids = tx.Bucket(bucketEventIDs).Stats().KeyN
		if n := tx.Bucket(bucketEvents).Stats().KeyN; n != ids {
			out = append(out, fmt.Sprintf("event_ids (%d ids for %d events)", ids, n))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// notifyLogRequests counts the notification log's entries per request id.
func notifyLogRequests(t *testing.T, s *Store) map[string]int {
	t.Helper()
	out := map[string]int{}
	if err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketNotifyLog).ForEach(func(_, v []byte) error {
			var e LogEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return err
			}
			out[e.Request]++
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRetentionCountsFromTheLastClosing(t *testing.T) {
	tests := map[string]struct {
		events  []sla.Event // after R1's opening at T0, each stored at its own time
		cutoff  time.Duration
		removed int
	}{
		"a request resolved before the cutoff is removed": {
			events:  []sla.Event{slatest.Event("x", "R1", sla.Resolved, slatest.T0.Add(time.Hour))},
			cutoff:  2 * time.Hour,
			removed: 1,
		},
		"a request resolved at the cutoff is kept": {
			events: []sla.Event{slatest.Event("x", "R1", sla.Resolved, slatest.T0.Add(2*time.Hour))},
			cutoff: 2 * time.Hour,
		},
		"a request resolved and reopened is open, and kept": {
			events: []sla.Event{
				slatest.Event("x", "R1", sla.Resolved, slatest.T0.Add(time.Hour)),
				slatest.Event("re", "R1", sla.Reopened, slatest.T0.Add(2*time.Hour)),
			},
			cutoff: 3 * time.Hour,
		},
		"a request resolved again after the cutoff is kept": {
			events: []sla.Event{
				slatest.Event("x", "R1", sla.Resolved, slatest.T0.Add(time.Hour)),
				slatest.Event("re", "R1", sla.Reopened, slatest.T0.Add(2*time.Hour)),
				slatest.Event("x2", "R1", sla.Resolved, slatest.T0.Add(4*time.Hour)),
			},
			cutoff: 3 * time.Hour,
		},
		"a rating after the closing does not postpone the removal": {
			events: []sla.Event{
				slatest.Event("x", "R1", sla.Resolved, slatest.T0.Add(time.Hour)),
				slatest.Event("rt", "R1", sla.Rated, slatest.T0.Add(4*time.Hour), func(e *sla.Event) { e.CSAT = 4 }),
			},
			cutoff:  3 * time.Hour,
			removed: 1,
		},
		"an open request is never removed": {
			cutoff: 400 * day,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			clock := testutil.NewClock(slatest.T0)
			s := openTest(t, t.TempDir(), clock)
			ctx := context.Background()
			for _, e := range append([]sla.Event{slatest.Event("o", "R1", sla.Opened, slatest.T0)}, tt.events...) {
				clock.Set(e.At)
				if _, err := s.Append(ctx, []sla.Event{e}); err != nil {
					t.Fatal(err)
				}
			}
			clock.Set(slatest.T0.Add(401 * day))
			n, err := s.RemoveClosed(ctx, slatest.T0.Add(tt.cutoff))
			if err != nil || n != tt.removed {
				t.Fatalf("RemoveClosed = %d, %v; want %d removed", n, err, tt.removed)
			}
		})
	}
}

func TestRetentionRemovesInSmallTransactions(t *testing.T) {
	clock := testutil.NewClock(slatest.T0)
	s := openTest(t, t.TempDir(), clock)
	const n = 2*RetentionChunk + 7
	var batch []sla.Event
	for i := range n {
		id := fmt.Sprintf("R%d", i)
		batch = append(batch, slatest.Event(id+"-o", id, sla.Opened, slatest.T0), slatest.Event(id+"-x", id, sla.Resolved, slatest.T0.Add(time.Minute)))
	}
	if _, err := s.Append(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	clock.Set(slatest.T0.Add(401 * day))
	var first int
	var more bool
	if err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		first, _, more, err = removeDue(tx, closedKey(slatest.T0.Add(day), Ref{})[:8], nil)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if first == 0 || first > RetentionChunk || !more {
		t.Errorf("one transaction removed %d of %d requests (more left: %v); want at most %d, and more left", first, n, more, RetentionChunk)
	}
	removed, err := s.RemoveClosed(context.Background(), slatest.T0.Add(day))
	if err != nil || first+removed != n {
		t.Fatalf("RemoveClosed = %d, %v; want the other %d", removed, err, n-first)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.RemoveClosed(ctx, slatest.T0.Add(day)); !errors.Is(err, context.Canceled) {
		t.Errorf("RemoveClosed with a cancelled context = %v, want context.Canceled", err)
	}
}

func TestTheSchema7MigrationIndexesClosedRequestsAndLoggedNotices(t *testing.T) {
	dir := t.TempDir()
	clock := testutil.NewClock(slatest.T0)
	s, err := Open(Options{Dir: dir, Policy: slatest.DeskPolicy(), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	retentionHistory(t, s, clock)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	rewind(t, dir, 6, func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketClosed, bucketClosedAt, bucketNotices} {
			if err := tx.DeleteBucket(b); err != nil {
				return err
			}
		}
		return nil
	})

	s = openTest(t, dir, clock)
	cutoff := clock.Now().Add(-400 * day)
	before := figuresOf(t, s, cutoff)
	n, err := s.RemoveClosed(context.Background(), cutoff)
	if err != nil || n != 2 {
		t.Fatalf("RemoveClosed after the migration = %d, %v; want R1 and R2 removed", n, err)
	}
	if after := figuresOf(t, s, cutoff); !reflect.DeepEqual(before, after) {
		t.Errorf("figures changed:\nbefore %+v\nafter  %+v", before, after)
	}
	if left := notifyLogRequests(t, s); left["R1"] != 0 {
		t.Errorf("notification log still names R1 %d times after its removal", left["R1"])
	}
}

// TestRetentionLeavesARequestStillToSettle: requests imported closed and
// not yet settled when slad comes back after longer than the retention
// (stopped within the hour of the import) wait in the deadline index's
// history lane, and the first ticks settle only a few of them. A sweep
// meanwhile removes only the settled ones, so that the totals still count
// every request once the lane is drained, as one tick settling them all
// and then the sweep do.
func TestRetentionLeavesARequestStillToSettle(t *testing.T) {
	clock := testutil.NewClock(slatest.T0)
	open := func(perTick int) *Store {
		s, err := Open(Options{Dir: t.TempDir(), Policy: slatest.DeskPolicy(), Now: clock.Now, HistoryPerTick: perTick})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	const perTick, n = 2, 7
	spread, whole := open(perTick), open(0)
	// Opened and resolved (in breach) two days before slad heard of them.
	var batch []sla.Event
	for i := range n {
		id := fmt.Sprintf("R%d", i)
		opened := slatest.T0.Add(-2 * day)
		batch = append(batch, slatest.Event(id+"-o", id, sla.Opened, opened), slatest.Event(id+"-x", id, sla.Resolved, opened.Add(20*time.Hour)))
	}
	for _, s := range []*Store{spread, whole} {
		if _, err := s.Append(context.Background(), batch); err != nil {
			t.Fatal(err)
		}
	}
	now := slatest.T0.Add(401 * day)
	clock.Set(now)
	cutoff := now.Add(-400 * day)
	for _, s := range []*Store{spread, whole} {
		res, err := s.Evaluate(now)
		if err != nil {
			t.Fatal(err)
		}
		if s == spread && (!res.HistoryLeft || res.Requests != perTick) {
			t.Fatalf("the first tick after the import: %+v; want %d settled and more left", res, perTick)
		}
		removed, err := s.RemoveClosed(context.Background(), cutoff)
		if err != nil {
			t.Fatal(err)
		}
		if s == spread && removed != perTick {
			t.Errorf("the sweep after the first tick removed %d requests; want the %d settled", removed, perTick)
		}
	}
	for res := (EvalResult{HistoryLeft: true}); res.HistoryLeft; {
		var err error
		if res, err = spread.Evaluate(now); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := spread.RemoveClosed(context.Background(), cutoff); err != nil {
		t.Fatal(err)
	}
	got, want := figuresOf(t, spread, cutoff), figuresOf(t, whole, cutoff)
	if !reflect.DeepEqual(got.Snapshot.Counters, want.Snapshot.Counters) {
		t.Errorf("counters after settling over ticks with a sweep between:\n%+v\nwant (settled in one tick, then swept):\n%+v", got.Snapshot.Counters, want.Snapshot.Counters)
	}
	if g, w := boltContents(t, spread.db), boltContents(t, whole.db); g != w {
		t.Error("the file differs from one settled in one tick, then swept")
	}
}
