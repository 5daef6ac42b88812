package store

import (
	"reflect"
	"slices"
	"testing"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// TestARequestsStoredEventsTellItsHistory: read from the heads of their
// encodings, a request's stored events answer what sla.HistoryOf answers
// of them decoded, over random lives with updates, pauses, handoffs,
// second openings and labels.
func TestARequestsStoredEventsTellItsHistory(t *testing.T) {
	rng := testutil.Rand(t)
	seen := map[[3]bool]int{}
	for range testutil.Iterations(200) {
		events := slatest.RichHistories(rng, 20)
		if rng.IntN(2) == 0 {
			events = slatest.RandomHistories(rng, 20)
		}
		byRequest := map[string][]sla.Event{}
		for _, e := range events {
			if rng.IntN(15) == 0 {
				e.Labels = map[string]string{"site": "hq"}
			}
			byRequest[e.Request] = append(byRequest[e.Request], e)
		}
		for id, evs := range byRequest {
			if rng.IntN(10) == 0 {
				evs = append(evs, evs[0]) // a second opening
			}
			ref := Ref{Provider: "it", ID: id}
			encoded := make([][]byte, len(evs))
			decoded := make([]sla.Event, len(evs))
			for i := range evs {
				encoded[i] = encodeEvent(ref, &evs[i])
				var err error
				if decoded[i], err = decodeEvent(ref, uint64(i), encoded[i]); err != nil {
					t.Fatal(err)
				}
			}
			want := sla.HistoryOf(decoded)
			if got := historyEncoded(ref, slices.Values(encoded)); !reflect.DeepEqual(got, want) {
				t.Fatalf("request %s: the history from the encodings is %+v, decoded %+v\nevents %+v", id, got, want, decoded)
			}
			seen[[3]bool{want.Settled, want.NeverPaused, want.Assigned != nil}]++
		}
	}
	if len(seen) < 6 {
		t.Fatalf("the histories drawn were only %v: the test tests too little", seen)
	}
	if h := historyEncoded(Ref{Provider: "it", ID: "R"}, slices.Values([][]byte{[]byte(`{"type":"opened"}`)})); !h.Unknown {
		t.Errorf("an event stored as JSON before schema 11 tells %+v, want an unknown history", h)
	}
}
