package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/sla"
)

// applyContribution replaces a request's old share of the derived buckets by
// its new one, touching only the keys that differ.
func applyContribution(tx *bolt.Tx, ref Ref, old, cur contribution, high *counterShares) error {
	if err := addCounters(tx, counterDeltas(old, cur, high).all()); err != nil {
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

// applyDayDeltas adds the deltas to the day aggregates of a bucket (days
// or days_by_customer), and gives the SLAs whose aggregates change a new
// version (day_versions). It is the only writer of day aggregates.
func applyDayDeltas(days *bolt.Bucket, dayDeltas map[string]*DayAggr) error {
	changed := map[string]bool{} // SLAs: a batch's keys are many days of few
	c := days.Cursor()
	for _, k := range inKeyOrder(dayDeltas) {
		d := dayDeltas[k]
		if d.zero() {
			continue
		}
		if id, ok := slaOfDayKey(k); ok {
			changed[id] = true
		}
		var agg DayAggr
		if v := get(c, []byte(k)); v != nil {
			var err error
			if agg, err = decodeDayAggr(v); err != nil {
				return err
			}
		}
		agg.add(*d, 1)
		if err := putJSONOrDelete(days, []byte(k), agg, agg.zero()); err != nil {
			return err
		}
	}
	return putDayVersions(days.Tx(), changed)
}

// applyIndexes moves the request's keys in the breach, stop, deadline,
// open and attention indexes from old to cur.
func applyIndexes(tx *bolt.Tx, ref Ref, old, cur contribution) error {
	return newTxWriter(tx).indexes(requestKey(ref), old, cur)
}

// indexes is applyIndexes through w, for the request keyed id (kept as
// it is until the commit: it is the breach index's value). old is the
// contribution whose keys the indexes hold: the stored one.
func (w *txWriter) indexes(id []byte, old, cur contribution) error {
	// A breach's value is its request's key: the same for every key old
	// had.
	if err := w.replaceKeys(w.bucket(wBreachesBySLA), old.Breaches, cur.Breaches, appendBySLA, constValue(id), true); err != nil {
		return err
	}
	// A stop's value is its request's customer, so that a pair's median is
	// read from its SLA's stops in the period: the same for every key old
	// had unless the customers its shares count under changed.
	if err := w.replaceKeys(w.bucket(wStops), old.Stops, cur.Stops, sameKey, func(k []byte) []byte {
		if len(cur.Served) == 0 {
			return w.keep([]byte(cur.Customer))
		}
		return w.keep([]byte(cur.customerOf(stopKeySLA(k))))
	}, sameCustomers(&old, &cur)); err != nil {
		return err
	}
	deadlines := w.bucket(wDeadlines)
	if old.Deadline != nil && !bytes.Equal(old.Deadline, cur.Deadline) {
		if err := deadlines.del(old.Deadline); err != nil {
			return err
		}
	}
	if cur.Deadline != nil && (!bytes.Equal(old.Deadline, cur.Deadline) || !deadlines.has(cur.Deadline)) {
		if err := deadlines.put(cur.Deadline, nil); err != nil {
			return err
		}
	}
	// The open index holds the request when old is open: only a change
	// is looked up and written (a delete of a key not there writes
	// nothing, and a put of a key there writes what it holds).
	if open := w.bucket(wOpen); cur.Open && !old.Open {
		if err := open.put(id, nil); err != nil {
			return err
		}
	} else if !cur.Open {
		if err := open.del(id); err != nil {
			return err
		}
	}
	return w.indexAttention(id, old, cur) // attention.go
}

// sameKey is the key function of an index keyed by the contribution's keys.
func sameKey(dst, k []byte) []byte { return append(dst, k...) }

// appendBySLA appends the per-SLA breach index's key of a breach key k to
// dst: the same key behind the length-prefixed SLA id of its clock.
func appendBySLA(dst, k []byte) []byte {
	slaID, ok := breachKeySLA(k)
	if !ok { // not a key breachKey makes: read as parseBreachKey reads it
		_, _, clockKey := parseBreachKey(k)
		id, _ := sla.SplitKey(clockKey)
		slaID = []byte(id)
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(slaID)))
	return append(append(dst, slaID...), k...)
}

// breachKeySLA is the SLA id in a breach key (breachKey), as
// sla.SplitKey reads it from the clock key, without making strings; ok is
// false when k is not one breachKey makes (appendBySLA then parses it).
func breachKeySLA(k []byte) (slaID []byte, ok bool) {
	clockKey, ok := breachKeyClock(k)
	if i := bytes.LastIndexByte(clockKey, '/'); i >= 0 {
		return clockKey[:i], ok
	}
	return clockKey, ok
}

// breachKeyClock is the clock key in a breach key (breachKey: time,
// request key, clock key), without making strings; ok is false when k is
// not one breachKey makes.
func breachKeyClock(k []byte) (clockKey []byte, ok bool) {
	if len(k) < 8 {
		return nil, false
	}
	rest := k[8:]
	for range 3 { // id, provider, clock key
		if len(rest) < 2 || len(rest) < 2+int(binary.BigEndian.Uint16(rest)) {
			return nil, false
		}
		n := int(binary.BigEndian.Uint16(rest))
		clockKey, rest = rest[2:2+n], rest[2+n:]
	}
	return clockKey, true
}

func constValue(v []byte) func([]byte) []byte { return func([]byte) []byte { return v } }

// stopKeySLA is the SLA id a stop key (stopKey) starts with.
func stopKeySLA(k []byte) string {
	if len(k) < 2 || len(k) < 2+int(binary.BigEndian.Uint16(k)) {
		return ""
	}
	return string(k[2 : 2+binary.BigEndian.Uint16(k)])
}

// replaceKeys moves an index from the old keys to the cur ones: it deletes
// the old keys that are not among cur and puts cur (a key new to the
// request is new to the bucket; one it had is put only if its value
// changed). key makes each key of the index from a contribution's key,
// into scratch; value gives its value. same says that value gives each
// key old had the value it has: those are left as they are, not looked up
// (a tick that settles a request with ten stops found every one unchanged).
func (w *txWriter) replaceKeys(b *wbucket, old, cur [][]byte, key func(dst, k []byte) []byte, value func(k []byte) []byte, same bool) error {
	for _, k := range old {
		if !containsKey(cur, k) {
			w.key = key(w.key[:0], k)
			if err := b.del(w.key); err != nil {
				return err
			}
		}
	}
	for _, k := range cur {
		had := containsKey(old, k)
		if had && same {
			continue
		}
		v := value(k)
		w.key = key(w.key[:0], k)
		var err error
		if had {
			err = b.putChanged(w.key, v)
		} else {
			err = b.put(w.key, v)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// sameCustomers reports whether two contributions count their shares under
// the same customers (contribution.customerOf).
func sameCustomers(old, cur *contribution) bool {
	return old.Customer == cur.Customer && old.servedBy == cur.servedBy && slices.Equal(old.Served, cur.Served)
}

func containsKey(keys [][]byte, k []byte) bool {
	return slices.ContainsFunc(keys, func(c []byte) bool { return bytes.Equal(c, k) })
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
