package store

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/sla"
)

// grace() is FirstSeen+1h with FirstSeen the ingest's wall-clock instant
// (nanoseconds), while the deadline index keeps whole seconds. A tick in
// the same second as the grace instant, but before it, reads the request
// as due, fires nothing (now.Before(grace)), and leaves its key in the
// index at or before now. One import batch of open, long-breached
// requests shares one FirstSeen: with a chunk (256) or more of them,
// Evaluate reads the same 256 keys again and again — measured: 4m34s,
// 2,560,512 request reads in 10,001 write transactions — and fails with
// "deadline index does not drain" (REVIEW2_HEAVY=1 runs that version).
func TestATickInTheGraceSecondLeavesNothingDue(t *testing.T) {
	seen := t0.Add(30*time.Hour + 500*time.Millisecond)
	clock := &fakeClock{t: seen}
	s := openTest(t, t.TempDir(), clock)
	ctx := context.Background()
	n := 1
	if os.Getenv("REVIEW2_HEAVY") != "" {
		n = evalChunk
	}
	var batch []sla.Event
	for i := range n {
		id := fmt.Sprint("IMP-", i)
		batch = append(batch, ev(id+"o", id, sla.Opened, t0), ev(id+"r", id, sla.Responded, t0.Add(time.Minute)))
	}
	if _, err := s.Append(ctx, batch); err != nil {
		t.Fatal(err)
	}
	tick := seen.Add(time.Hour - 250*time.Millisecond) // same second as the grace instant, before it
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

// Records written before FirstSeen existed (schema unchanged, no
// migration) get FirstSeen = the time of their next refold: a request
// known for hours, whose breach was announced long ago, counts as "first
// seen now, breached long before", and grace() holds back its next
// escalation for up to an hour after any event (or the Rematch a changed
// configuration runs at start).
func TestARecordWithoutFirstSeenKeepsItsEscalationsOnTime(t *testing.T) {
	clock := &fakeClock{t: t0}
	p := testPolicy()
	p.SLAs[0].Escalate = append(p.SLAs[0].Escalate, sla.Escalation{After: 150 * time.Minute, Notify: []string{"cto"}})
	s, err := Open(Options{Dir: t.TempDir(), Policy: p, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	if _, err := s.Append(ctx, []sla.Event{ev("o", "R1", sla.Opened, t0), ev("r", "R1", sla.Responded, t0.Add(time.Minute))}); err != nil {
		t.Fatal(err)
	}
	for _, h := range []time.Duration{4*time.Hour + 10*time.Minute, 5*time.Hour + 10*time.Minute} {
		clock.Set(t0.Add(h))
		s.Evaluate(t0.Add(h)) // breach, escalation-1
	}
	// The record as the previous slad wrote it: no first_seen.
	if err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRequests)
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b.Get([]byte("R1")), &m); err != nil {
			return err
		}
		delete(m, "first_seen")
		data, _ := json.Marshal(m)
		return b.Put([]byte("R1"), data)
	}); err != nil {
		t.Fatal(err)
	}
	now := t0.Add(6 * time.Hour)
	clock.Set(now)
	if _, err := s.Append(ctx, []sla.Event{ev("u", "R1", sla.Updated, now, func(e *sla.Event) { e.Title = "VPN down" })}); err != nil {
		t.Fatal(err)
	}
	now = t0.Add(6*time.Hour + 40*time.Minute) // escalation-2 due at 4h+2h30m
	clock.Set(now)
	if _, err := s.Evaluate(now); err != nil {
		t.Fatal(err)
	}
	if got := stagesOf(outboxOf(t, s, "cto"), "R1"); len(got) != 1 {
		t.Errorf("escalation-2 was due at 6h30m; at 6h40m cto got %v", got)
	}
}
