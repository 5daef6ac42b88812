package lifecycle

import (
	"math/rand/v2"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
)

// propSeeds returns the seeds a property test runs with, each logged (see
// package testutil): SLAD_SEED alone when it is set; otherwise the pinned
// ones (seeds that once showed a bug) and a fresh one.
func propSeeds(t *testing.T, pinned ...uint64) []uint64 {
	t.Helper()
	if os.Getenv(testutil.SeedEnv) != "" {
		return []uint64{testutil.Seed(t, 0)}
	}
	var seeds []uint64
	for _, p := range append(pinned, 0) {
		seeds = append(seeds, testutil.Seed(t, p))
	}
	return seeds
}

// step is one moment of a desk's life: a batch of events ingested, or a
// tick (no events).
type step struct {
	at     time.Time
	events []sla.Event
}

// liveSteps delivers each event when it happens, one by one, in order.
func liveSteps(events []sla.Event) []step {
	sorted := slices.Clone(events)
	sla.SortEvents(sorted)
	var out []step
	for _, e := range sorted {
		out = append(out, step{at: e.At, events: []sla.Event{e}})
	}
	return out
}

// lateSteps delivers two events in three up to maxDelay late, plus one
// duplicate; events arriving close together share a batch, shuffled.
func lateSteps(rng *rand.Rand, events []sla.Event, maxDelay time.Duration) []step {
	type late struct {
		at time.Time
		e  sla.Event
	}
	var ls []late
	for _, e := range events {
		d := time.Duration(0)
		if rng.IntN(3) > 0 {
			d = time.Duration(rng.IntN(int(maxDelay/time.Minute))) * time.Minute
		}
		ls = append(ls, late{e.At.Add(d), e})
	}
	ls = append(ls, ls[rng.IntN(len(ls))])
	slices.SortStableFunc(ls, func(a, b late) int { return a.at.Compare(b.at) })
	var out []step
	for i := 0; i < len(ls); {
		n := min(len(ls)-i, 1+rng.IntN(5))
		batch := make([]sla.Event, 0, n)
		for _, l := range ls[i : i+n] {
			batch = append(batch, l.e)
		}
		rng.Shuffle(len(batch), func(a, b int) { batch[a], batch[b] = batch[b], batch[a] })
		out = append(out, step{at: ls[i+n-1].at, events: batch})
		i += n
	}
	return out
}

// withTicks merges ingests and ticks in time order (ingests first on ties).
func withTicks(ingests []step, ticks []time.Time) []step {
	out := slices.Clone(ingests)
	for _, t := range ticks {
		out = append(out, step{at: t})
	}
	slices.SortStableFunc(out, func(a, b step) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		if (a.events == nil) != (b.events == nil) {
			if a.events == nil {
				return 1
			}
			return -1
		}
		return 0
	})
	return out
}

// randomTicks draws ticks from from to to, 1 to 150 minutes apart (a
// sparse schedule, or downtime).
func randomTicks(rng *rand.Rand, from, to time.Time) []time.Time {
	var out []time.Time
	for t := from; t.Before(to); {
		t = t.Add(time.Duration(1+rng.IntN(150)) * time.Minute)
		out = append(out, t)
	}
	return out
}

// run takes the desk through the steps.
func (d *desk) run(steps []step) {
	for _, st := range steps {
		if st.events == nil {
			d.tick(st.at)
		} else {
			d.ingest(st.at, st.events...)
		}
	}
}

func reqIDs(events []sla.Event) []string {
	var out []string
	for _, e := range events {
		if !slices.Contains(out, e.Request) {
			out = append(out, e.Request)
		}
	}
	return out
}

var propReceivers = []string{"it-chat", "am", "boss", "cto"}
