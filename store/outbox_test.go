package store

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

func TestOutboxDeliveryLifecycle(t *testing.T) {
	clock := testutil.NewClock(slatest.T0)
	s := openTest(t, t.TempDir(), clock)
	ctx := context.Background()
	if _, err := s.Append(ctx, []sla.Event{slatest.Event("e1", "R1", sla.Opened, slatest.T0), slatest.Event("e2", "R1", sla.Responded, slatest.T0)}); err != nil {
		t.Fatal(err)
	}
	changed := s.OutboxChanged()
	now := slatest.T0.Add(3 * time.Hour)
	if _, err := s.Evaluate(now); err != nil {
		t.Fatal(err)
	}
	select {
	case <-changed:
	default:
		t.Fatal("OutboxChanged not signalled")
	}
	items, _ := s.DueAlerts("it-chat", now, 10)
	if len(items) != 1 || items[0].Notice.Stage != lifecycle.StageWarning {
		t.Fatalf("due = %+v", items)
	}
	if err := s.Record([]Outcome{{Kind: OutcomeRetry, Item: items[0], Next: now.Add(time.Minute), Reason: "boom"}}); err != nil {
		t.Fatal(err)
	}
	if items, _ := s.DueAlerts("it-chat", now, 10); len(items) != 0 {
		t.Fatal("retried alert due too early")
	}
	next, ok, _ := s.NextAlertAt("it-chat")
	if !ok || !next.Equal(now.Add(time.Minute)) {
		t.Fatalf("next = %v %v", next, ok)
	}
	items, _ = s.DueAlerts("it-chat", now.Add(time.Minute), 10)
	if len(items) != 1 || items[0].Attempts != 1 {
		t.Fatalf("due after retry = %+v", items)
	}
	if err := s.Record([]Outcome{{Kind: OutcomeDelivered, Item: items[0], At: now}}); err != nil {
		t.Fatal(err)
	}
	if e, ok, _ := s.NotificationLog("it-chat", items[0].Notice.ID); !ok || !e.Delivered || e.Attempts != 2 {
		t.Fatalf("log = %+v %v", e, ok)
	}
	if n, _ := s.DropReceiver("am"); n != 1 {
		t.Fatalf("dropped %d, want 1", n)
	}
	if p, _ := s.PendingAlerts(); len(p) != 0 {
		t.Fatalf("pending = %v", p)
	}
}

