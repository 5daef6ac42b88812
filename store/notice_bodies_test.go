package store

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// noticeRefs checks that every stored notice is referred to by as many
// outbox items and firing alerts as its count says, and that every one of
// them refers to a stored notice; it returns the counts.
func noticeRefs(t *testing.T, s *Store) map[uint64]uint64 {
	t.Helper()
	stored, referred := map[uint64]uint64{}, map[uint64]uint64{}
	if err := s.db.View(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketNoticeBodies).ForEach(func(k, v []byte) error {
			refs, _, err := decodeBody(0, v)
			stored[seqFromKey(k)] = refs
			return err
		}); err != nil {
			return err
		}
		for _, b := range [][]byte{bucketOutbox, bucketFiring} {
			if err := tx.Bucket(b).ForEach(func(k, v []byte) error {
				seq, err := noticeRef(string(b), v)
				referred[seq]++
				return err
			}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(stored, referred) {
		t.Errorf("stored notices and their reference counts %v; the outbox and the firing alerts refer to %v", stored, referred)
	}
	return stored
}

func seqFromKey(k []byte) uint64 {
	var n uint64
	for _, b := range k {
		n = n<<8 | uint64(b)
	}
	return n
}

func TestABreachIsStoredOnceForEveryReceiverAndGoesWithItsLastReference(t *testing.T) {
	clock := testutil.NewClock(slatest.T0)
	s := openResponded(t, clock)
	ctx := context.Background()
	// Past the resolution target and its 50% warning: only the breach is
	// sent (to am and it-chat), and is firing for am, which re-posts it.
	now := slatest.T0.Add(4*time.Hour + 10*time.Minute)
	clock.Set(now)
	if res, err := s.Evaluate(now); err != nil || res.Fired != 1 || res.Queued != 2 {
		t.Fatalf("breach tick: %+v, %v; want one stage fired, queued for 2 receivers", res, err)
	}
	if refs := noticeRefs(t, s); len(refs) != 1 || refs[1] != 3 {
		t.Fatalf("stored notices %v; want the breach once, referred to by 2 outbox items and am's firing alert", refs)
	}
	for _, rcv := range []string{"am", "it-chat"} {
		items := outboxOf(t, s, rcv)
		if len(items) != 1 || items[0].Notice.Stage != lifecycle.StageBreach || items[0].Notice.RequestID != "R1" {
			t.Fatalf("%s's outbox: %+v; want R1's breach", rcv, items)
		}
		firing, _ := s.Firing(rcv)
		if rcv == "am" && (len(firing) != 1 || firing[0] != items[0].Notice) {
			t.Fatalf("am's firing alerts %+v; want the breach it was sent, %+v", firing, items[0].Notice)
		}
		if rcv == "it-chat" && len(firing) != 0 {
			t.Fatalf("it-chat re-posts nothing, yet %+v are firing for it", firing)
		}
		if err := s.Record([]Outcome{{Kind: OutcomeDelivered, Item: items[0], At: now}}); err != nil {
			t.Fatal(err)
		}
	}
	if refs := noticeRefs(t, s); refs[1] != 1 {
		t.Fatalf("after both deliveries the breach is referred to %d times; want 1 (am's firing alert)", refs[1])
	}
	// Resolved: the next tick ends the breach's firing and sends the
	// resolved; once that has left the outbox nothing is left.
	now = now.Add(time.Minute)
	clock.Set(now)
	if _, err := s.Append(ctx, []sla.Event{slatest.Event("x", "R1", sla.Resolved, now)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Evaluate(now); err != nil {
		t.Fatal(err)
	}
	if refs := noticeRefs(t, s); len(refs) != 1 || refs[2] != 2 {
		t.Fatalf("after the resolution the stored notices are %v; want only the resolved, for 2 receivers", refs)
	}
	for _, rcv := range []string{"am", "it-chat"} {
		items := outboxOf(t, s, rcv)
		if len(items) != 1 || items[0].Notice.Stage != lifecycle.StageResolved {
			t.Fatalf("%s's outbox: %+v; want the resolved", rcv, items)
		}
		if err := s.Record([]Outcome{{Kind: OutcomeGiveUp, Item: items[0], Reason: "test"}}); err != nil {
			t.Fatal(err)
		}
		if e, ok, _ := s.NotificationLog(rcv, items[0].Notice.ID); !ok || e.Delivered || e.Request != "R1" {
			t.Errorf("%s's log of the resolved: %+v, %v", rcv, e, ok)
		}
	}
	if refs := noticeRefs(t, s); len(refs) != 0 {
		t.Errorf("every alert left the outbox and none is firing, yet notices %v are stored", refs)
	}
}

func TestDroppingAReceiverTakesBackItsReferencesOnly(t *testing.T) {
	clock := testutil.NewClock(slatest.T0)
	s := openTest(t, t.TempDir(), clock)
	var batch []sla.Event
	for i := range 5 {
		id := fmt.Sprint("R", i)
		batch = append(batch, slatest.Event(id+"o", id, sla.Opened, slatest.T0), slatest.Event(id+"r", id, sla.Responded, slatest.T0.Add(time.Minute)))
	}
	if _, err := s.Append(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	now := slatest.T0.Add(4*time.Hour + 10*time.Minute)
	clock.Set(now)
	if _, err := s.Evaluate(now); err != nil {
		t.Fatal(err)
	}
	if n, err := s.DropReceiver("am"); n != 5 || err != nil {
		t.Fatalf("dropped %d of am's alerts, %v; want 5", n, err)
	}
	refs := noticeRefs(t, s)
	if len(refs) != 5 {
		t.Fatalf("stored notices %v; want the 5 breaches it-chat still has", refs)
	}
	for seq, n := range refs {
		if n != 1 {
			t.Errorf("notice %d is referred to %d times; want 1 (it-chat's item; am's item and firing alert went)", seq, n)
		}
	}
	for _, it := range outboxOf(t, s, "it-chat") {
		if it.Notice.Stage != lifecycle.StageBreach {
			t.Errorf("it-chat's alert %d is a %s", it.Seq, it.Notice.Stage)
		}
	}
}

func TestARetriedAlertKeepsItsNoticeAndCountsItsAttempts(t *testing.T) {
	clock := testutil.NewClock(slatest.T0)
	s := openTest(t, t.TempDir(), clock)
	if _, err := s.Append(context.Background(), []sla.Event{slatest.Event("o", "R1", sla.Opened, slatest.T0)}); err != nil {
		t.Fatal(err)
	}
	now := slatest.T0.Add(31 * time.Minute)
	if _, err := s.Evaluate(now); err != nil {
		t.Fatal(err)
	}
	first := outboxOf(t, s, "am")
	if len(first) != 1 {
		t.Fatalf("am's outbox: %+v", first)
	}
	next := now.Add(90*time.Second + 250*time.Millisecond)
	reason := "503 Service Unavailable: « réessayez »"
	for range 2 {
		items := outboxOf(t, s, "am")
		if err := s.Record([]Outcome{{Kind: OutcomeRetry, Item: items[0], At: now, Next: next.In(time.FixedZone("CET", 3600)), Reason: reason}}); err != nil {
			t.Fatal(err)
		}
	}
	got := outboxOf(t, s, "am")
	want := first[0]
	want.Attempts, want.NextAttempt, want.LastError = 2, next.UTC(), reason
	if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Errorf("after two retries am's outbox holds\n%+v\nwant\n%+v", got, want)
	}
	noticeRefs(t, s)
}

func TestAnOutboxItemKeepsItsTimesToTheNanosecond(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 30, 0, 123456789, time.FixedZone("CET", 3600))
	for _, e := range []outboxEntry{
		{notice: 1, created: at.UTC(), nextAttempt: at.UTC()},
		{notice: 1<<64 - 1, created: at.UTC(), nextAttempt: at.Add(36 * time.Hour).UTC(), attempts: 300, lastError: "naïve \x00 error"},
		{notice: 7, created: time.Unix(0, 0).UTC(), nextAttempt: time.Date(2200, 1, 1, 0, 0, 0, 999999999, time.UTC)},
	} {
		got, err := decodeOutboxEntry(e.encode())
		if err != nil || !reflect.DeepEqual(got, e) {
			t.Errorf("%+v came back as %+v, %v", e, got, err)
		}
	}
	if _, err := decodeOutboxEntry([]byte(`{"seq":1}`)); err == nil {
		t.Error("a value too short for an item decoded")
	}
}

// toUnsharedNotices turns the notices of schema 12 back into the layout
// before it: each outbox item and firing alert holds its notice as JSON.
func toUnsharedNotices(tx *bolt.Tx) error {
	if err := rewriteValues(tx.Bucket(bucketOutbox), func(k, v []byte) ([]byte, error) {
		it, err := loadOutboxItem(tx, k, v)
		if err != nil {
			return nil, err
		}
		return json.Marshal(it)
	}); err != nil {
		return err
	}
	if err := rewriteValues(tx.Bucket(bucketFiring), func(k, v []byte) ([]byte, error) {
		seq, err := noticeRef("firing", v)
		if err != nil {
			return nil, err
		}
		n, err := loadNotice(tx, seq)
		if err != nil {
			return nil, err
		}
		return json.Marshal(n)
	}); err != nil {
		return err
	}
	if err := tx.Bucket(bucketMeta).Delete(keyNoticeSeq); err != nil {
		return err
	}
	return tx.DeleteBucket(bucketNoticeBodies)
}

func TestASchema11OutboxAndFiringAlertsKeepEveryNoticeWhenStoredOnce(t *testing.T) {
	dir := t.TempDir()
	clock := testutil.NewClock(slatest.T0)
	s := openTest(t, dir, clock)
	ctx := context.Background()
	var batch []sla.Event
	for i := range 3 {
		id := fmt.Sprint("R", i)
		batch = append(batch, slatest.Event(id+"o", id, sla.Opened, slatest.T0), slatest.Event(id+"r", id, sla.Responded, slatest.T0.Add(time.Minute)))
	}
	if _, err := s.Append(ctx, batch); err != nil {
		t.Fatal(err)
	}
	for _, h := range []time.Duration{2*time.Hour + time.Minute, 4*time.Hour + time.Minute} { // warnings, then breaches
		clock.Set(slatest.T0.Add(h))
		if _, err := s.Evaluate(clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	items := outboxOf(t, s, "it-chat")
	if len(items) < 6 {
		t.Fatalf("it-chat's outbox: %d alerts; want a warning and a breach of each request", len(items))
	}
	if err := s.Record([]Outcome{{Kind: OutcomeRetry, Item: items[0], At: clock.Now(), Next: clock.Now().Add(time.Minute), Reason: "timeout"}}); err != nil {
		t.Fatal(err)
	}
	want := map[string][]OutboxItem{}
	wantFiring := map[string][]lifecycle.Notice{}
	for _, rcv := range []string{"am", "it-chat"} {
		want[rcv] = outboxOf(t, s, rcv)
		wantFiring[rcv], _ = s.Firing(rcv)
	}
	pending, _ := s.PendingAlerts()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	rewind(t, dir, 11, nil)

	s = openTest(t, dir, clock)
	for _, rcv := range []string{"am", "it-chat"} {
		if got := outboxOf(t, s, rcv); !reflect.DeepEqual(got, want[rcv]) {
			t.Errorf("%s's outbox after the migration:\n%+v\nwant\n%+v", rcv, got, want[rcv])
		}
		if got, _ := s.Firing(rcv); !reflect.DeepEqual(got, wantFiring[rcv]) || len(got) != 3 && rcv == "am" {
			t.Errorf("%s's firing alerts after the migration:\n%+v\nwant\n%+v (am's: the 3 breaches)", rcv, got, wantFiring[rcv])
		}
	}
	if got, _ := s.PendingAlerts(); !maps.Equal(got, pending) {
		t.Errorf("pending after the migration %v, want %v", got, pending)
	}
	noticeRefs(t, s)
	// Numbering goes on after the migrated notices: a new one is not
	// taken for one of them.
	clock.Set(clock.Now().Add(time.Minute))
	if _, err := s.Append(ctx, []sla.Event{slatest.Event("x", "R0", sla.Resolved, clock.Now())}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Evaluate(clock.Now()); err != nil {
		t.Fatal(err)
	}
	noticeRefs(t, s)
	if got, _ := s.Firing("am"); len(got) != 2 {
		t.Errorf("after R0's resolution am has %d firing alerts, want 2", len(got))
	}
}
