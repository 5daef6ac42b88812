package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/slad-project/slad/sla"
)

// grace() is FirstSeen+1h with FirstSeen the ingest's wall-clock instant
// (nanoseconds), while the deadline index keeps whole seconds. A tick in
// the same second as the grace instant, but before it, reads every such
// request as due, fires nothing (now.Before(grace)), and puts the same
// keys back. With a chunk or more of them (one import batch of open,
// long-breached requests shares one FirstSeen) Evaluate reads the same
// 256 keys again and again, thousands of write transactions, and fails
// with "deadline index does not drain".
func TestReview2ATickInTheGraceSecondDoesNotSpin(t *testing.T) {
	seen := t0.Add(30*time.Hour + 500*time.Millisecond)
	clock := &fakeClock{t: seen}
	s := openTest(t, t.TempDir(), clock)
	ctx := context.Background()
	var batch []sla.Event
	for i := range evalChunk {
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
}
