package store

import (
	"maps"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// wantHeldCounts counts what HeldFor lists of R1 per receiver.
func wantHeldCounts(t *testing.T, s *Store) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, a := range mustHeld(t, s, "R1") {
		out[a.Receiver]++
	}
	return out
}

func checkHeldCounts(t *testing.T, s *Store, when string, want map[string]int) {
	t.Helper()
	got, err := s.HeldAlerts()
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(got, want) || !maps.Equal(got, wantHeldCounts(t, s)) {
		t.Errorf("%s: held counts %v, want %v (held: %v)", when, got, want, wantHeldCounts(t, s))
	}
}

func TestTheHeldAlertsAreCountedPerReceiverThroughHoldReholdAndRelease(t *testing.T) {
	clock := testutil.NewClock(friday)
	s := openPolicy(t, t.TempDir(), clock, quietPolicy(t, nil))
	checkHeldCounts(t, s, "at first", map[string]int{})
	breachOnFridayEvening(t, s, clock)
	// The warning was held, then superseded by the breach: counted out.
	checkHeldCounts(t, s, "Friday night", map[string]int{"it-chat": 2, "boss": 1})

	sunday := friday.Add(40 * time.Hour)
	if _, dropped, err := s.Rehold(quietPolicy(t, nil), func(r string) bool { return r != "boss" }, sunday); err != nil || dropped != 1 {
		t.Fatalf("rehold dropped %d (%v)", dropped, err)
	}
	checkHeldCounts(t, s, "after a reload without boss", map[string]int{"it-chat": 2})

	if got, err := s.ReleaseHeld(mondayOpen); err != nil || len(got) != 2 {
		t.Fatalf("released %d (%v)", len(got), err)
	}
	checkHeldCounts(t, s, "once the office opened", map[string]int{})
}

func TestAResolutionThatDropsHeldAlertsCountsThemOut(t *testing.T) {
	clock := testutil.NewClock(friday)
	s := openPolicy(t, t.TempDir(), clock, quietPolicy(t, nil))
	breachOnFridayEvening(t, s, clock)
	at := friday.Add(6 * time.Hour)
	clock.Set(at)
	if _, err := s.Append(t.Context(), []sla.Event{slatest.Event("x", "R1", sla.Resolved, at)}); err != nil {
		t.Fatal(err)
	}
	evaluateAt(t, s, clock, at.Add(time.Second))
	left := wantHeldCounts(t, s)
	checkHeldCounts(t, s, "resolved before the office opened", left)
	if left["boss"] != 0 || left["it-chat"] >= 2 {
		t.Errorf("still held for a resolved request: %v; want the breach and the escalations dropped", left)
	}
}

func TestASchema14DatabaseCountsTheAlertsHeldInIt(t *testing.T) {
	dir := t.TempDir()
	clock := testutil.NewClock(friday)
	s := openPolicy(t, dir, clock, quietPolicy(t, nil))
	breachOnFridayEvening(t, s, clock)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	rewind(t, dir, 14, func(tx *bolt.Tx) error { return tx.DeleteBucket(bucketQuietHeldCount) })
	s = openPolicy(t, dir, clock, quietPolicy(t, nil))
	checkHeldCounts(t, s, "after the upgrade", map[string]int{"it-chat": 2, "boss": 1})
}
