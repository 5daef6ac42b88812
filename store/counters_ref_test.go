package store

import (
	"maps"
	"strings"
	"testing"

	"github.com/slad-project/slad/internal/testutil"
)

// refMonotonic and refOnce are the kinds monotonic names, as the maps
// they were.
var (
	refMonotonic = map[string]bool{ctrStopped: true, ctrBreaches: true, ctrHist: true, ctrHistSum: true, ctrOpened: true, ctrUnmatched: true}
	refOnce      = map[string]bool{ctrBreaches: true, ctrOpened: true, ctrUnmatched: true}
)

// refCounterDeltas is counterDeltas as it was when the shares were maps:
// the reference TestCounterDeltasMatchTheReference holds the merge to.
// Not to be changed.
func refCounterDeltas(old, cur, high map[string]int64) map[string]int64 {
	deltas := map[string]int64{}
	for k, v := range old {
		deltas[k] -= v
	}
	for k, v := range cur {
		deltas[k] += v
	}
	for k, d := range deltas {
		kind, _, _ := strings.Cut(k, "\x00")
		switch {
		case !refMonotonic[kind]:
		case refOnce[kind]:
			v := cur[k]
			deltas[k] = max(v-high[k], 0)
			high[k] = max(high[k], v)
		case d < 0:
			deltas[k] = 0
		}
	}
	return deltas
}

// TestCounterDeltasMatchTheReference diffs random shares, of every kind of
// counter (those that go down, that never do, that count once), with keys
// in one of them, the other or both, against a random highest share so
// far: counterDeltas must give the reference's deltas (but for those of
// 0, which change nothing), sorted, and leave the highest shares as it
// does. Then sumShares must add two lists of deltas as a map would.
func TestCounterDeltasMatchTheReference(t *testing.T) {
	rng := testutil.Rand(t)
	kinds := []string{ctrOpen, ctrOpenBreached, ctrAtRisk, ctrStopped, ctrBreaches, ctrHist, ctrHistSum, ctrAtRiskByCustomer,
		ctrOpenBreachedByCustomer, ctrOpened, ctrUnmatched, ctrOpenUnmatched, "odd", ""}
	labels := []string{"a", "b", "a\x00b", "", "é"}
	random := func() map[string]int64 {
		if rng.IntN(8) == 0 {
			return nil
		}
		m := map[string]int64{}
		for range rng.IntN(12) {
			k := counterKey(kinds[rng.IntN(len(kinds))], labels[rng.IntN(len(labels))])
			if rng.IntN(10) == 0 {
				k = labels[rng.IntN(len(labels))] // a key of no kind
			}
			m[k] = int64(rng.IntN(5) - 2)
		}
		return m
	}
	for round := range testutil.Iterations(5000) {
		old, cur, high := random(), random(), random()
		refHigh := maps.Clone(high)
		if refHigh == nil {
			refHigh = map[string]int64{} // as the callers gave it
		}
		want := refCounterDeltas(old, cur, refHigh)
		maps.DeleteFunc(want, func(_ string, d int64) bool { return d == 0 })
		gotHigh := sharesOf(high)
		got := counterDeltas(contribution{Counters: sharesOf(old)}, contribution{Counters: sharesOf(cur)}, &gotHigh)
		if !maps.Equal(got.asMap(), want) || len(got) != len(want) || !isSortedShares(got) {
			t.Fatalf("round %d: counterDeltas(%v, %v, %v) = %v, want %v", round, old, cur, high, got, want)
		}
		if !maps.Equal(gotHigh.asMap(), refHigh) || !isSortedShares(gotHigh) {
			t.Fatalf("round %d: counterDeltas(%v, %v, %v) leaves the highest shares %v, want %v", round, old, cur, high, gotHigh, refHigh)
		}
		a, b := random(), random()
		sum := maps.Clone(a)
		if sum == nil {
			sum = map[string]int64{}
		}
		for k, n := range b {
			sum[k] += n
		}
		if got := sumShares(sharesOf(a), sharesOf(b)); !maps.Equal(got.asMap(), sum) || !isSortedShares(got) {
			t.Fatalf("round %d: sumShares(%v, %v) = %v, want %v", round, a, b, got, sum)
		}
	}
}

// isSortedShares reports whether shares are as counterShares keeps them:
// each key once, in order.
func isSortedShares(cs counterShares) bool {
	for i := 1; i < len(cs); i++ {
		if cs[i-1].key >= cs[i].key {
			return false
		}
	}
	return true
}
