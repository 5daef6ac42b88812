package slatest

import (
	"math/rand/v2"
	"slices"
	"time"

	"github.com/slad-project/slad/sla"
)

// Step is one moment of a property test's timeline: a batch of events
// ingested at At, or a tick at At (no events).
type Step struct {
	At     time.Time
	Events []sla.Event
}

// InOrder delivers each event when it happens, one by one, in fold order.
func InOrder(events []sla.Event) []Step {
	sorted := slices.Clone(events)
	sla.SortEvents(sorted)
	var out []Step
	for _, e := range sorted {
		out = append(out, Step{At: e.At, Events: []sla.Event{e}})
	}
	return out
}

// LateAndShuffled delivers two events in three up to maxDelay late, plus
// one duplicate; events arriving close together share a batch, shuffled.
func LateAndShuffled(rng *rand.Rand, events []sla.Event, maxDelay time.Duration) []Step {
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
	var out []Step
	for i := 0; i < len(ls); {
		n := min(len(ls)-i, 1+rng.IntN(5))
		batch := make([]sla.Event, 0, n)
		for _, l := range ls[i : i+n] {
			batch = append(batch, l.e)
		}
		rng.Shuffle(len(batch), func(a, b int) { batch[a], batch[b] = batch[b], batch[a] })
		out = append(out, Step{At: ls[i+n-1].at, Events: batch})
		i += n
	}
	return out
}

// RandomTicks draws ticks from from to to, 1 to 150 minutes apart (a
// sparse schedule, or downtime).
func RandomTicks(rng *rand.Rand, from, to time.Time) []time.Time {
	var out []time.Time
	for t := from; t.Before(to); {
		t = t.Add(time.Duration(1+rng.IntN(150)) * time.Minute)
		out = append(out, t)
	}
	return out
}

// WithTicks merges ingests and ticks in time order (ingests first on ties).
func WithTicks(ingests []Step, ticks []time.Time) []Step {
	out := slices.Clone(ingests)
	for _, t := range ticks {
		out = append(out, Step{At: t})
	}
	slices.SortStableFunc(out, func(a, b Step) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		if (a.Events == nil) != (b.Events == nil) {
			if a.Events == nil {
				return 1
			}
			return -1
		}
		return 0
	})
	return out
}
