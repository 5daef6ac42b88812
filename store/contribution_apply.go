package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// applyContribution replaces a request's old share of the derived buckets by
// its new one, touching only the keys that differ.
func applyContribution(tx *bolt.Tx, ref Ref, old, cur contribution, high map[string]int64) error {
	if err := applyCounters(tx.Bucket(bucketCounters), counterDeltas(old, cur, high)); err != nil {
		return err
	}
	if err := applyDays(tx, old, cur); err != nil {
		return err
	}
	if err := applyHeld(tx, old, cur); err != nil {
		return err
	}
	return applyIndexes(tx, ref, old, cur)
}

// applyDays adds the difference between two contributions' day shares to
// the day aggregates per SLA and per (SLA, customer). A contribution
// stored before schema 4 has no customer: the migration added its shares
// to the pairs' aggregates with its customer.
func applyDays(tx *bolt.Tx, old, cur contribution) error {
	perSLA, perPair := map[string]*DayAggr{}, map[string]*DayAggr{}
	dayDeltas(perSLA, old.Days, -1, perSLADay)
	dayDeltas(perSLA, cur.Days, 1, perSLADay)
	if old.Customer != "" {
		dayDeltas(perPair, old.Days, -1, perCustomerDay(&old))
	}
	if cur.Customer != "" {
		dayDeltas(perPair, cur.Days, 1, perCustomerDay(&cur))
	}
	if err := applyDayDeltas(tx.Bucket(bucketDays), perSLA); err != nil {
		return err
	}
	return applyDayDeltas(tx.Bucket(bucketCustomerDays), perPair)
}

// counterDeltas is what each counter must change by for a request whose
// share goes from old to cur. high is the request's highest share so far
// of each breach counter, updated here.
func counterDeltas(old, cur contribution, high map[string]int64) map[string]int64 {
	deltas := map[string]int64{}
	for k, v := range old.Counters {
		deltas[k] -= v
	}
	for k, v := range cur.Counters {
		deltas[k] += v
	}
	for k, d := range deltas {
		kind, _, _ := strings.Cut(k, "\x00")
		switch {
		case !monotonic[kind]:
		case once[kind]:
			// A clock breaches once (a request opens once, is first left
			// without a clock once): a breach that late events take back
			// and give again is not a second one. Only what goes past the
			// request's highest share so far counts.
			v := cur.Counters[k]
			deltas[k] = max(v-high[k], 0)
			high[k] = max(high[k], v)
		case d < 0:
			// Totals exposed as Prometheus counters never go down: a
			// reopened request that stops again is a second stop.
			deltas[k] = 0
		}
	}
	return deltas
}

func applyCounters(counters *bolt.Bucket, deltas map[string]int64) error {
	for k, d := range deltas {
		if d == 0 {
			continue
		}
		kb := []byte(k)
		n := int64(getUint(counters, kb)) + d
		if n == 0 {
			if err := counters.Delete(kb); err != nil {
				return err
			}
			continue
		}
		if err := putUint(counters, kb, uint64(n)); err != nil {
			return err
		}
	}
	return nil
}

// dayDeltas adds day shares, with sign, to the deltas of the aggregates
// they go to: key names the aggregate of a share.
func dayDeltas(deltas map[string]*DayAggr, shares []dayShare, sign int64, key func(dayShare) []byte) {
	for _, s := range shares {
		k := string(key(s))
		if deltas[k] == nil {
			deltas[k] = &DayAggr{}
		}
		deltas[k].add(s.Aggr, sign)
	}
}

// perSLADay keys a day share in the days bucket.
func perSLADay(s dayShare) []byte { return dayKey(s.SLA, s.Day) }

// perCustomerDay keys a day share in the days_by_customer bucket.
func perCustomerDay(c *contribution) func(dayShare) []byte {
	return func(s dayShare) []byte { return customerDayKey(s.SLA, c.customerOf(s.SLA), s.Day) }
}

// applyDayDeltas adds the deltas to the day aggregates of a bucket.
func applyDayDeltas(days *bolt.Bucket, dayDeltas map[string]*DayAggr) error {
	for k, d := range dayDeltas {
		if d.zero() {
			continue
		}
		var agg DayAggr
		if v := days.Get([]byte(k)); v != nil {
			if err := json.Unmarshal(v, &agg); err != nil {
				return fmt.Errorf("day aggregate: %w", err)
			}
		}
		agg.add(*d, 1)
		if err := putJSONOrDelete(days, []byte(k), agg, agg.zero()); err != nil {
			return err
		}
	}
	return nil
}

