package store

import (
	"strings"

	bolt "go.etcd.io/bbolt"
)

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
