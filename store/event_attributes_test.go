package store

import (
	"slices"
	"testing"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// TestARequestsStoredEventsTellWhetherItsAttributesAreSettled: read from
// the heads of their encodings, a request's stored events answer what
// sla.AttributesSettled answers of them decoded, over random lives with
// updates, second openings and labels.
func TestARequestsStoredEventsTellWhetherItsAttributesAreSettled(t *testing.T) {
	rng := testutil.Rand(t)
	settled, not := 0, 0
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
			want := sla.AttributesSettled(decoded)
			if got := settledEncoded(slices.Values(encoded)); got != want {
				t.Fatalf("request %s: settled from the encodings = %v, decoded = %v\nevents %+v", id, got, want, decoded)
			}
			if want {
				settled++
			} else {
				not++
			}
		}
	}
	if settled == 0 || not == 0 {
		t.Fatalf("%d requests settled, %d not: the test tests too little", settled, not)
	}
	if settledEncoded(slices.Values([][]byte{[]byte(`{"type":"opened"}`)})) {
		t.Error("an event stored as JSON before schema 11 counts as settled")
	}
}
