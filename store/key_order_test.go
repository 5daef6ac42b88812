package store

import (
	"maps"
	"slices"
	"testing"
)

// TestACommitsSumsAreAppliedInKeyOrder: the sums a commit adds up in maps
// come out sorted by key, every key once with its value, whatever order
// the map ranges in.
func TestACommitsSumsAreAppliedInKeyOrder(t *testing.T) {
	m := map[string]int64{"b\x00it": 2, "a": -1, "b": 5, "\x00": 7, "ab": 0}
	want := []string{"\x00", "a", "ab", "b", "b\x00it"}
	for range 20 { // a map ranges in a new order each time
		if got := inKeyOrder(m); !slices.Equal(got, want) {
			t.Fatalf("inKeyOrder = %q; want %q", got, want)
		}
		got := deltasInKeyOrder(maps.All(m))
		if len(got) != len(want) {
			t.Fatalf("deltasInKeyOrder gave %d deltas; want %d", len(got), len(want))
		}
		for i, d := range got {
			if d.key != want[i] || d.n != m[d.key] {
				t.Fatalf("deltasInKeyOrder[%d] = %q %d; want %q %d", i, d.key, d.n, want[i], m[want[i]])
			}
		}
	}
}