// TestAReceiverGetsItsAlertsInOrder: an alert waiting for its retry holds
// back the newer ones of the same receiver, so a "resolved" never overtakes
// its breach.
func TestAReceiverGetsItsAlertsInOrder(t *testing.T) {
	clock := testutil.NewClock(slatest.T0)
	s := openTest(t, t.TempDir(), clock)
	ctx := context.Background()
	if _, err := s.Append(ctx, []sla.Event{slatest.Event("o", "R1", sla.Opened, slatest.T0), slatest.Event("r", "R1", sla.Responded, slatest.T0)}); err != nil {
		t.Fatal(err)
	}
	now := slatest.T0.Add(4*time.Hour + time.Minute)
	clock.Set(now)
	if _, err := s.Evaluate(now); err != nil { // the breach
		t.Fatal(err)
	}
	breach, err := s.DueAlerts("it-chat", now, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(breach) != 1 || breach[0].Notice.Stage != lifecycle.StageBreach {
		t.Fatalf("due = %+v", breach)
	}
	if err := s.Record([]Outcome{{Kind: OutcomeRetry, Item: breach[0], Next: now.Add(10 * time.Minute), Reason: "503"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, []sla.Event{slatest.Event("x", "R1", sla.Resolved, now)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Evaluate(now); err != nil { // the resolution
		t.Fatal(err)
	}
	if due, _ := s.DueAlerts("it-chat", now.Add(time.Minute), 10); len(due) != 0 {
		t.Fatalf("the resolution overtook the breach waiting for its retry: %+v", due)
	}
	due, _ := s.DueAlerts("it-chat", now.Add(10*time.Minute), 10)
	if len(due) != 2 || due[0].Notice.Stage != lifecycle.StageBreach || due[1].Notice.Stage != lifecycle.StageResolved {
		t.Fatalf("after the retry time: %+v, want the breach then the resolution", due)
	}
}

// scanPending counts the outbox by receiver the slow way, to check the
// counts PendingAlerts reads.
func scanPending(t *testing.T, s *Store) map[string]int {
	t.Helper()
	out := map[string]int{}
	if err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketOutbox).ForEach(func(k, _ []byte) error {
			receiver, _, _ := cutLP(k)
			out[receiver]++
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// countedPending reads the per-receiver counts as stored, without
// PendingAlerts.
func countedPending(t *testing.T, s *Store) map[string]int {
	t.Helper()
	out := map[string]int{}
	if err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketPending)
		if b == nil {
			return errors.New("no pending counts bucket")
		}
		return b.ForEach(func(k, _ []byte) error {
			out[string(k)] = int(getUint(b, k))
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestPendingCountsFollowTheOutbox: the counts a scrape reads are kept in
// the transactions that queue, deliver, give up, retry and drop alerts.
func TestPendingCountsFollowTheOutbox(t *testing.T) {
	clock := testutil.NewClock(slatest.T0)
	s := openTest(t, t.TempDir(), clock)
	check := func(step string) {
		t.Helper()
		want := scanPending(t, s)
		if got := countedPending(t, s); !maps.Equal(got, want) {
			t.Fatalf("%s: stored counts %v, outbox holds %v", step, got, want)
		}
		if got, err := s.PendingAlerts(); err != nil || !maps.Equal(got, want) {
			t.Fatalf("%s: PendingAlerts = %v, %v; outbox holds %v", step, got, err, want)
		}
	}
	var batch []sla.Event
	for i := range 3 {
		id := fmt.Sprint("R", i)
		batch = append(batch, slatest.Event(id+"o", id, sla.Opened, slatest.T0))
	}
	if _, err := s.Append(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	check("before any alert")
	now := slatest.T0.Add(5*time.Hour + 10*time.Minute)
	clock.Set(now)
	if _, err := s.Evaluate(now); err != nil {
		t.Fatal(err)
	}
	check("after the tick")
	items := outboxOf(t, s, "it-chat")
	if err := s.Record([]Outcome{
		{Kind: OutcomeDelivered, Item: items[0], At: now},
		{Kind: OutcomeGiveUp, Item: items[1], At: now, Reason: "rejected"},
		{Kind: OutcomeRetry, Item: items[2], At: now, Next: now.Add(time.Minute), Reason: "503"},
		{Kind: OutcomeDelivered, Item: items[0], At: now}, // already gone: skipped
	}); err != nil {
		t.Fatal(err)
	}
	check("after recording outcomes")
	if _, err := s.DropReceiver("am"); err != nil {
		t.Fatal(err)
	}
	check("after dropping a receiver")
}

func TestRecordWritesABatchOfOutcomesAllOrNone(t *testing.T) {
	clock := testutil.NewClock(slatest.T0)
	s := openTest(t, t.TempDir(), clock)
	if _, err := s.Append(context.Background(), []sla.Event{
		slatest.Event("o1", "R1", sla.Opened, slatest.T0), slatest.Event("o2", "R2", sla.Opened, slatest.T0),
	}); err != nil {
		t.Fatal(err)
	}
	now := slatest.T0.Add(31 * time.Minute)
	clock.Set(now)
	if _, err := s.Evaluate(now); err != nil {
		t.Fatal(err)
	}
	items := outboxOf(t, s, "am")
	if len(items) != 2 {
		t.Fatalf("queued for am: %+v, want two breaches of the response target", items)
	}
	err := s.Record([]Outcome{{Kind: OutcomeDelivered, Item: items[0], At: now}, {Item: items[1]}})
	if err == nil {
		t.Fatal("an outcome of no kind was recorded")
	}
	if got := outboxOf(t, s, "am"); len(got) != 2 {
		t.Fatalf("a failed batch removed alerts: %d left, want 2", len(got))
	}
	if err := s.Record([]Outcome{
		{Kind: OutcomeDelivered, Item: items[0], At: now},
		{Kind: OutcomeRetry, Item: items[1], At: now, Next: now.Add(time.Minute), Reason: "503"},
	}); err != nil {
		t.Fatal(err)
	}
	if e, ok, _ := s.NotificationLog("am", items[0].Notice.ID); !ok || !e.Delivered || e.Attempts != 1 || !e.At.Equal(now) {
		t.Errorf("log of the delivered alert = %+v, %v", e, ok)
	}
	left := outboxOf(t, s, "am")
	if len(left) != 1 || left[0].Seq != items[1].Seq || left[0].Attempts != 1 || left[0].LastError != "503" || !left[0].NextAttempt.Equal(now.Add(time.Minute)) {
		t.Errorf("after the batch the outbox holds %+v, want the retried alert due a minute later", left)
	}
}

// TestASchema8DatabaseCountsItsPendingAlerts: the upgrade fills the
// counts from the outbox once.
func TestASchema8DatabaseCountsItsPendingAlerts(t *testing.T) {
	dir := t.TempDir()
	clock := testutil.NewClock(slatest.T0)
	s, err := Open(Options{Dir: dir, Policy: slatest.DeskPolicy(), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(context.Background(), []sla.Event{slatest.Event("o1", "R1", sla.Opened, slatest.T0)}); err != nil {
		t.Fatal(err)
	}
	now := slatest.T0.Add(5*time.Hour + 10*time.Minute)
	if _, err := s.Evaluate(now); err != nil {
		t.Fatal(err)
	}
	want := scanPending(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	rewind(t, dir, 8, func(tx *bolt.Tx) error { return tx.DeleteBucket(bucketPending) })
	s = openTest(t, dir, clock)
	if got, err := s.PendingAlerts(); err != nil || !maps.Equal(got, want) || len(got) != 3 {
		t.Fatalf("after the upgrade PendingAlerts = %v, %v; want %v (three receivers)", got, err, want)
	}
}
