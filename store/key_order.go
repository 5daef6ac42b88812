package store

import (
	"cmp"
	"iter"
	"maps"
	"slices"
)

// A commit's sums (counters, day aggregates, holder tallies) are added up
// in maps, which range in no order, and each is then read, added to and
// written back in the commit. Taken in key order, bbolt's search for each
// key runs down the pages the search before it has just warmed, and its
// puts land in order in each page, instead of anywhere in a bucket of tens
// of thousands of keys.

// inKeyOrder returns m's keys, sorted.
func inKeyOrder[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// deltasInKeyOrder returns the counter deltas of seq sorted by key.
func deltasInKeyOrder(seq iter.Seq2[string, int64]) counterShares {
	var out counterShares
	for k, n := range seq {
		out = append(out, counterShare{k, n})
	}
	slices.SortFunc(out, func(a, b counterShare) int { return cmp.Compare(a.key, b.key) })
	return out
}
