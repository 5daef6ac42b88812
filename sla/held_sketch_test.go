package sla

import (
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/slad-project/slad/internal/testutil"
)

func randomTally(rng *rand.Rand) HeldTally {
	var t HeldTally
	for range rng.IntN(12) {
		t.AddRequest(rng.Int64N(1<<rng.IntN(36)), rng.Int64N(100000), rng.Int64N(4), rng.IntN(2) == 0, 1)
	}
	return t
}

// A window's sum adds day tallies in a dense array (HeldSum); it must
// come to what adding the tallies one by one comes to, sketch included,
// and a HeldSum reset and reused must start from nothing.
func TestHeldSumAddsUpAsTalliesDo(t *testing.T) {
	rng := testutil.Rand(t)
	var sum HeldSum
	for range testutil.Iterations(300) {
		sum.Reset()
		var want HeldTally
		for range rng.IntN(30) {
			day := randomTally(rng)
			sign := int64(1)
			if rng.IntN(5) == 0 {
				sign = -1 // a request taken back from an earlier day
			}
			want.Add(day, sign)
			sum.AddFields(sign*day.Requests, sign*day.Handoffs, sign*day.Seconds, sign*day.Breached, sign*day.BreachedSeconds)
			for _, c := range day.Sketch {
				if !sum.AddBucket(c.Bucket, sign*c.Count) {
					t.Fatalf("bucket %d refused", c.Bucket)
				}
			}
		}
		if got := sum.Tally(); !reflect.DeepEqual(got, want) {
			t.Fatalf("summed densely: %+v\nadded one by one: %+v", got, want)
		}
		if sum.Seconds() != want.Seconds {
			t.Fatalf("Seconds %d, want %d", sum.Seconds(), want.Seconds)
		}
	}
	if sum.AddBucket(-1, 1) || sum.AddBucket(len(HeldBuckets), 1) {
		t.Error("a bucket outside HeldBuckets was counted")
	}
}

// Adding sketches never writes into the array of the sketch added to: a
// sum read from the store may be shared by the callers of a read.
func TestHeldSketchAddLeavesItsOperandsAlone(t *testing.T) {
	a := HeldSketch{{Bucket: 3, Count: 2}, {Bucket: 9, Count: 1}}
	b := HeldSketch{{Bucket: 3, Count: 1}, {Bucket: 5, Count: 4}}
	keepA, keepB := append(HeldSketch(nil), a...), append(HeldSketch(nil), b...)
	got := a.add(b, -1)
	want := HeldSketch{{Bucket: 3, Count: 1}, {Bucket: 5, Count: -4}, {Bucket: 9, Count: 1}}
	if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(a, keepA) || !reflect.DeepEqual(b, keepB) {
		t.Fatalf("a - b = %v (want %v); a %v, b %v afterwards", got, want, a, b)
	}
	if got := a.add(a, -1); got != nil {
		t.Fatalf("a - a = %v, want nil", got)
	}
}
