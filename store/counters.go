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

// applyCounters adds deltas to the counters.
func applyCounters(counters *bolt.Bucket, deltas iter.Seq2[string, int64]) error {
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
