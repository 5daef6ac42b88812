package store

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

func TestAGroupWaitsForAsManyCallersAsTheLargestRecentGroupHeld(t *testing.T) {
	cases := []struct {
		name     string
		seen     []int // batches of the groups handed before, oldest first
		batches  int
		events   int
		maxBatch int
		wait     bool
	}{
		{name: "no group seen yet", batches: 1, events: 1, maxBatch: 5000, wait: false},
		{name: "a lone caller, ever", seen: []int{1, 1, 1}, batches: 1, events: 1, maxBatch: 5000, wait: false},
		{name: "fewer callers than about", seen: []int{3, 8, 5}, batches: 4, events: 4, maxBatch: 5000, wait: true},
		{name: "as many callers as about", seen: []int{3, 8, 5}, batches: 8, events: 8, maxBatch: 5000, wait: false},
		{name: "more callers than about", seen: []int{3, 8, 5}, batches: 9, events: 9, maxBatch: 5000, wait: false},
		{name: "a group of many events goes as it is", seen: []int{8}, batches: 1, events: gatherBelow, maxBatch: 5000, wait: false},
		{name: "one event short of that waits", seen: []int{8}, batches: 1, events: gatherBelow - 1, maxBatch: 5000, wait: true},
		{name: "a group that is full goes", seen: []int{8}, batches: 2, events: 10, maxBatch: 10, wait: false},
		{name: "the large groups were longer ago than remembered", seen: append([]int{8}, slices.Repeat([]int{1}, gatherMemory)...), batches: 1, events: 1, maxBatch: 5000, wait: false},
		{name: "the large group is the oldest remembered", seen: append([]int{8}, slices.Repeat([]int{1}, gatherMemory-1)...), batches: 1, events: 1, maxBatch: 5000, wait: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var about callers
			for _, n := range c.seen {
				about.seen(n)
			}
			if got := about.wait(c.batches, c.events, c.maxBatch); got != c.wait {
				t.Errorf("wait(%d batches, %d events, max %d) after groups of %v = %v, want %v", c.batches, c.events, c.maxBatch, c.seen, got, c.wait)
			}
		})
	}
}

func TestAGroupWaitsForCallersNoLongerThanTheLastCommitTook(t *testing.T) {
	cases := []struct {
		lastCommit, want time.Duration
	}{
		{0, gatherAtMost}, // none yet
		{300 * time.Microsecond, 300 * time.Microsecond},
		{gatherAtMost, gatherAtMost},
		{20 * time.Millisecond, gatherAtMost}, // a slow disk: the callers wait for it already
	}
	for _, c := range cases {
		if got := gatherFor(c.lastCommit); got != c.want {
			t.Errorf("gatherFor(%v) = %v, want %v", c.lastCommit, got, c.want)
		}
	}
}

// After many callers shared commits, a lone caller's group waits for
// callers who do not come, and must still be committed.
func TestALoneCallerAfterABusySpellIsCommitted(t *testing.T) {
	s := openTest(t, t.TempDir(), testutil.NewClock(slatest.T0.Add(time.Minute)))
	const callers, rounds = 8, 5
	for round := range rounds {
		var wg sync.WaitGroup
		errs := make(chan error, callers)
		for c := range callers {
			wg.Go(func() {
				id := fmt.Sprintf("R%d-%d", round, c)
				_, err := s.Append(context.Background(), []sla.Event{slatest.Event("o-"+id, id, sla.Opened, slatest.T0)})
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	for i := range 3 {
		id := fmt.Sprintf("alone-%d", i)
		res, err := s.Append(context.Background(), []sla.Event{slatest.Event("o-"+id, id, sla.Opened, slatest.T0)})
		if err != nil || res.Accepted != 1 {
			t.Fatalf("the lone caller's append = %+v, %v; want 1 accepted", res, err)
		}
	}
	for round := range rounds {
		for c := range callers {
			id := fmt.Sprintf("R%d-%d", round, c)
			if _, err := s.Request(Ref{Provider: "it", ID: id}); err != nil {
				t.Errorf("request %s: %v", id, err)
			}
		}
	}
}
