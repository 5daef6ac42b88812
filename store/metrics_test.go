package store

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// recordedCommits is a CommitObserver that keeps what it was told.
type recordedCommits struct {
	mu        sync.Mutex
	durations []time.Duration
	groups    []int
}

var _ CommitObserver = (*recordedCommits)(nil)

func (r *recordedCommits) Committed(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.durations = append(r.durations, d)
}

func (r *recordedCommits) GroupCommitted(events int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.groups = append(r.groups, events)
}

// TestCommitsAreTimedAndGroupCommitsCounted: every write transaction that
// commits is timed, one that rolls back (a conflict) is not, and each
// group commit of ingest counts the events it took in, duplicates
// included.
func TestCommitsAreTimedAndGroupCommitsCounted(t *testing.T) {
	seen := &recordedCommits{}
	clock := testutil.NewClock(slatest.T0.Add(time.Hour))
	s, err := Open(Options{Dir: t.TempDir(), Policy: slatest.DeskPolicy(), Now: clock.Now, Observer: seen})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	if _, err := s.Append(ctx, openedBatch("a", 3)); err != nil {
		t.Fatal(err)
	}
	res, err := s.Append(ctx, openedBatch("a", 1)) // stored before: a duplicate
	if err != nil || res.Duplicates != 1 {
		t.Fatalf("the repeat: %+v, %v; want one duplicate", res, err)
	}
	reused := slatest.Event("a-0", "a-0", sla.Cancelled, slatest.T0) // the id of another event
	if _, err := s.Append(ctx, []sla.Event{reused}); !errors.Is(err, ErrConflict) {
		t.Fatalf("an id reused for another event: %v; want ErrConflict", err)
	}

	seen.mu.Lock()
	defer seen.mu.Unlock()
	if len(seen.groups) != 2 || seen.groups[0] != 3 || seen.groups[1] != 1 {
		t.Errorf("group commits of %v events; want [3 1] (the batch, then the duplicate)", seen.groups)
	}
	if len(seen.durations) != 2 || seen.durations[0] <= 0 || seen.durations[1] <= 0 {
		t.Errorf("commits timed: %v; want the 2 that committed, each taking some time", seen.durations)
	}
}

// However concurrent batches are grouped, the group commits count between
// them every event of the batches that committed, duplicates included,
// and none of a batch refused for reusing an id (whose group is committed
// again without it): the histogram says how many events shared an fsync,
// as design.md's Metrics table has it.
func TestGroupCommitsCountTheEventsOfTheBatchesTheyCommitted(t *testing.T) {
	seen := &recordedCommits{}
	clock := testutil.NewClock(slatest.T0.Add(time.Hour))
	s, err := Open(Options{Dir: t.TempDir(), Policy: slatest.DeskPolicy(), Now: clock.Now, Observer: seen})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	if _, err := s.Append(ctx, openedBatch("a", 4)); err != nil {
		t.Fatal(err)
	}
	reused := slatest.Event("a-0", "a-0", sla.Cancelled, slatest.T0) // the id of another event
	batches := [][]sla.Event{
		openedBatch("a", 4), // stored before: four duplicates
		append(openedBatch("b", 3), openedBatch("a", 1)...), // three new, one duplicate
		openedBatch("c", 5),
		{reused},
		openedBatch("d", 2),
	}
	var wg sync.WaitGroup
	errs := make([]error, len(batches))
	for i, b := range batches {
		wg.Go(func() { _, errs[i] = s.Append(ctx, b) })
	}
	wg.Wait()
	want := 4 // the first Append
	for i, err := range errs {
		switch {
		case i == 3:
			if !errors.Is(err, ErrConflict) {
				t.Fatalf("the batch reusing an id: %v; want ErrConflict", err)
			}
		case err != nil:
			t.Fatalf("batch %d: %v", i, err)
		default:
			want += len(batches[i])
		}
	}
	seen.mu.Lock()
	defer seen.mu.Unlock()
	got := 0
	for _, n := range seen.groups {
		got += n
	}
	if got != want {
		t.Errorf("group commits of %v events, %d in all; want %d: the batches committed, duplicates included, not the refused one", seen.groups, got, want)
	}
}
