package store

import (
	"bytes"
	"container/heap"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/sla"
)

// Breaches are indexed once, per SLA (breaches_by_sla: the SLA's prefix,
// then breachKey's layout); the listing of every SLA's breaches newest
// first merges those ranges, each read backwards by a cursor of its own.
// A tick writes each breach once instead of twice (until schema 16 a
// second index held them all by time), and a page costs a seek per SLA
// that has breaches: 1.5 ms with 1,000 SLAs (BenchmarkBreachListingOf1000SLAs).

// breachPrefixes returns the prefix of every SLA with a breach in the
// by-SLA index b, one seek each.
func breachPrefixes(b *bolt.Bucket) [][]byte {
	var out [][]byte
	c := b.Cursor()
	for k, _ := c.First(); k != nil; {
		id, _, ok := cutLPBytes(k)
		if !ok { // not a key appendBySLA makes: no SLA's
			k, _ = c.Next()
			continue
		}
		p := k[: 2+len(id) : 2+len(id)]
		out = append(out, bytes.Clone(p))
		k, _ = c.Seek(pastPrefix(p))
	}
	return out
}

// breachMerge walks the breaches under several SLA prefixes of the
// by-SLA index as one list, newest first. The keys it yields are
// breachKey's layout (the prefix cut off), whose order — time, request,
// clock, the clock's key naming its SLA — is one order across SLAs.
type breachMerge []breachHead

// breachHead is one SLA's place in a merge: its cursor, its prefix and its
// current key without the prefix.
type breachHead struct {
	c      *bolt.Cursor
	prefix []byte
	k      []byte
}

// newBreachMerge starts a merge of the prefixes' ranges in b at the
// newest breach before from (breachKey's layout, or a leading part of
// it); from nil starts at the newest of all.
func newBreachMerge(b *bolt.Bucket, prefixes [][]byte, from []byte) *breachMerge {
	m := make(breachMerge, 0, len(prefixes))
	for _, p := range prefixes {
		c := b.Cursor()
		start := pastPrefix(p)
		if from != nil {
			start = append(bytes.Clone(p), from...)
		}
		if k := seekBefore(c, start); k != nil && bytes.HasPrefix(k, p) {
			m = append(m, breachHead{c: c, prefix: p, k: k[len(p):]})
		}
	}
	heap.Init(&m)
	return &m
}

// next returns the newest breach key not yet returned, nil when none is
// left. The key is valid until the transaction ends.
func (m *breachMerge) next() []byte {
	if len(*m) == 0 {
		return nil
	}
	h := &(*m)[0]
	k := h.k
	if pk, _ := h.c.Prev(); pk != nil && bytes.HasPrefix(pk, h.prefix) {
		h.k = pk[len(h.prefix):]
		heap.Fix(m, 0)
	} else {
		heap.Pop(m)
	}
	return k
}

// heap.Interface: the newest key on top.
func (m breachMerge) Len() int           { return len(m) }
func (m breachMerge) Less(i, j int) bool { return bytes.Compare(m[i].k, m[j].k) > 0 }
func (m breachMerge) Swap(i, j int)      { m[i], m[j] = m[j], m[i] }
func (m *breachMerge) Push(x any)        { *m = append(*m, x.(breachHead)) }
func (m *breachMerge) Pop() any {
	old := *m
	h := old[len(old)-1]
	*m = old[:len(old)-1]
	return h
}

// dropBreachesByTime migrates to schema 16: the breaches by time go, as
// every one of them is in the per-SLA index too.
func dropBreachesByTime(tx *bolt.Tx, _ *sla.Policy, _ time.Time) error {
	if tx.Bucket(bucketBreaches) == nil {
		return nil
	}
	return tx.DeleteBucket(bucketBreaches)
}
