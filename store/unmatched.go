package store

import (
	"bytes"
	"fmt"
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
	return applyCounters(tx.Bucket(bucketCounters), maps.All(deltas))
}
