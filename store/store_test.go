package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/slad-project/slad/internal/testutil"
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

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func openTest(t *testing.T, dir string, clock *testutil.Clock) *Store {
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

func waitingForCustomer(e *sla.Event) { e.Reason = "waiting_for_customer" }

// outboxOf returns every pending item of a receiver, oldest first.
func outboxOf(t *testing.T, s *Store, receiver string) []OutboxItem {
	t.Helper()
	items, err := s.DueAlerts(receiver, t0.Add(365*24*time.Hour), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	return items
}

// stagesOf lists the queued items about a request as "stage key/target".
func stagesOf(items []OutboxItem, request string) []string {
	var out []string
	for _, it := range items {
		if it.Notice.RequestID == request {
			out = append(out, it.Notice.StageKey+"/"+string(it.Notice.Target))
		}
	}
	return out
}

func TestAppendIsIdempotentByEventID(t *testing.T) {
	clock := testutil.NewClock(t0.Add(time.Hour))
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

func TestSecondOpenFailsFastWithLockMessage(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, testutil.NewClock(t0))
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
	clock := testutil.NewClock(t0.Add(time.Hour))
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
