package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// The rules themselves are tested in package lifecycle; these tests check
// that Evaluate reads the deadline index, applies what the lifecycle
// decides (outbox, firing) and keeps the aggregates in the same
// transaction.

func TestEvaluateFiresOnceAndCatchesUp(t *testing.T) {
	clock := testutil.NewClock(slatest.T0)
	s := openTest(t, t.TempDir(), clock)
	ctx := context.Background()
	if _, err := s.Append(ctx, []sla.Event{slatest.Event("e1", "R1", sla.Opened, slatest.T0), slatest.Event("e2", "R1", sla.Responded, slatest.T0.Add(time.Minute))}); err != nil {
		t.Fatal(err)
	}
	// Nothing due yet.
	if res, err := s.Evaluate(slatest.T0.Add(time.Minute)); err != nil || res.Fired != 0 {
		t.Fatalf("early evaluate: %+v %v", res, err)
	}
	// Down until 5h10m later: breached (4h) and escalated (5h); the 50%
	// warning is stale and skipped.
	now := slatest.T0.Add(5*time.Hour + 10*time.Minute)
	clock.Set(now)
	res, err := s.Evaluate(now)
	if err != nil {
		t.Fatal(err)
	}
	if res.Fired != 2 || res.Skipped != 1 {
		t.Fatalf("catch-up evaluate: %+v, want 2 fired (breach, escalation), 1 skipped (warning)", res)
	}
	pending, _ := s.PendingAlerts()
	// breach → it-chat, am; escalation → it-chat, am, boss
	if pending["it-chat"] != 2 || pending["am"] != 2 || pending["boss"] != 1 {
		t.Fatalf("pending = %v", pending)
	}
	if res, _ := s.Evaluate(now); res.Fired != 0 {
		t.Fatalf("repeated tick fired again: %+v", res)
	}
	firing, _ := s.Firing("am")
	if len(firing) != 2 || firing[0].Stage != lifecycle.StageBreach || firing[1].Stage != lifecycle.StageEscalation {
		t.Fatalf("firing = %+v, want the breach and the escalation", firing)
	}
	// Resolve: the receivers told of the breach get "resolved".
	clock.Set(now.Add(time.Minute))
	if _, err := s.Append(ctx, []sla.Event{slatest.Event("e3", "R1", sla.Resolved, now.Add(time.Minute))}); err != nil {
		t.Fatal(err)
	}
	res, _ = s.Evaluate(now.Add(time.Minute))
	if res.Fired != 1 || res.Queued != 3 { // it-chat, am, and the boss told by the escalation
		t.Fatalf("resolved evaluate: %+v", res)
	}
	if firing, _ := s.Firing("am"); len(firing) != 0 {
		t.Fatalf("still firing after resolve: %+v", firing)
	}
	if _, ok, _ := s.NextDeadline(); ok {
		t.Fatal("deadline index not empty after resolution")
	}
	c, _ := s.Counters()
	if c.Stopped[[3]string{"it-sales", "resolution", "breached"}] != 1 || c.Stopped[[3]string{"it-sales", "response", "met"}] != 1 {
		t.Fatalf("stopped counters = %v", c.Stopped)
	}
	w, _ := s.WindowFigures("it-sales", sla.DateOf(slatest.T0).AddDays(-29), sla.DateOf(slatest.T0))
	if got := w.Targets[sla.Resolution]; got != (sla.Tally{Breached: 1}) {
		t.Fatalf("window tally = %+v", got)
	}
	br, _, _ := s.Breaches(BreachQuery{})
	if len(br) != 1 || br[0].Request != "R1" || !br[0].BreachedAt.Equal(slatest.T0.Add(4*time.Hour+time.Second)) {
		t.Fatalf("breaches = %+v", br)
	}
}

