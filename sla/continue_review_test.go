package sla

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"
)

// review2Policy: two SLAs of provider it, one 24x7 for every request, one on
// office hours (Berlin, Mon-Fri 09-17, a holiday) for incidents only, with
// per-priority targets that P3 lacks (so updates move clocks in and out).
func review2ContinuePolicy(t *testing.T) *Policy {
	berlin := mustLoc(t, "Europe/Berlin")
	var week [7][]Interval
	for d := time.Monday; d <= time.Friday; d++ {
		week[d] = []Interval{{9 * 3600, 12*3600 + 1800}, {13 * 3600, 17 * 3600}}
	}
	office, err := NewCalendar("office", berlin, week, []Date{DateOf(time.Date(2026, 11, 25, 0, 0, 0, 0, berlin))})
	if err != nil {
		t.Fatal(err)
	}
	return &Policy{SLAs: []*SLA{
		{ID: "all", Provider: "it", Customers: []string{"*"}, Calendar: AlwaysOpen(),
			Response: Target{Default: 30 * time.Minute}, Resolution: Target{ByPriority: map[string]time.Duration{"P1": 4 * time.Hour, "P2": 8 * time.Hour}},
			Objective: 0.9, PauseOn: []string{"wait"}, WarnAt: []float64{0.5}},
		{ID: "office", Provider: "it", Customers: []string{"sales"}, Match: Match{Category: []string{"incident"}}, Calendar: office,
			Response: Target{ByPriority: map[string]time.Duration{"P1": time.Hour}}, Resolution: Target{ByPriority: map[string]time.Duration{"P1": 2 * time.Hour, "P2": 6 * time.Hour}},
			Objective: 0.9, PauseOn: []string{"*"}},
	}}
}

func review2History(rng *rand.Rand) []Event {
	at := time.Date(2026, 11, 23, 7, 0, 0, 0, time.UTC).Add(time.Duration(rng.IntN(48*60)) * time.Minute)
	prios, cats := []string{"P1", "P2", "P3"}, []string{"incident", "change"}
	var events []Event
	// Some events before the opening.
	for i := range rng.IntN(3) {
		events = append(events, Event{ID: fmt.Sprint("pre", i), Request: "R", Type: []EventType{Paused, Updated, Responded}[rng.IntN(3)],
			At: at.Add(-time.Duration(1+rng.IntN(120)) * time.Minute), Reason: "wait", Priority: prios[rng.IntN(3)]})
	}
	events = append(events, Event{ID: "open", Request: "R", Type: Opened, At: at, Provider: "it", Customer: []string{"sales", "hr"}[rng.IntN(2)],
		Priority: prios[rng.IntN(3)], Category: cats[rng.IntN(2)]})
	types := []EventType{Responded, Paused, Resumed, Resolved, Reopened, Updated, Updated, Cancelled, Opened}
	for i := 1; i < 2+rng.IntN(12); i++ {
		if rng.IntN(4) > 0 {
			at = at.Add(time.Duration(rng.IntN(200)) * time.Minute)
		}
		e := Event{ID: fmt.Sprint(i), Request: "R", Type: types[rng.IntN(len(types))], At: at}
		switch e.Type {
		case Paused:
			e.Reason = []string{"wait", "other"}[rng.IntN(2)]
		case Updated:
			e.Priority, e.Category = prios[rng.IntN(3)], cats[rng.IntN(2)]
		case Opened:
			e.Provider, e.Customer = "it", "sales"
		}
		if rng.IntN(10) == 0 {
			e.Provider = "hr" // foreign
		}
		events = append(events, e)
	}
	return events
}

// TestReview2ContinueEqualsFoldRich: arrival in random batches, each
// applied as the store does (Continue when it accepts the batch, Fold of
// everything otherwise), gives what folding everything gives.
func TestContinueEqualsFoldRich(t *testing.T) {
	p := review2ContinuePolicy(t)
	rng := testRand(t)
	for n := range iterations(2000) {
		events := review2History(rng)
		arrival := slices.Clone(events)
		rng.Shuffle(len(arrival), func(i, j int) { arrival[i], arrival[j] = arrival[j], arrival[i] })
		if rng.IntN(2) == 0 {
			SortEvents(arrival) // mostly in order
		}
		for i := range arrival {
			arrival[i].Seq = uint64(i + 1)
		}
		var stored []Event
		var r Request
		have := false
		for len(stored) < len(arrival) {
			k := min(len(arrival)-len(stored), 1+rng.IntN(3))
			batch := arrival[len(stored) : len(stored)+k]
			stored = append(stored, batch...)
			if have {
				r.Clocks = slices.Clone(r.Clocks)
				if Continue(p, &r, batch) {
					continue
				}
			}
			r, have = Fold(p, "R", stored), true
		}
		whole := Fold(p, "R", stored)
		if !reflect.DeepEqual(whole, r) {
			t.Fatalf("history %d: incremental differs from fold\nevents %+v\nfold:        %+v\nincremental: %+v", n, stored, whole, r)
		}
	}
}
