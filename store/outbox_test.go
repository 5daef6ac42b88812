package store

import (
	"context"
	"testing"
	"time"

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
	if err := s.Retry(items[0], now.Add(time.Minute), "boom"); err != nil {
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
	if err := s.Delivered(items[0], now); err != nil {
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
	if err := s.Retry(breach[0], now.Add(10*time.Minute), "503"); err != nil {
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
