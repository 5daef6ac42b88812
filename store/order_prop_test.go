package store

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/slad-project/slad/sla"
)

// randomHistories draws requests' lives on the test policy: each opens,
// then responds, pauses, resumes, resolves, reopens, updates its priority
// or is cancelled, at increasing times within two days.
func randomHistories(rng *rand.Rand, requests int) []sla.Event {
	var out []sla.Event
	types := []sla.EventType{sla.Responded, sla.Paused, sla.Resumed, sla.Resolved, sla.Reopened, sla.Updated, sla.Cancelled}
	for r := range requests {
		req := fmt.Sprint("R", r)
		at := t0.Add(time.Duration(rng.IntN(24*60)) * time.Minute)
		out = append(out, ev(req+"-0", req, sla.Opened, at, func(e *sla.Event) { e.Priority = []string{"P1", "P2"}[rng.IntN(2)] }))
		for i := 1; i < 1+rng.IntN(8); i++ {
			at = at.Add(time.Duration(1+rng.IntN(300)) * time.Minute)
			e := ev(fmt.Sprint(req, "-", i), req, types[rng.IntN(len(types))], at)
			switch e.Type {
			case sla.Paused:
				e.Reason = []string{"waiting_for_customer", "other"}[rng.IntN(2)]
			case sla.Updated:
				e.Priority = []string{"P1", "P2"}[rng.IntN(2)]
			case sla.Resolved:
				e.CSAT = rng.IntN(6)
			}
			out = append(out, e)
		}
	}
	return out
}

// snapshot is what must not depend on the order events arrived in.
type snapshot struct {
	Requests     map[string]sla.Request
	Fired        map[string][]string // request/clock → stages marked fired
	Open         map[[3]string]int64
	OpenBreached map[[2]string]int64
	Window       Window
	Stops        []Stop
	Deadline     time.Time
}

func takeSnapshot(t *testing.T, s *Store, events []sla.Event) snapshot {
	t.Helper()
	snap := snapshot{Requests: map[string]sla.Request{}, Fired: map[string][]string{}}
	for _, e := range events {
		v, err := s.Request(e.Request)
		if err != nil {
			t.Fatal(err)
		}
		snap.Requests[e.Request] = v.Request
		for k, stages := range v.Fired {
			if len(stages) > 0 {
				snap.Fired[e.Request+"/"+k] = stages
			}
		}
	}
	c, err := s.Counters()
	if err != nil {
		t.Fatal(err)
	}
	snap.Open, snap.OpenBreached = c.Open, c.OpenBreached
	first, last := sla.DateOf(t0).AddDays(-1), sla.DateOf(t0).AddDays(30)
	if snap.Window, err = s.WindowFigures("it-sales", first, last); err != nil {
		t.Fatal(err)
	}
	if snap.Stops, err = s.Stops("it-sales", sla.Resolution, first, last); err != nil {
		t.Fatal(err)
	}
	snap.Deadline, _, _ = s.NextDeadline()
	return snap
}

// TestArrivalOrderDoesNotMatter ingests the same histories one event at a
// time in time order (each applied on top of the stored request) and
// shuffled in random batches (each request folded from scratch), and
// expects the same requests, gauges, day aggregates, stops and deadlines.
func TestArrivalOrderDoesNotMatter(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	for round := range 5 {
		events := randomHistories(rng, 20)
		now := t0.Add(4 * 24 * time.Hour) // old enough for every clock to be history
		clock := &fakeClock{t: now}
		inOrder := openTest(t, t.TempDir(), clock)
		shuffled := openTest(t, t.TempDir(), clock)
		ctx := context.Background()

		sorted := append([]sla.Event(nil), events...)
		for i := range sorted {
			sorted[i].Seq = uint64(i) // keep generation order for ties
		}
		sla.SortEvents(sorted)
		for _, e := range sorted {
			if _, err := inOrder.Append(ctx, []sla.Event{e}); err != nil {
				t.Fatal(err)
			}
		}
		mixed := append([]sla.Event(nil), events...)
		rng.Shuffle(len(mixed), func(i, j int) { mixed[i], mixed[j] = mixed[j], mixed[i] })
		mixed = append(mixed, events[rng.IntN(len(events))]) // and a duplicate
		for len(mixed) > 0 {
			n := min(len(mixed), 1+rng.IntN(7))
			if _, err := shuffled.Append(ctx, mixed[:n]); err != nil {
				t.Fatal(err)
			}
			mixed = mixed[n:]
		}
		a, b := takeSnapshot(t, inOrder, events), takeSnapshot(t, shuffled, events)
		for id := range a.Requests {
			if !reflect.DeepEqual(a.Requests[id], b.Requests[id]) {
				ja, _ := json.Marshal(a.Requests[id])
				jb, _ := json.Marshal(b.Requests[id])
				t.Fatalf("seed %d round %d: request %s differs:\nin order: %s\nshuffled: %s", seed, round, id, ja, jb)
			}
		}
		for k := range a.Fired {
			if !reflect.DeepEqual(a.Fired[k], b.Fired[k]) {
				t.Fatalf("seed %d round %d: %s fired %v in order, %v shuffled", seed, round, k, a.Fired[k], b.Fired[k])
			}
		}
		for k := range b.Fired {
			if _, ok := a.Fired[k]; !ok {
				t.Fatalf("seed %d round %d: %s fired %v shuffled, nothing in order", seed, round, k, b.Fired[k])
			}
		}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("seed %d round %d: derived figures differ:\nin order: %+v\nshuffled: %+v", seed, round, a, b)
		}
	}
}
