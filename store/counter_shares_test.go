package store

import (
	"reflect"
	"testing"
)

// Shares read from a damaged record may come in any order and name a key
// twice: they are read as a map would hold them, sorted, the later of a
// key read twice replacing the earlier.
func TestSharesReadOutOfOrderAreKeptAsAMapWould(t *testing.T) {
	for name, c := range map[string]struct{ in, want counterShares }{
		"as written":           {counterShares{{"a", 1}, {"b", 2}}, counterShares{{"a", 1}, {"b", 2}}},
		"out of order":         {counterShares{{"b", 2}, {"a", 1}}, counterShares{{"a", 1}, {"b", 2}}},
		"a key twice, in turn": {counterShares{{"a", 1}, {"a", 5}, {"b", 2}}, counterShares{{"a", 5}, {"b", 2}}},
		"a key twice, apart":   {counterShares{{"a", 1}, {"b", 2}, {"a", 5}}, counterShares{{"a", 5}, {"b", 2}}},
		"one":                  {counterShares{{"a", 1}}, counterShares{{"a", 1}}},
	} {
		if got := c.in.sorted(); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: sorted() = %v, want %v", name, got, c.want)
		}
	}
}
