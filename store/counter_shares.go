package store

import (
	"encoding/json"
	"iter"
	"maps"
	"slices"
	"strings"
)

// counterShares are a request's shares of the counters (contribution.
// Counters), or its highest shares so far (record.High): each counter key
// once, sorted by key. A sorted list rather than a map, because every
// fold of a tick reads one from the stored record, computes another,
// diffs the two and writes one back: the record's encoding holds them in
// key order, so reading and writing them is a walk, the diff a merge
// (counterDeltas), and none of it hashes or sorts (a map cost a tick
// about a fifth of its compute phase).
type counterShares []counterShare

// counterShare is one counter's share: its key (counterKey) and value.
type counterShare struct {
	key string
	n   int64
}

// sharesOf makes shares from a map of them (nil from nil).
func sharesOf(m map[string]int64) counterShares {
	if m == nil {
		return nil
	}
	cs := make(counterShares, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		cs = append(cs, counterShare{k, m[k]})
	}
	return cs
}

// asMap is the shares as a map (for JSON, and for tests).
func (cs counterShares) asMap() map[string]int64 {
	if cs == nil {
		return nil
	}
	m := make(map[string]int64, len(cs))
	for _, c := range cs {
		m[c.key] = c.n
	}
	return m
}

// all yields each key and its share, in key order.
func (cs counterShares) all() iter.Seq2[string, int64] {
	return func(yield func(string, int64) bool) {
		for _, c := range cs {
			if !yield(c.key, c.n) {
				return
			}
		}
	}
}

// find is the position of k in cs, or where it goes, and whether it is
// there.
func (cs counterShares) find(k string) (int, bool) {
	return slices.BinarySearchFunc(cs, k, func(c counterShare, k string) int { return strings.Compare(c.key, k) })
}

// get is k's share, 0 if cs has none.
func (cs counterShares) get(k string) int64 {
	if i, ok := cs.find(k); ok {
		return cs[i].n
	}
	return 0
}

// findKey is find of a key given as bytes, not converted: a contribution
// built anew finds its keys without making strings of them.
func (cs counterShares) findKey(k []byte) (int, bool) {
	i, j := 0, len(cs)
	for i < j {
		h := int(uint(i+j) >> 1)
		if cs[h].key < string(k) { // compared, not converted
			i = h + 1
		} else {
			j = h
		}
	}
	return i, i < len(cs) && cs[i].key == string(k)
}

// keyOf is k as a string: cs's, when cs has the key.
func (cs counterShares) keyOf(k []byte) string {
	if i, ok := cs.findKey(k); ok {
		return cs[i].key
	}
	return string(k)
}

// addKey is add of a key given as bytes: a key new to cs is known's
// string when known has it (keyOf).
func (cs *counterShares) addKey(k []byte, n int64, known counterShares) {
	i, ok := cs.findKey(k)
	if ok {
		(*cs)[i].n += n
		return
	}
	*cs = slices.Insert(*cs, i, counterShare{known.keyOf(k), n})
}

// setKey is set of a key given as bytes, as addKey is add's.
func (cs *counterShares) setKey(k []byte, n int64, known counterShares) {
	i, ok := cs.findKey(k)
	if ok {
		(*cs)[i].n = n
		return
	}
	*cs = slices.Insert(*cs, i, counterShare{known.keyOf(k), n})
}

// set sets k's share to n.
func (cs *counterShares) set(k string, n int64) {
	i, ok := cs.find(k)
	if ok {
		(*cs)[i].n = n
		return
	}
	*cs = slices.Insert(*cs, i, counterShare{k, n})
}

// sorted makes shares read in an unknown order sorted, the later of a
// key read twice replacing the earlier, as a map's m[k] = n would: a
// record's are sorted already (recWriter.counters), so this only checks.
func (cs counterShares) sorted() counterShares {
	if cs.strictlyIncreasing() {
		return cs
	}
	slices.SortStableFunc(cs, func(a, b counterShare) int { return strings.Compare(a.key, b.key) })
	out := cs[:0]
	for _, c := range cs {
		if len(out) > 0 && out[len(out)-1].key == c.key {
			out[len(out)-1] = c
		} else {
			out = append(out, c)
		}
	}
	return out
}

// strictlyIncreasing reports whether each key is greater than the one
// before: as a record's are written, no key twice.
func (cs counterShares) strictlyIncreasing() bool {
	for i := 1; i < len(cs); i++ {
		if cs[i-1].key >= cs[i].key {
			return false
		}
	}
	return true
}

// sumShares is a + b, key by key: a new list.
func sumShares(a, b counterShares) counterShares {
	out := make(counterShares, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch c := strings.Compare(a[i].key, b[j].key); {
		case c < 0:
			out = append(out, a[i])
			i++
		case c > 0:
			out = append(out, b[j])
			j++
		default:
			out = append(out, counterShare{a[i].key, a[i].n + b[j].n})
			i, j = i+1, j+1
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

// MarshalJSON writes the shares as the JSON object a map of them is
// (records stored as JSON before schema 7, which the migrations read and
// write).
func (cs counterShares) MarshalJSON() ([]byte, error) { return json.Marshal(cs.asMap()) }

// UnmarshalJSON reads what MarshalJSON wrote.
func (cs *counterShares) UnmarshalJSON(data []byte) error {
	var m map[string]int64
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	*cs = sharesOf(m)
	return nil
}
