package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// openPolicy opens a store in dir under p, its clock clock, closed when
// the test ends.
func openPolicy(t testing.TB, dir string, clock *testutil.Clock, p *sla.Policy) *Store {
	t.Helper()
	s, err := Open(Options{Dir: dir, Policy: p, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// openTest opens a store under slatest.DeskPolicy.
func openTest(t *testing.T, dir string, clock *testutil.Clock) *Store {
	return openPolicy(t, dir, clock, slatest.DeskPolicy())
}

// openResponded is openTest holding one request, R1, opened at slatest.T0
// and answered a minute later: only its resolution clock runs.
func openResponded(t *testing.T, clock *testutil.Clock) *Store {
	t.Helper()
	s := openTest(t, t.TempDir(), clock)
	if _, err := s.Append(context.Background(), []sla.Event{slatest.Event("o", "R1", sla.Opened, slatest.T0), slatest.Event("r", "R1", sla.Responded, slatest.T0.Add(time.Minute))}); err != nil {
		t.Fatal(err)
	}
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
	v, err := s.Request(Ref{Provider: "it", ID: "R1"})
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

// TestAnIDReusedForAnotherEventRefusesTheBatch (issue 9, item 2): a
// bridge that sends {"id":"e1","type":"resolved"} after e1 was an "opened"
// must hear of it, not lose its resolution as a "duplicate".
func TestAnIDReusedForAnotherEventRefusesTheBatch(t *testing.T) {
	opened := slatest.Event("e1", "R1", sla.Opened, slatest.T0)
	tests := map[string]struct {
		stored []sla.Event // appended first
		batch  []sla.Event
		index  int
	}{
		"a stored id sent again for a resolution": {
			stored: []sla.Event{opened},
			batch:  []sla.Event{slatest.Event("e2", "R2", sla.Opened, slatest.T0), slatest.Event("e1", "R1", sla.Resolved, slatest.T0.Add(time.Hour))},
			index:  1,
		},
		"a stored id sent again a second later": {
			stored: []sla.Event{opened},
			batch:  []sla.Event{slatest.Event("e1", "R1", sla.Opened, slatest.T0.Add(time.Second))},
		},
		"an id used twice within one batch": {
			batch: []sla.Event{opened, slatest.Event("e1", "R1", sla.Resolved, slatest.T0.Add(time.Hour))},
			index: 1,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			s := openTest(t, t.TempDir(), testutil.NewClock(slatest.T0.Add(2*time.Hour)))
			ctx := context.Background()
			if tt.stored != nil {
				if _, err := s.Append(ctx, tt.stored); err != nil {
					t.Fatal(err)
				}
			}
			res, err := s.Append(ctx, tt.batch)
			ce, ok := errors.AsType[*ConflictError](err)
			if !ok || !errors.Is(err, ErrConflict) {
				t.Fatalf("Append = %+v, %v; want a *ConflictError", res, err)
			}
			sent := tt.batch[tt.index]
			if ce.Index != tt.index || ce.Stored.Differences(&opened) != nil || ce.Sent.Differences(&sent) != nil {
				t.Errorf("conflict = %+v; want event %d, stored %+v, sent %+v", ce, tt.index, opened, sent)
			}
			for _, word := range []string{`"e1"`, `"type":"opened"`, "stored", "sent"} {
				if !strings.Contains(err.Error(), word) {
					t.Errorf("the error %q does not name %s", err, word)
				}
			}
			wantEvents := len(tt.stored)
			v, err := s.Request(Ref{Provider: "it", ID: "R1"})
			switch {
			case wantEvents == 0 && !errors.Is(err, ErrNotFound):
				t.Errorf("request R1 = %+v, %v; want nothing of the batch stored", v, err)
			case wantEvents > 0 && (err != nil || len(v.Events) != wantEvents || v.Request.Status != sla.StatusOpen):
				t.Errorf("request R1 = %+v, %v; want only the stored event", v, err)
			}
			if _, err := s.Request(Ref{Provider: "it", ID: "R2"}); !errors.Is(err, ErrNotFound) {
				t.Errorf("request R2 of the refused batch was stored (%v)", err)
			}
		})
	}
}

// TestAnIdenticalRepeatIsADuplicateWhateverItsOffset: the same event sent
// again, its time written at another offset, is a duplicate.
func TestAnIdenticalRepeatIsADuplicateWhateverItsOffset(t *testing.T) {
	s := openTest(t, t.TempDir(), testutil.NewClock(slatest.T0.Add(time.Hour)))
	e := slatest.Event("e1", "R1", sla.Opened, slatest.T0)
	e.Labels = map[string]string{"site": "berlin"}
	if _, err := s.Append(context.Background(), []sla.Event{e}); err != nil {
		t.Fatal(err)
	}
	e.At = e.At.In(time.FixedZone("", 3600))
	e.Labels = map[string]string{"site": "berlin"}
	res, err := s.Append(context.Background(), []sla.Event{e})
	if err != nil || res != (IngestResult{Duplicates: 1}) {
		t.Fatalf("repeat = %+v, %v; want one duplicate", res, err)
	}
}

// TestAConflictFailsOnlyItsOwnBatchOfAGroupCommit: batches committed
// together are not refused with the one that reused an id.
func TestAConflictFailsOnlyItsOwnBatchOfAGroupCommit(t *testing.T) {
	s := openTest(t, t.TempDir(), testutil.NewClock(slatest.T0.Add(time.Hour)))
	ctx := context.Background()
	if _, err := s.Append(ctx, []sla.Event{slatest.Event("e1", "R1", sla.Opened, slatest.T0)}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Go(func() {
			e := slatest.Event(fmt.Sprint("o", i), fmt.Sprint("R", i+2), sla.Opened, slatest.T0)
			if i == 7 {
				e = slatest.Event("e1", "R1", sla.Cancelled, slatest.T0)
			}
			_, errs[i] = s.Append(ctx, []sla.Event{e})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if (i == 7) != errors.Is(err, ErrConflict) {
			t.Errorf("batch %d: %v", i, err)
		}
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

// TestKnownTellsOpeningsAndRepeatsOfABatch: the one read that checks a
// batch before it is appended knows how each stored request opened (not a
// pending one) and which events are already stored.
func TestKnownTellsOpeningsAndRepeatsOfABatch(t *testing.T) {
	s := openTest(t, t.TempDir(), testutil.NewClock(slatest.T0.Add(time.Hour)))
	stored := []sla.Event{
		slatest.Event("o1", "R1", sla.Opened, slatest.T0),
		slatest.Event("r2", "R2", sla.Resolved, slatest.T0), // R2 waits for its opening
	}
	if _, err := s.Append(context.Background(), stored); err != nil {
		t.Fatal(err)
	}
	batch := append(stored, slatest.Event("x1", "R1", sla.Responded, slatest.T0.Add(time.Minute)), slatest.Event("o3", "R3", sla.Opened, slatest.T0))
	k, err := s.Known(batch, AnyProvider)
	if err != nil {
		t.Fatal(err)
	}
	if o := k.Openings[Ref{Provider: "it", ID: "R1"}]; len(k.Openings) != 1 || o.Provider != "it" || !o.At.Equal(slatest.T0) {
		t.Errorf("openings = %+v; want R1's only, by it at %s", k.Openings, slatest.T0)
	}
	if want := []bool{true, true, false, false}; !slices.Equal(k.Stored, want) {
		t.Errorf("stored = %v; want %v (o1 and r2)", k.Stored, want)
	}
	if want := []Ref{{"it", "R1"}, {"", "R2"}, {"it", "R1"}, {"it", "R3"}}; !slices.Equal(k.Refs, want) {
		t.Errorf("refs = %v; want %v (R2 held)", k.Refs, want)
	}
}