// The deadline index keeps whole seconds, the grace hour ends at an
// instant with nanoseconds (an hour after the ingest that first saw the
// clock). A tick in the grace's last second, before its end, reads the
// request as due and must leave it due at a later second: otherwise every
// round of Evaluate reads it again, and an import batch of a chunk or more
// of long-breached open requests never lets the index drain ("deadline
// index does not drain", minutes of reads).
func TestATickInTheGraceSecondLeavesNothingDue(t *testing.T) {
	seen := slatest.T0.Add(30*time.Hour + 500*time.Millisecond)
	clock := testutil.NewClock(seen)
	s := openTest(t, t.TempDir(), clock)
	var batch []sla.Event
	for i := range evalChunk {
		id := fmt.Sprint("IMP-", i)
		batch = append(batch, slatest.Event(id+"o", id, sla.Opened, slatest.T0), slatest.Event(id+"r", id, sla.Responded, slatest.T0.Add(time.Minute)))
	}
	if _, err := s.Append(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	tick := seen.Add(time.Hour - 250*time.Millisecond) // same second as the grace's end, before it
	clock.Set(tick)
	start := time.Now()
	res, err := s.Evaluate(tick)
	if err != nil || time.Since(start) > 10*time.Second {
		t.Errorf("tick %s after %s: %+v, %v", tick.Format(time.StampMilli), time.Since(start).Round(time.Millisecond), res, err)
	}
	if d, ok, _ := s.NextDeadline(); ok && d.Unix() <= tick.Unix() {
		t.Errorf("after the tick at %s the deadline index still holds %s (evaluate: %+v): every round of Evaluate reads it again", tick.Format(time.StampMilli), d.Format(time.StampMilli), res)
	}
}

// A storm is ticked in chunks whose requests are decided together and
// written in the order of their keys: every alert gets its own sequence
// number, each receiver's queue holds the storm's alerts in that order,
// the pending counts add up, and the next tick numbers on after them.
func TestAStormOfDueRequestsQueuesEveryAlertInOrderWithItsOwnNumber(t *testing.T) {
	clock := testutil.NewClock(slatest.T0)
	s := openTest(t, t.TempDir(), clock)
	n := evalChunk + 7 // two chunks
	var batch []sla.Event
	for i := range n {
		// Two a second: the deadline index orders them by their opening.
		batch = append(batch, slatest.Event(fmt.Sprint("o", i), fmt.Sprintf("R%05d", i), sla.Opened, slatest.T0.Add(time.Duration(i)*time.Second/2)))
	}
	if _, err := s.Append(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	now := slatest.T0.Add(time.Hour) // every response target breached, no other stage due
	clock.Set(now)
	res, err := s.Evaluate(now)
	if err != nil || res.Requests != n || res.Fired != n || res.Queued != 2*n {
		t.Fatalf("storm tick: %+v, %v; want %d requests, %d fired, %d queued", res, err, n, n, 2*n)
	}
	seqs := map[uint64]bool{}
	for _, rcv := range []string{"am", "it-chat"} {
		items := outboxOf(t, s, rcv)
		if len(items) != n {
			t.Fatalf("%s has %d alerts, want %d", rcv, len(items), n)
		}
		for i, it := range items {
			if want := fmt.Sprintf("R%05d", i); it.Notice.RequestID != want || it.Notice.Stage != lifecycle.StageBreach {
				t.Fatalf("%s's alert %d is the %s of %s, want the breach of %s", rcv, i, it.Notice.Stage, it.Notice.RequestID, want)
			}
			if seqs[it.Seq] {
				t.Fatalf("sequence number %d given twice", it.Seq)
			}
			seqs[it.Seq] = true
		}
		want := n // am re-posts every breach; it-chat re-posts nothing
		if rcv == "it-chat" {
			want = 0
		}
		if f, _ := s.Firing(rcv); len(f) != want {
			t.Errorf("%s has %d firing alerts, want %d", rcv, len(f), want)
		}
	}
	if pending, _ := s.PendingAlerts(); pending["am"] != n || pending["it-chat"] != n {
		t.Errorf("pending = %v, want %d each", pending, n)
	}
	// Resolving one queues its "resolved" after every alert of the storm.
	clock.Set(now.Add(time.Minute))
	if _, err := s.Append(context.Background(), []sla.Event{slatest.Event("x", "R00000", sla.Resolved, now)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Evaluate(now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	items := outboxOf(t, s, "am")
	last := items[len(items)-1]
	if last.Notice.Stage != lifecycle.StageResolved || seqs[last.Seq] || last.Seq < uint64(2*n) {
		t.Errorf("after the storm am's last alert is %s #%d, want a resolved numbered after the storm's %d", last.Notice.Stage, last.Seq, 2*n)
	}
}

// A chunk of due requests is read and decided on outside the write
// transaction; the writer must not store a decision taken on a record
// that an event changed in between: the tick ends as if it had read the
// request after the event.
func TestARequestChangedBetweenTheReadAndTheWriteOfItsChunkIsDecidedOnAsItIsNow(t *testing.T) {
	ctx := context.Background()
	opened := []sla.Event{slatest.Event("o1", "R1", sla.Opened, slatest.T0), slatest.Event("o2", "R2", sla.Opened, slatest.T0)}
	// R1 was answered in time; R2 is resolved with its response breached.
	late := []sla.Event{slatest.Event("r1", "R1", sla.Responded, slatest.T0.Add(10*time.Minute)), slatest.Event("x2", "R2", sla.Resolved, slatest.T0.Add(50*time.Minute))}
	now := slatest.T0.Add(time.Hour) // both response targets breached when the chunk is read
	open := func() (*Store, *testutil.Clock) {
		clock := testutil.NewClock(slatest.T0)
		s := openTest(t, t.TempDir(), clock)
		if _, err := s.Append(ctx, opened); err != nil {
			t.Fatal(err)
		}
		clock.Set(now)
		return s, clock
	}
	// The twin hears of the events before its tick.
	twin, _ := open()
	if _, err := twin.Append(ctx, late); err != nil {
		t.Fatal(err)
	}
	want, err := twin.Evaluate(now)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := open()
	p := s.policy.Load()
	bound := dueBound(now)
	read := make(chan *evalChunkOf, 1)
	if _, err := s.readDue(p, bound, now, read, make(chan struct{})); err != nil {
		t.Fatal(err)
	}
	c := <-read
	if _, err := s.Append(ctx, late); err != nil {
		t.Fatal(err)
	}
	var got EvalResult
	if err := s.update(func(tx *bolt.Tx) error {
		var err error
		got, err = s.writeDue(tx, p, bound, c, now)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got.Fired != want.Fired || got.Queued != want.Queued {
		t.Errorf("the tick fired %d stages and queued %d alerts; a tick after the events fires %d and queues %d", got.Fired, got.Queued, want.Fired, want.Queued)
	}
	for _, id := range []string{"R1", "R2"} {
		if g, w := stagesOf(outboxOf(t, s, "am"), id), stagesOf(outboxOf(t, twin, "am"), id); !slices.Equal(g, w) {
			t.Errorf("am was sent %v about %s; a tick after the events sends %v", g, id, w)
		}
		g, err := s.Request(Ref{Provider: "it", ID: id})
		if err != nil {
			t.Fatal(err)
		}
		w, _ := twin.Request(Ref{Provider: "it", ID: id})
		if g.Request.Status != w.Request.Status || len(g.Events) != len(w.Events) || !reflect.DeepEqual(g.Fired, w.Fired) {
			t.Errorf("%s after the tick: %s, %d events, fired %v; a tick after the events leaves %s, %d events, fired %v", id, g.Request.Status, len(g.Events), g.Fired, w.Request.Status, len(w.Events), w.Fired)
		}
	}
}

// openStorm opens n requests of DeskPolicy whose deadlines run against
// their ids: request i opens at second (n-i)%60 before T0+1m, so that the
// deadline index holds them by second, and each second's every 60th id.
func openStorm(t *testing.T, s *Store, n int) {
	t.Helper()
	var batch []sla.Event
	for i := range n {
		at := slatest.T0.Add(time.Minute - time.Duration((n-i)%60)*time.Second)
		batch = append(batch, slatest.Event(fmt.Sprint("o", i), fmt.Sprintf("R%05d", i), sla.Opened, at))
	}
	if _, err := s.Append(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
}

func TestAStormIsQueuedInTheOrderOfItsRequestsIds(t *testing.T) {
	clock := testutil.NewClock(slatest.T0)
	s := openTest(t, t.TempDir(), clock)
	n := 150
	openStorm(t, s, n)
	now := slatest.T0.Add(time.Hour)
	clock.Set(now)
	if res, err := s.Evaluate(now); err != nil || res.Queued != 2*n {
		t.Fatalf("storm tick: %+v, %v; want %d queued", res, err, 2*n)
	}
	for _, rcv := range []string{"am", "it-chat"} {
		for i, it := range outboxOf(t, s, rcv) {
			if want := fmt.Sprintf("R%05d", i); it.Notice.RequestID != want {
				t.Fatalf("%s's alert %d is about %s, want %s: the storm is queued by request id", rcv, i, it.Notice.RequestID, want)
			}
		}
	}
}

// Due requests are taken in the order of their keys, not of their
// deadlines: then each chunk's commit writes the next stretch of the
// records' pages (and of the attention index, the notices and firing
// alerts), rather than a chunk's worth of requests scattered over all of
// them, and a storm writes each page about once. Counted in pages
// written, not in time: taken by deadline, this storm wrote 1.52 times the
// pages of the buckets it wrote to (the records' 4 times over), by key
// 1.21 times.
func TestAStormWritesThePagesOfItsRecordsAboutOnce(t *testing.T) {
	clock := testutil.NewClock(slatest.T0)
	s := openTest(t, t.TempDir(), clock)
	n := 4 * evalChunk
	openStorm(t, s, n)
	now := slatest.T0.Add(time.Hour)
	clock.Set(now)
	before := s.db.Stats()
	if res, err := s.Evaluate(now); err != nil || res.Requests != n {
		t.Fatalf("storm tick: %+v, %v", res, err)
	}
	after := s.db.Stats()
	written := after.TxStats.GetPageCount() - before.TxStats.GetPageCount()
	// The buckets the tick writes to, in pages after it; those it added
	// keys to in order are packed. The ranks of the requests needing
	// attention (attention_ranks, 184 pages here) are in the order of
	// their breaches, not of their keys: each chunk writes across them.
	// This storm wrote 3,509 pages, 3,242 before they were kept.
	pages := 0
	if err := s.db.View(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketRequests, bucketAttention, bucketAttentionRanks, bucketDeadlines, bucketBreachesBySLA, bucketNotices, bucketFiring, bucketOutbox, bucketNoticeBodies} {
			st := tx.Bucket(name).Stats()
			pages += st.BranchPageN + st.LeafPageN
			if full := float64(st.LeafInuse) / float64(st.LeafPageN*s.db.Info().PageSize); full < 0.6 && !bytes.Equal(name, bucketDeadlines) && !bytes.Equal(name, bucketRequests) && !bytes.Equal(name, bucketAttentionRanks) {
				t.Errorf("the %s bucket's pages are %.0f%% full; keys added in order should pack them", name, 100*full)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	t.Logf("the tick of %d requests wrote %d pages; the buckets it wrote to hold %d", n, written, pages)
	if float64(written) > 1.35*float64(pages) {
		t.Errorf("the tick of %d requests wrote %d pages, more than 1.35 times the %d of the buckets it wrote to", n, written, pages)
	}
}

// TestASettlingTickTakesWhatIsLeftOfItsBudget: a tick settles what the
// other due requests leave of its budget, and at least a tenth of it
// (one, for a budget under ten), so that settling goes on through ticks
// busy with alerts.
func TestATickTakesOfImportedHistoryWhatIsLeftOfItsBudget(t *testing.T) {
	for _, tc := range []struct{ perTick, urgent, want int }{
		{20_000, 0, 20_000},
		{20_000, 12_300, 7_700},
		{20_000, 18_000, 2_000},
		{20_000, 19_000, 2_000},
		{20_000, 500_000, 2_000},
		{7, 3, 4},
		{7, 7, 1},
		{1, 0, 1},
	} {
		if got := historyBudget(tc.perTick, tc.urgent); got != tc.want {
			t.Errorf("historyBudget(%d, %d) = %d, want %d", tc.perTick, tc.urgent, got, tc.want)
		}
	}
}

// Delivery is told of a long tick's alerts as each chunk of it commits,
// not after the last: the catch-up of a long downtime takes seconds. (A
// tick within the storm's target tells it at its end: here every tick is
// long.)
func TestALongTickTellsDeliveryOfEachChunksAlertsOnceCommitted(t *testing.T) {
	clock := testutil.NewClock(slatest.T0)
	obs := &secondCommit{}
	s, err := Open(Options{Dir: t.TempDir(), Policy: slatest.DeskPolicy(), Now: clock.Now, Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	s.tellDeliveryAfter = 0
	var batch []sla.Event
	for i := range evalChunk + 7 { // two chunks
		batch = append(batch, slatest.Event(fmt.Sprint("o", i), fmt.Sprintf("R%05d", i), sla.Opened, slatest.T0))
	}
	if _, err := s.Append(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	now := slatest.T0.Add(time.Hour) // every response target breached
	clock.Set(now)
	obs.told, obs.commits = s.OutboxChanged(), 0
	if res, err := s.Evaluate(now); err != nil || res.Queued == 0 || obs.commits != 2 {
		t.Fatalf("tick: %+v, %v, in %d commits; want alerts queued in 2", res, err, obs.commits)
	}
	if !obs.toldBySecond {
		t.Error("delivery was told of the first chunk's alerts only after the last chunk committed")
	}
}

// secondCommit notes whether told was closed when the second commit since
// it was set came.
type secondCommit struct {
	told         <-chan struct{}
	commits      int
	toldBySecond bool
}

func (o *secondCommit) Committed(time.Duration) {
	if o.commits++; o.commits == 2 {
		select {
		case <-o.told:
			o.toldBySecond = true
		default:
		}
	}
}

func (o *secondCommit) GroupCommitted(int) {}

// A stop that cannot wait for a long tick closes the store under it: what
// the tick then tries fails with an error the daemon tells from a fault.
func TestWhatATickDoesOnAClosedStoreFailsWithErrClosed(t *testing.T) {
	clock := testutil.NewClock(slatest.T0.Add(5 * time.Hour)) // R1's resolution breached
	s := openResponded(t, clock)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_, evalErr := s.Evaluate(clock.Now())
	_, releaseErr := s.ReleaseHeld(clock.Now())
	_, heldErr := s.HeldAfter(0, 10)
	for what, err := range map[string]error{"Evaluate": evalErr, "ReleaseHeld": releaseErr, "HeldAfter": heldErr} {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s on a closed store = %v, want an error matching ErrClosed", what, err)
		}
	}
}
