package store

import (
	"bytes"
	"fmt"
	"iter"
	"maps"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/sla"
)

// providerKinds are the counters of requests per provider (issue 13; see
// ctrOpened): every request stored before schema 14 is counted into them
// by countRequests, so that they cover the history, not only the requests
// touched since the upgrade.
var providerKinds = map[string]bool{ctrOpened: true, ctrUnmatched: true, ctrOpenUnmatched: true}

// countRequests migrates to schema 14: every stored request's share of
// the counters per provider (opened, unmatched, open unmatched) is added
// to its contribution and to the counters, as if it had been counted when
// stored; nothing else of its contribution changes. An open request no SLA
// gives a clock, which no tick ever touches, is counted on the status page
// from the upgrade on rather than from its next event.
func countRequests(tx *bolt.Tx, p *sla.Policy, now time.Time) error {
	deltas := map[string]int64{}
	err := rewriteValues(tx.Bucket(bucketRequests), func(k, v []byte) ([]byte, error) {
		ref, _, ok := parseRequestKey(k)
		if !ok {
			return nil, fmt.Errorf("request key %x", k)
		}
		rec, err := decodeRecord(ref, v)
		if err != nil {
			return nil, fmt.Errorf("request %q of %q: %w", ref.ID, ref.Provider, err)
		}
		next := rec.Contrib
		next.Counters = slices.Clone(rec.Contrib.Counters)
		changed := false
		for key, n := range contribute(rec, p, now).Counters.all() {
			if kind, _, _ := strings.Cut(key, "\x00"); providerKinds[kind] {
				next.Counters.set(key, n)
				changed = true
			}
		}
		if !changed {
			return bytes.Clone(v), nil // a request held before its opening
		}
		for key, d := range counterDeltas(rec.Contrib, next, &rec.High).all() {
			deltas[key] += d
		}
		rec.Contrib = next
		return encodeRecord(ref, rec), nil
	})
	if err != nil {
		return err
	}
	return addCounters(tx, maps.All(deltas))
}

// The open requests no SLA gives a clock are listed per provider in
// bucketOpenUnmatched (schema 17), so that the status page and the API can
// name them, not only count them: an admin fixing a bridge's category typo
// needs the requests it hit. A request is there while its contribution has
// its share of the open-unmatched counter, the same rule that counts it.

// openUnmatched reports whether the contribution counts its request as
// open without a clock (contributor.matched).
func (c *contribution) openUnmatched() bool {
	i, _ := c.Counters.find(ctrOpenUnmatched + "\x00")
	return i < len(c.Counters) && strings.HasPrefix(c.Counters[i].key, ctrOpenUnmatched+"\x00") && c.Counters[i].n > 0
}

// appendUnmatchedKey appends the request's key in bucketOpenUnmatched to
// dst: its provider first (length-prefixed, so that one provider's are a
// prefix scan), then its id.
func appendUnmatchedKey(dst []byte, ref Ref) []byte {
	return append(lp(dst, ref.Provider), ref.ID...)
}

// indexUnmatched moves the request in or out of the list of open requests
// without a clock as its contribution goes from old to cur; nothing is
// written when neither has it, as for most requests.
func indexUnmatched(w *txWriter, ref Ref, old, cur contribution) error {
	was, is := old.openUnmatched(), cur.openUnmatched()
	if was == is {
		return nil
	}
	w.key = appendUnmatchedKey(w.key[:0], ref)
	b := w.bucket(wOpenUnmatched)
	if is {
		return b.put(w.key, nil) // bbolt copies the key
	}
	return b.del(w.key)
}

// indexOpenUnmatched migrates to schema 17: the list of open requests
// without a clock is filled from the open requests' contributions. It
// reads records only while the counters say some are missing from it, so
// a file where every request has a clock upgrades without reading one.
func indexOpenUnmatched(tx *bolt.Tx, _ *sla.Policy, _ time.Time) error {
	idx, err := tx.CreateBucketIfNotExists(bucketOpenUnmatched)
	if err != nil {
		return err
	}
	counters, err := readCounters(tx)
	if err != nil {
		return err
	}
	var missing int64
	for _, n := range counters.OpenUnmatched {
		missing += max(n, 0)
	}
	requests := tx.Bucket(bucketRequests)
	c := tx.Bucket(bucketOpen).Cursor()
	for k, _ := c.First(); k != nil && missing > 0; k, _ = c.Next() {
		ref, _, ok := parseRequestKey(k)
		if !ok {
			return fmt.Errorf("open index key %x", k)
		}
		v := requests.Get(k)
		if v == nil {
			continue
		}
		rec, err := decodeRecord(ref, v)
		if err != nil {
			return fmt.Errorf("request %q of %q: %w", ref.ID, ref.Provider, err)
		}
		if rec.Contrib.openUnmatched() {
			if err := idx.Put(appendUnmatchedKey(nil, ref), nil); err != nil {
				return err
			}
			missing--
		}
	}
	return nil
}

// OpenUnmatched lists the ids of the provider's open requests that no SLA
// gives a clock, in id order, at most limit of them after the id after
// ("" from the first); more reports whether others follow the last.
func (s *Store) OpenUnmatched(provider, after string, limit int) (ids []string, more bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		ids, more = readOpenUnmatched(tx, provider, after, limit)
		return nil
	})
	return ids, more, err
}

// readOpenUnmatched is OpenUnmatched in tx.
func readOpenUnmatched(tx *bolt.Tx, provider, after string, limit int) (ids []string, more bool) {
	prefix := lp(nil, provider)
	c := tx.Bucket(bucketOpenUnmatched).Cursor()
	k, _ := c.Seek(appendUnmatchedKey(nil, Ref{Provider: provider, ID: after}))
	if k != nil && after != "" && string(k[len(prefix):]) == after && bytes.HasPrefix(k, prefix) {
		k, _ = c.Next()
	}
	for ; k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if len(ids) == limit {
			return ids, true
		}
		ids = append(ids, string(k[len(prefix):]))
	}
	return ids, false
}

// providersUnmatchedNow are the providers with an open request without a
// clock now (counter open_unmatched above 0), read by themselves: a read
// that keeps the counters it read before does not read them all.
func providersUnmatchedNow(tx *bolt.Tx) iter.Seq[string] {
	return func(yield func(string) bool) {
		prefix := []byte(ctrOpenUnmatched + "\x00")
		var labels []string
		c := tx.Bucket(bucketCounters).Cursor()
		for k, v := c.Seek(prefix); bytes.HasPrefix(k, prefix); k, v = c.Next() {
			_, labels = cutCounterKey(string(k), labels)
			if len(labels) == 1 && counterValue(v) > 0 && !yield(labels[0]) {
				return
			}
		}
	}
}
