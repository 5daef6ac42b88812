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
	"github.com/slad-project/slad/sla/slatest"
)

func openTest(t *testing.T, dir string, clock *testutil.Clock) *Store {
	t.Helper()
	s, err := Open(Options{Dir: dir, Policy: slatest.DeskPolicy(), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// outboxOf returns every pending item of a receiver, oldest first.
func outboxOf(t *testing.T, s *Store, receiver string) []OutboxItem {
	t.Helper()
	items, err := s.DueAlerts(receiver, slatest.T0.Add(365*24*time.Hour), 1<<20)
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
	clock := testutil.NewClock(slatest.T0.Add(time.Hour))
	s := openTest(t, t.TempDir(), clock)
	ctx := context.Background()
	batch := []sla.Event{slatest.Event("e1", "R1", sla.Opened, slatest.T0), slatest.Event("e2", "R1", sla.Responded, slatest.T0.Add(10*time.Minute))}
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
	s := openTest(t, dir, testutil.NewClock(slatest.T0))
	_ = s
	start := time.Now()
	_, err := Open(Options{Dir: dir, Policy: slatest.DeskPolicy(), LockTimeout: 200 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("err = %v, want ErrLocked", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatal("second open hung")
	}
}

func TestGroupCommitManyWriters(t *testing.T) {
	clock := testutil.NewClock(slatest.T0.Add(time.Hour))
	s := openTest(t, t.TempDir(), clock)
	var wg sync.WaitGroup
	for w := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				req := fmt.Sprintf("R%d-%d", w, i)
				if _, err := s.Append(context.Background(), []sla.Event{slatest.Event(req+"o", req, sla.Opened, slatest.T0)}); err != nil {
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
