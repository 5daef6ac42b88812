package store

import (
	"context"
	"fmt"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// pageUse is the share of the bytes of a bucket's leaf pages in use.
func pageUse(t *testing.T, s *Store, name []byte) float64 {
	t.Helper()
	var st bolt.BucketStats
	if err := s.db.View(func(tx *bolt.Tx) error {
		st = tx.Bucket(name).Stats()
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return float64(st.LeafInuse) / float64(st.LeafAlloc)
}

// openMany opens requests with the ids, batch ones a commit.
func openMany(t *testing.T, s *Store, ids []string, batch int) {
	t.Helper()
	for len(ids) > 0 {
		n := min(batch, len(ids))
		events := make([]sla.Event, n)
		for i, id := range ids[:n] {
			events[i] = slatest.Event(id+"-o", id, sla.Opened, slatest.T0, func(e *sla.Event) {
				e.Title = "the printer on the third floor prints every page twice"
			})
		}
		if _, err := s.Append(context.Background(), events); err != nil {
			t.Fatal(err)
		}
		ids = ids[n:]
	}
}

func TestRequestsOpenedInOrderFillTheirPages(t *testing.T) {
	// Records leave room to grow (recordFill), the rest is packed.
	s := openTest(t, t.TempDir(), testutil.NewClock(slatest.T0))
	ids := make([]string, testutil.Iterations(6000))
	for i := range ids {
		ids[i] = fmt.Sprintf("INC%07d", i)
	}
	openMany(t, s, ids, 250)
	for b, want := range map[string]float64{"requests": 0.6, "open": 0.8, "events": 0.8, "event_ids": 0.8} {
		if use := pageUse(t, s, []byte(b)); use < want {
			t.Errorf("the pages of %s are %.0f%% full, want at least %.0f%%", b, 100*use, 100*want)
		}
	}
}

func TestRequestsOpenedInRandomOrderLeaveRoomOnTheirPages(t *testing.T) {
	// Packed pages would split at every new key that falls on them,
	// leaving pages a tenth full behind: scattered keys split them in half.
	s := openTest(t, t.TempDir(), testutil.NewClock(slatest.T0))
	rng := testutil.Rand(t)
	ids := make([]string, testutil.Iterations(6000))
	for i := range ids {
		ids[i] = fmt.Sprintf("%016x", rng.Uint64())
	}
	openMany(t, s, ids, 250)
	for _, b := range [][]byte{bucketRequests, bucketOpen, bucketEvents, bucketEventIDs} {
		if use := pageUse(t, s, b); use < 0.6 {
			t.Errorf("the pages of %s are %.0f%% full, want at least 60%%", b, 100*use)
		}
	}
}

func TestEventsOfOlderRequestsLeaveRoomOnTheirPages(t *testing.T) {
	s := openTest(t, t.TempDir(), testutil.NewClock(slatest.T0))
	rng := testutil.Rand(t)
	n := testutil.Iterations(3000)
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("INC%07d", i)
	}
	openMany(t, s, ids, 250)
	// Three more events for each, to requests drawn at random.
	var events []sla.Event
	for round := range 3 {
		for _, i := range rng.Perm(n) {
			events = append(events, slatest.Event(fmt.Sprint(ids[i], "-", round), ids[i], sla.Updated, slatest.T0, func(e *sla.Event) { e.Priority = "P2" }))
		}
	}
	for len(events) > 0 {
		k := min(250, len(events))
		if _, err := s.Append(context.Background(), events[:k]); err != nil {
			t.Fatal(err)
		}
		events = events[k:]
	}
	for _, b := range [][]byte{bucketEvents, bucketEventIDs} {
		if use := pageUse(t, s, b); use < 0.55 {
			t.Errorf("the pages of %s are %.0f%% full, want at least 55%%", b, 100*use)
		}
	}
	if use := pageUse(t, s, bucketRequests); use < 0.6 {
		t.Errorf("the pages of requests, rewritten in place, are %.0f%% full, want at least 60%%", 100*use)
	}
}