// applyIndexes moves the request's keys in the breach, stop, deadline,
// open and attention indexes from old to cur.
func applyIndexes(tx *bolt.Tx, ref Ref, old, cur contribution) error {
	id := requestKey(ref)
	if err := replaceKeys(tx.Bucket(bucketBreaches), old.Breaches, cur.Breaches, id); err != nil {
		return err
	}
	if err := replaceKeys(tx.Bucket(bucketBreachesBySLA), bySLA(old.Breaches), bySLA(cur.Breaches), id); err != nil {
		return err
	}
	// A stop's value is its request's customer, so that a pair's median is
	// read from its SLA's stops in the period.
	if err := replaceStops(tx.Bucket(bucketStops), old.Stops, &cur); err != nil {
		return err
	}
	deadlines := tx.Bucket(bucketDeadlines)
	if old.Deadline != nil && string(old.Deadline) != string(cur.Deadline) {
		if err := deadlines.Delete(old.Deadline); err != nil {
			return err
		}
	}
	if cur.Deadline != nil && (string(old.Deadline) != string(cur.Deadline) || !has(deadlines, cur.Deadline)) {
		if err := deadlines.Put(cur.Deadline, nil); err != nil {
			return err
		}
	}
	if err := setFlag(tx.Bucket(bucketOpen), id, cur.Open); err != nil {
		return err
	}
	if cur.Alert { // its value lets a page count and rank without the record (attention.go)
		return putChanged(tx.Bucket(bucketAttention), id, attentionValue(cur))
	}
	return tx.Bucket(bucketAttention).Delete(id)
}

// Index writes that change nothing are skipped: a put of the value a key
// holds already still dirties its page, which the commit writes out again
// (most saves keep most keys, and a tick saves many requests at once).

// has reports whether the bucket holds the key (Get does not tell a key
// put with a nil value from no key).
func has(b *bolt.Bucket, key []byte) bool {
	k, _ := b.Cursor().Seek(key)
	return k != nil && bytes.Equal(k, key)
}

// putChanged puts the key unless it holds the value already.
func putChanged(b *bolt.Bucket, key, value []byte) error {
	if k, v := b.Cursor().Seek(key); k != nil && bytes.Equal(k, key) && bytes.Equal(v, value) {
		return nil
	}
	return b.Put(key, value)
}

// replaceKeys deletes the old keys that are not among the new ones and
// puts the new ones (those it does not hold with the value already).
func replaceKeys(b *bolt.Bucket, old, cur [][]byte, value []byte) error {
	return replaceKeysWith(b, old, cur, func([]byte) []byte { return value })
}

// replaceStops is replaceKeys for the stops index, whose values are the
// customer each stop was counted under (contribution.customerOf).
func replaceStops(b *bolt.Bucket, old [][]byte, cur *contribution) error {
	if len(cur.Served) == 0 {
		return replaceKeys(b, old, cur.Stops, []byte(cur.Customer))
	}
	return replaceKeysWith(b, old, cur.Stops, func(k []byte) []byte {
		return []byte(cur.customerOf(stopKeySLA(k)))
	})
}

// stopKeySLA is the SLA id a stop key (stopKey) starts with.
func stopKeySLA(k []byte) string {
	if len(k) < 2 || len(k) < 2+int(binary.BigEndian.Uint16(k)) {
		return ""
	}
	return string(k[2 : 2+binary.BigEndian.Uint16(k)])
}

// replaceKeysWith is replaceKeys with each key's value given by value.
func replaceKeysWith(b *bolt.Bucket, old, cur [][]byte, value func(k []byte) []byte) error {
	for _, k := range old {
		if !slices.ContainsFunc(cur, func(c []byte) bool { return string(c) == string(k) }) {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
	}
	for _, k := range cur {
		put := b.Put // a key new to the request is new to the bucket
		if slices.ContainsFunc(old, func(o []byte) bool { return string(o) == string(k) }) {
			put = func(k, v []byte) error { return putChanged(b, k, v) }
		}
		if err := put(k, value(k)); err != nil {
			return err
		}
	}
	return nil
}

func setFlag(b *bolt.Bucket, key []byte, on bool) error {
	if on {
		if has(b, key) {
			return nil
		}
		return b.Put(key, nil)
	}
	return b.Delete(key)
}

func putJSONOrDelete(b *bolt.Bucket, k []byte, v any, del bool) error {
	if del {
		return b.Delete(k)
	}
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(k, data)
}
