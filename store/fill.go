package store

import (
	"bytes"

	bolt "go.etcd.io/bbolt"
)

// How full pages are packed. bbolt splits a page that outgrows its size
// into pages filled to its bucket's FillPercent: half, by default. That
// suits keys that arrive in random order, which later fill the room left
// on every page; but a page split behind keys that arrive in order is
// never written to again, and stays half empty. Request keys mostly arrive
// in order (ticket systems number requests as they open them, and the
// ids sort by length, then by bytes: requestKey), so with the default
// the pages of the records, their events and the open index would stay
// half empty.
//
// So every write transaction packs the pages of the records and of the
// open index (packRecords). A record is rewritten in place as its request
// goes on, and grows: with 10 clocks by about half when the request is
// first responded to (its clocks stop and it adds stop keys and day
// shares). Its pages are packed 70% full, so that such growth fits on the
// page: packed fuller, a page that outgrows itself splits into a full page
// and a nearly empty one, which new keys never reach. The open index only
// holds keys, and events never change: their pages are packed 90% full.
// Ingest keeps that, and packs the pages of the events and of their ids
// too, only when their new keys arrive in runs (appendRuns): a transaction
// that opens requests scattered among the others (random ids) splits pages
// half and half, and so does one that adds events to older requests, which
// fall between the events of others, or ids scattered among the stored
// ones.
const (
	recordFill = 0.7
	packedFill = 0.9
)

// runLength is the number of new keys per scattered one below which
// new keys count as arriving in runs (appendRuns).
const runLength = 16

// packRecords packs the pages of the records and of the open index in a
// write transaction.
func packRecords(tx *bolt.Tx) {
	if b := tx.Bucket(bucketRequests); b != nil {
		b.FillPercent = recordFill
	}
	if b := tx.Bucket(bucketOpen); b != nil {
		b.FillPercent = packedFill
	}
}

// appendRuns watches where a group commit's events go, to pack the pages
// their keys fill when they arrive in runs.
type appendRuns struct {
	requests keyRuns // the requests opened
	ids      keyRuns // the event ids stored
	older    bool    // an event went to a request opened before
}

func newAppendRuns(tx *bolt.Tx) *appendRuns {
	return &appendRuns{requests: newKeyRuns(tx, bucketRequests), ids: newKeyRuns(tx, bucketEventIDs)}
}

// note notes an event stored under its request's key, with its id's key
// (neither kept); opened tells whether it is an "opened".
func (a *appendRuns) note(requestKey, idKey []byte, opened bool) {
	a.ids.add(idKey)
	k := requestKey
	switch {
	case a.requests.after(k):
	case opened:
		a.requests.add(k)
	default:
		a.older = true
	}
}

// apply sets the fill of the buckets the transaction's events went to,
// before it commits (the pages are split then).
func (a *appendRuns) apply(tx *bolt.Tx) {
	if a.ids.inRuns(tx) {
		tx.Bucket(bucketEventIDs).FillPercent = packedFill
	}
	if !a.requests.inRuns(tx) {
		for _, name := range [][]byte{bucketRequests, bucketOpen} {
			tx.Bucket(name).FillPercent = bolt.DefaultFillPercent
		}
		return
	}
	if !a.older {
		tx.Bucket(bucketEvents).FillPercent = packedFill
	}
}

// keyRuns tells whether the keys a transaction adds to a bucket arrive in
// runs: after every key stored before, or among them in runs of at least
// runLength keys on average.
type keyRuns struct {
	bucket []byte
	last   []byte          // the last key before the transaction
	within map[string]bool // keys added before last
}

func newKeyRuns(tx *bolt.Tx, bucket []byte) keyRuns {
	last, _ := tx.Bucket(bucket).Cursor().Last()
	return keyRuns{bucket: bucket, last: bytes.Clone(last), within: map[string]bool{}}
}

// after reports whether k sorts after every key stored before.
func (r *keyRuns) after(k []byte) bool { return bytes.Compare(k, r.last) > 0 }

// add notes a key the transaction adds.
func (r *keyRuns) add(k []byte) {
	if !r.after(k) {
		r.within[string(k)] = true
	}
}

// inRuns reports whether the keys added among older ones lie in runs: few
// of them are followed by a key stored before.
func (r *keyRuns) inRuns(tx *bolt.Tx) bool {
	scattered := 0
	c := tx.Bucket(r.bucket).Cursor()
	for k := range r.within {
		if got, _ := c.Seek([]byte(k)); !bytes.Equal(got, []byte(k)) {
			continue // not stored after all
		}
		next, _ := c.Next()
		if next != nil && !r.after(next) && !r.within[string(next)] {
			scattered++
		}
	}
	return scattered*runLength <= len(r.within)
}
