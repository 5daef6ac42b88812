package store

import (
	"bytes"

	bolt "go.etcd.io/bbolt"
)

// lookups reads the buckets ingest looks keys up in through one cursor
// each, kept for the transaction: bbolt's Get makes a new cursor and grows
// its stack for every key, and ingest looks up several keys per event
// (its id, its request's record, events and held events), in the preparer
// and again in the writer. A cursor is valid for its transaction only; in
// a write transaction every lookup seeks afresh, so it sees the puts
// before it.
type lookups struct {
	tx                          *bolt.Tx
	requests, events, ids, held *bolt.Cursor
	key                         []byte // scratch for a key looked up and dropped
}

func newLookups(tx *bolt.Tx) *lookups { return &lookups{tx: tx} }

// cursor returns the cursor kept in *c over the bucket name, made on first use.
func (l *lookups) cursor(c **bolt.Cursor, name []byte) *bolt.Cursor {
	if *c == nil {
		*c = l.tx.Bucket(name).Cursor()
	}
	return *c
}

// get is Bucket.Get through c: the value stored under key, nil if none.
func get(c *bolt.Cursor, key []byte) []byte {
	k, v := c.Seek(key)
	if !bytes.Equal(k, key) {
		return nil
	}
	return v
}

// record is the stored record of ref, nil if none.
func (l *lookups) record(ref Ref) []byte {
	l.key = appendRequestKey(l.key[:0], ref)
	return get(l.cursor(&l.requests, bucketRequests), l.key)
}

// eventStored is the event key the id of an event names for provider, nil
// if the id is not stored.
func (l *lookups) eventStored(provider, id string) []byte {
	l.key = appendEventIDKey(l.key[:0], provider, id)
	return get(l.cursor(&l.ids, bucketEventIDs), l.key)
}

// countEvents counts a request's stored events.
func (l *lookups) countEvents(ref Ref) int {
	l.key = appendRequestKey(l.key[:0], ref)
	prefix := l.key
	n := 0
	c := l.cursor(&l.events, bucketEvents)
	for k, _ := c.Seek(prefix); k != nil && len(k) == len(prefix)+8 && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		n++
	}
	return n
}

// holds reports whether events are held under the request id.
func (l *lookups) holds(id string) bool {
	l.key = lp(l.key[:0], id)
	k, _ := l.cursor(&l.held, bucketHeld).Seek(l.key)
	return k != nil && bytes.HasPrefix(k, l.key)
}
