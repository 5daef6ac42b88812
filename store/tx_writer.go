package store

import (
	"bytes"

	bolt "go.etcd.io/bbolt"
)

// A commit's writer (a tick's chunk, a group commit of ingest) writes one
// request after the other on one core, about a dozen keys per request:
// what it allocates per key costs the whole commit. bbolt's Get and
// Delete make a new cursor and grow its stack for every key (four or five
// allocations); txWriter seeks one cursor per bucket, kept for the
// transaction, which grows its stack once. bbolt's Put copies its key, so
// keys are built in one scratch buffer; it keeps its value until the
// commit, so small values are cut from blocks shared by the commit
// instead of allocated one by one.

// The buckets a fold writes through txWriter.
const (
	wRequests = iota
	wOpen
	wAttention
	wDeadlines
	wBreachesBySLA
	wStops
	wFiring
	wNotices
	wOutbox
	wOpenUnmatched
	wAttentionRanks
	wBuckets
)

var txWriterBuckets = [wBuckets][]byte{
	wRequests: bucketRequests, wOpen: bucketOpen, wAttention: bucketAttention, wDeadlines: bucketDeadlines,
	wBreachesBySLA: bucketBreachesBySLA, wStops: bucketStops,
	wFiring: bucketFiring, wNotices: bucketNotices, wOutbox: bucketOutbox,
	wOpenUnmatched: bucketOpenUnmatched, wAttentionRanks: bucketAttentionRanks,
}

// txWriter writes through one write transaction; a cursor is valid in its
// transaction only. Each look-up seeks afresh, so it sees the puts
// before it.
type txWriter struct {
	tx      *bolt.Tx
	buckets [wBuckets]wbucket
	key     []byte // scratch for a key being written or looked up
	val     []byte // scratch for a value before it is kept
	block   []byte // where kept values are cut from
}

func newTxWriter(tx *bolt.Tx) *txWriter { return &txWriter{tx: tx} }

// writer returns the writer of the transaction the sums are for, made on
// first use: the sums live for one commit, and so does the writer.
func (s *pendingSums) writer(tx *bolt.Tx) *txWriter {
	if s.w == nil || s.w.tx != tx {
		s.w = newTxWriter(tx)
	}
	return s.w
}

// bucket returns the bucket i (wRequests...) with its cursor, made on
// first use: a commit of one event touches a few of them.
func (w *txWriter) bucket(i int) *wbucket {
	b := &w.buckets[i]
	if b.b == nil {
		b.b = w.tx.Bucket(txWriterBuckets[i])
		b.c = b.b.Cursor()
	}
	return b
}

// optionalBucket is bucket for a bucket a migration step makes: nil
// while the file is migrated through the steps before it.
func (w *txWriter) optionalBucket(i int) *wbucket {
	if w.buckets[i].b == nil && w.tx.Bucket(txWriterBuckets[i]) == nil {
		return nil
	}
	return w.bucket(i)
}

// keep returns a copy of v that stays as it is until the commit, as
// bbolt's Put needs its value. Blocks start small (a commit of one event
// writes a few values) and grow to 64 KiB.
func (w *txWriter) keep(v []byte) []byte {
	if len(v) == 0 {
		return v
	}
	if cap(w.block)-len(w.block) < len(v) {
		w.block = make([]byte, 0, max(len(v), min(2*cap(w.block), 64<<10), 512))
	}
	n := len(w.block)
	w.block = append(w.block, v...)
	return w.block[n:len(w.block):len(w.block)]
}

// wbucket is a bucket and the cursor kept on it.
type wbucket struct {
	b *bolt.Bucket
	c *bolt.Cursor
}

// get is Bucket.Get: the value stored under key, nil if none.
func (b *wbucket) get(key []byte) []byte { return get(b.c, key) }

// has reports whether the bucket holds the key (get does not tell a key
// put with a nil value from no key).
func (b *wbucket) has(key []byte) bool {
	k, _ := b.c.Seek(key)
	return k != nil && bytes.Equal(k, key)
}

// put is Bucket.Put: key may be scratch, value must stay until the commit.
func (b *wbucket) put(key, value []byte) error { return b.b.Put(key, value) }

// del is Bucket.Delete: nothing is done when the key is not stored.
func (b *wbucket) del(key []byte) error {
	if k, _ := b.c.Seek(key); k == nil || !bytes.Equal(k, key) {
		return nil
	}
	return b.c.Delete()
}

// putChanged puts the key unless it holds the value already: a put of the
// value a key holds still dirties its page, which the commit writes out
// again (most saves keep most keys, and a tick saves many requests).
func (b *wbucket) putChanged(key, value []byte) error {
	if !b.changed(key, value) {
		return nil
	}
	return b.b.Put(key, value)
}

// changed reports whether the bucket does not hold the key with the value.
func (b *wbucket) changed(key, value []byte) bool {
	k, v := b.c.Seek(key)
	return k == nil || !bytes.Equal(k, key) || !bytes.Equal(v, value)
}
