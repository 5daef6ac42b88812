package store

import (
	"reflect"
	"slices"
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

// TestACounterKeySplitsIntoWhatMadeIt: splitCounterKey, and cutCounterKey
// into a slice it reuses, give back the kind and labels appendCounterKey
// joined, an empty label and a key of no label included.
func TestACounterKeySplitsIntoWhatMadeIt(t *testing.T) {
	reused := make([]string, 0, 4)
	for _, tc := range []struct {
		kind   string
		labels []string
	}{
		{ctrOpen, []string{"it-sales", "it", "sales"}},
		{ctrAtRisk, []string{"it-sales"}},
		{ctrOpenBreachedByCustomer, []string{"it-sales", "", "sales"}},
		{ctrOpened, nil},
	} {
		k := string(appendCounterKey(nil, tc.kind, tc.labels...))
		want := tc.labels
		if len(want) == 0 {
			want = []string{""} // the kind and its NUL
		}
		kind, labels := splitCounterKey(k)
		if kind != tc.kind || !slices.Equal(labels, want) {
			t.Errorf("splitCounterKey(%q) = %q, %q; want %q, %q", k, kind, labels, tc.kind, want)
		}
		kind, reused = cutCounterKey(k, reused)
		if kind != tc.kind || !slices.Equal(reused, want) {
			t.Errorf("cutCounterKey(%q) = %q, %q; want %q, %q", k, kind, reused, tc.kind, want)
		}
	}
}
