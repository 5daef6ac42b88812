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
// Ingest keeps that, and packs the pages of the events too, only when its
// new keys arrive in runs (appendRuns): a transaction that opens requests
// scattered among the others (random ids) splits pages half and half, and
// so does one that adds events to older requests, which fall between the
// events of others.
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
	last   []byte          // the last request key before the transaction
	within map[string]bool // request keys opened before last
	older  bool            // an event went to a request already stored
}

func newAppendRuns(tx *bolt.Tx) *appendRuns {
	last, _ := tx.Bucket(bucketRequests).Cursor().Last()
	return &appendRuns{last: bytes.Clone(last), within: map[string]bool{}}
}

// note notes an event stored under the key of ref; opened tells whether
// it opens the request.
func (a *appendRuns) note(ref Ref, opened bool) {
	k := requestKey(ref)
	switch {
	case bytes.Compare(k, a.last) > 0:
		// After every request before the transaction: appended.
	case opened:
		a.within[string(k)] = true
	default:
		a.older = true
	}
}

// inRuns reports whether the requests opened among older ones lie in runs:
// few of them are followed by a request stored before.
func (a *appendRuns) inRuns(tx *bolt.Tx) bool {
	scattered := 0
	c := tx.Bucket(bucketRequests).Cursor()
	for k := range a.within {
		if got, _ := c.Seek([]byte(k)); !bytes.Equal(got, []byte(k)) {
			continue // not stored after all (a duplicate)
		}
		next, _ := c.Next()
		if next != nil && bytes.Compare(next, a.last) <= 0 && !a.within[string(next)] {
			scattered++
		}
	}
	return scattered*runLength <= len(a.within)
}

// apply sets the fill of the buckets the transaction's events went to,
// before it commits (the pages are split then).
func (a *appendRuns) apply(tx *bolt.Tx) {
	if !a.inRuns(tx) {
		for _, name := range [][]byte{bucketRequests, bucketOpen} {
			tx.Bucket(name).FillPercent = bolt.DefaultFillPercent
		}
		return
	}
	if !a.older {
		tx.Bucket(bucketEvents).FillPercent = packedFill
	}
}
