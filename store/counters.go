package store

import (
	"iter"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// counterDeltas is what each counter must change by for a request whose
// share goes from old to cur, without the counters that do not change.
// high is the request's highest share so far of each breach counter,
// updated here. Both shares are sorted (counterShares): they are merged,
// and the deltas come out sorted too.
func counterDeltas(old, cur contribution, high *counterShares) counterShares {
	o, c := old.Counters, cur.Counters
	var deltas counterShares
	for i, j := 0, 0; i < len(o) || j < len(c); {
		var k string
		var was, is int64
		switch {
		case j == len(c) || (i < len(o) && o[i].key < c[j].key):
			k, was = o[i].key, o[i].n
			i++
		case i == len(o) || c[j].key < o[i].key:
			k, is = c[j].key, c[j].n
			j++
		default:
			k, was, is = c[j].key, o[i].n, c[j].n
			i, j = i+1, j+1
		}
		d := is - was
		kind, _, _ := strings.Cut(k, "\x00")
		switch monotonic, once := monotonic(kind); {
		case !monotonic:
		case once:
			// A clock breaches once (a request opens once, is first left
			// without a clock once): a breach that late events take back
			// and give again is not a second one. Only what goes past the
			// request's highest share so far counts.
			h := high.get(k)
			d = max(is-h, 0)
			high.set(k, max(h, is))
		case d < 0:
			// Totals exposed as Prometheus counters never go down: a
			// reopened request that stops again is a second stop.
			d = 0
		}
		if d != 0 {
			if deltas == nil {
				deltas = make(counterShares, 0, len(o)+len(c))
			}
			deltas = append(deltas, counterShare{k, d})
		}
	}
	return deltas
}

// addCounters adds deltas to the running totals (bucket counters, their
// only writer) and, if one changed, gives them the version of tx.
func addCounters(tx *bolt.Tx, deltas iter.Seq2[string, int64]) error {
	changed, err := applyCounters(tx.Bucket(bucketCounters), deltas)
	if err != nil || !changed {
		return err
	}
	return putUint(tx.Bucket(bucketMeta), keyCountersVersion, uint64(tx.ID()))
}

// keyCountersVersion (meta) is the id of the last transaction that
// changed a running total, written in that transaction (addCounters), so
// that a reader keeping the counters of an earlier read (the figures of
// /metrics and GET /api/v1/slas) reads them again only once they changed:
// reading 60,000 counters into maps was a quarter of a read of the SLA
// list with 1,000 SLAs, and the totals change only with the requests
// (events, ticks), not with deliveries or pages. Without the key no slad
// that writes it has changed them: version 1, older than any transaction
// that writes one. (Counters are kept only within the process that reads
// them, which writes the key with each change.)
var keyCountersVersion = []byte("counters_version")

// countersVersion is the version of the running totals as tx sees them
// (see keyCountersVersion).
func countersVersion(tx *bolt.Tx) uint64 {
	var v uint64
	if meta := tx.Bucket(bucketMeta); meta != nil {
		v = getUint(meta, keyCountersVersion)
	}
	return max(v, 1)
}

// applyCounters adds deltas to the counters of a bucket of them, and
// says whether one changed.
func applyCounters(counters *bolt.Bucket, deltas iter.Seq2[string, int64]) (changed bool, err error) {
	c := counters.Cursor()
	for _, kd := range deltasInKeyOrder(deltas) {
		k, d := kd.key, kd.n
		if d == 0 {
			continue
		}
		changed = true
		kb := []byte(k)
		n := int64(uintOf(get(c, kb))) + d
		if n == 0 {
			if err := counters.Delete(kb); err != nil {
				return changed, err
			}
			continue
		}
		if err := putUint(counters, kb, uint64(n)); err != nil {
			return changed, err
		}
	}
	return changed, nil
}
