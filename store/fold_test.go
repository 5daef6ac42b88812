package store

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla/slatest"
)

// TestConcurrentBatchesOfTheSameRequestsStoreWhatOneByOneDoes sends a
// history's events from many callers at once, so that group commits hold
// several batches of one request (and events that name no provider, which
// look requests up): the store must end as when the events came one by one.
func TestConcurrentBatchesOfTheSameRequestsStoreWhatOneByOneDoes(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		rng := rand.New(rand.NewPCG(seed, 99))
		events := slatest.RandomHistories(rng, 25)
		now := slatest.T0.Add(72 * time.Hour)

		serial := openTest(t, t.TempDir(), testutil.NewClock(now))
		for _, st := range slatest.InOrder(events) {
			if _, err := serial.Append(context.Background(), st.Events); err != nil {
				t.Fatal(err)
			}
		}
		want := takeSnapshot(t, serial, events)

		grouped := openTest(t, t.TempDir(), testutil.NewClock(now))
		var wg sync.WaitGroup
		sem := make(chan struct{}, 32)
		for _, st := range slatest.InOrder(events) {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				if _, err := grouped.Append(context.Background(), st.Events); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if d := diffSnapshots(want, takeSnapshot(t, grouped, events)); d != "" {
			t.Errorf("seed %d: concurrent batches stored otherwise than one by one: %s", seed, d)
		}
	}
}
