package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/sla"
)

// testPolicy: IT resolves Sales' incidents in 4h (P1) / 1d (P2) on 24x7,
// responds in 30m, warns at 50%, escalates 1h after the breach.
func testPolicy() *sla.Policy {
	s := &sla.SLA{
		ID: "it-sales", Description: "IT fixes Sales incidents", Provider: "it", Customers: []string{"sales"},
		Calendar:   sla.AlwaysOpen(),
		Response:   sla.Target{Default: 30 * time.Minute},
		Resolution: sla.Target{ByPriority: map[string]time.Duration{"P1": 4 * time.Hour, "P2": 24 * time.Hour}},
		Objective:  0.95, Window: sla.Window{Kind: sla.Rolling, Days: 30},
		PauseOn:  []string{"waiting_for_customer"},
		WarnAt:   []float64{0.5},
		Escalate: []sla.Escalation{{After: time.Hour, Notify: []string{"boss"}}},
		Notify:   []string{"am"},
	}
	return &sla.Policy{
		SLAs: []*sla.SLA{s},
		Departments: map[string]*sla.Department{
			"it":    {ID: "it", Notify: []string{"it-chat"}},
			"sales": {ID: "sales"},
		},
		Calendars: map[string]*sla.Calendar{},
	}
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func openTest(t *testing.T, dir string, clock *fakeClock) *Store {
	t.Helper()
	s, err := Open(Options{Dir: dir, Policy: testPolicy(), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func ev(id, req string, typ sla.EventType, at time.Time, mod ...func(*sla.Event)) sla.Event {
	e := sla.Event{ID: id, Request: req, Type: typ, At: at}
	if typ == sla.Opened {
		e.Provider, e.Customer, e.Priority = "it", "sales", "P1"
	}
	for _, m := range mod {
		m(&e)
	}
	return e
}

func TestAppendIsIdempotentByEventID(t *testing.T) {
	clock := &fakeClock{t: t0.Add(time.Hour)}
	s := openTest(t, t.TempDir(), clock)
	ctx := context.Background()
	batch := []sla.Event{ev("e1", "R1", sla.Opened, t0), ev("e2", "R1", sla.Responded, t0.Add(10*time.Minute))}
	res, err := s.Append(ctx, batch)
	if err != nil || res != (IngestResult{Accepted: 2}) {
		t.Fatalf("first append: %+v, %v", res, err)
	}
	res, err = s.Append(ctx, append(batch, batch[0]))
	if err != nil || res != (IngestResult{Duplicates: 3}) {
		t.Fatalf("second append: %+v, %v", res, err)
	}
	v, err := s.Request("R1")
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Events) != 2 {
		t.Fatalf("events = %d, want 2", len(v.Events))
	}
	resp := v.Request.Clock("it-sales", sla.Response)
	if resp == nil || resp.State() != sla.StateMet || resp.Elapsed != 10*time.Minute {
		t.Fatalf("response clock = %+v", resp)
	}
	res2 := v.Request.Clock("it-sales", sla.Resolution)
	if res2 == nil || res2.At(clock.Now(), sla.AlwaysOpen()).Elapsed != time.Hour {
		t.Fatalf("resolution clock = %+v (want an hour elapsed by now)", res2)
	}
}

func TestEvaluateFiresOnceAndCatchesUp(t *testing.T) {
	clock := &fakeClock{t: t0}
	s := openTest(t, t.TempDir(), clock)
	ctx := context.Background()
	if _, err := s.Append(ctx, []sla.Event{ev("e1", "R1", sla.Opened, t0), ev("e2", "R1", sla.Responded, t0.Add(time.Minute))}); err != nil {
		t.Fatal(err)
	}
	// Nothing due yet.
	if res, err := s.Evaluate(t0.Add(time.Minute)); err != nil || res.Fired != 0 {
		t.Fatalf("early evaluate: %+v %v", res, err)
	}
	// Down until 5h10m later: breached (4h) and escalated (5h); the 50%
	// warning is stale and skipped.
	now := t0.Add(5*time.Hour + 10*time.Minute)
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
	if _, err := s.Append(ctx, []sla.Event{ev("e3", "R1", sla.Resolved, now.Add(time.Minute))}); err != nil {
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
	w, _ := s.WindowFigures("it-sales", sla.DateOf(t0).AddDays(-29), sla.DateOf(t0))
	if got := w.Targets[sla.Resolution]; got != (sla.Tally{Breached: 1}) {
		t.Fatalf("window tally = %+v", got)
	}
	br, _, _ := s.Breaches(BreachQuery{})
	if len(br) != 1 || br[0].Request != "R1" || !br[0].BreachedAt.Equal(t0.Add(4*time.Hour+time.Second)) {
		t.Fatalf("breaches = %+v", br)
	}
}

func TestOutboxDeliveryLifecycle(t *testing.T) {
	clock := &fakeClock{t: t0}
	s := openTest(t, t.TempDir(), clock)
	ctx := context.Background()
	s.Append(ctx, []sla.Event{ev("e1", "R1", sla.Opened, t0), ev("e2", "R1", sla.Responded, t0)})
	changed := s.OutboxChanged()
	now := t0.Add(3 * time.Hour)
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

func TestSecondOpenFailsFastWithLockMessage(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, &fakeClock{t: t0})
	_ = s
	start := time.Now()
	_, err := Open(Options{Dir: dir, Policy: testPolicy(), LockTimeout: 200 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("err = %v, want ErrLocked", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatal("second open hung")
	}
}

func TestGroupCommitManyWriters(t *testing.T) {
	clock := &fakeClock{t: t0.Add(time.Hour)}
	s := openTest(t, t.TempDir(), clock)
	var wg sync.WaitGroup
	for w := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				req := fmt.Sprintf("R%d-%d", w, i)
				if _, err := s.Append(context.Background(), []sla.Event{ev(req+"o", req, sla.Opened, t0)}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	c, _ := s.Counters()
	if n := c.Open[[3]string{"it-sales", "it", "sales"}]; n != 200 {
		t.Fatalf("open = %d, want 200", n)
	}
	var buf bytes.Buffer
	n, err := s.Backup(context.Background(), &buf, nil)
	if err != nil || n != int64(buf.Len()) || n == 0 {
		t.Fatalf("backup: %d %v", n, err)
	}
}

// TestAReceiverGetsItsAlertsInOrder: an alert waiting for its retry holds
// back the newer ones of the same receiver, so a "resolved" never overtakes
// its breach.
func TestAReceiverGetsItsAlertsInOrder(t *testing.T) {
	clock := &fakeClock{t: t0}
	s := openTest(t, t.TempDir(), clock)
	ctx := context.Background()
	s.Append(ctx, []sla.Event{ev("o", "R1", sla.Opened, t0), ev("r", "R1", sla.Responded, t0)})
	now := t0.Add(4*time.Hour + time.Minute)
	clock.Set(now)
	s.Evaluate(now) // the breach
	breach, _ := s.DueAlerts("it-chat", now, 10)
	if len(breach) != 1 || breach[0].Notice.Stage != lifecycle.StageBreach {
		t.Fatalf("due = %+v", breach)
	}
	s.Retry(breach[0], now.Add(10*time.Minute), "503")
	s.Append(ctx, []sla.Event{ev("x", "R1", sla.Resolved, now)})
	s.Evaluate(now) // the resolution
	if due, _ := s.DueAlerts("it-chat", now.Add(time.Minute), 10); len(due) != 0 {
		t.Fatalf("the resolution overtook the breach waiting for its retry: %+v", due)
	}
	due, _ := s.DueAlerts("it-chat", now.Add(10*time.Minute), 10)
	if len(due) != 2 || due[0].Notice.Stage != lifecycle.StageBreach || due[1].Notice.Stage != lifecycle.StageResolved {
		t.Fatalf("after the retry time: %+v, want the breach then the resolution", due)
	}
}
