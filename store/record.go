package store

import (
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/sla"
)

// record is what the requests bucket holds per request (in the compact
// encoding of codec.go): the folded state,
// its alert bookkeeping, and what the request contributes to the derived
// buckets (counters, day aggregates, breach list, deadline index). Keeping
// the contribution lets a change to the request be applied to the
// aggregates as a difference, so nothing is ever recomputed from history.
type record struct {
	// Request is folded as of its last event and never advanced past it,
	// so that later events can be applied to it (sla.Continue).
	Request sla.Request `json:"request"`
	// State is the request's alert bookkeeping, which only package
	// lifecycle changes (its fields are stored inline, as before it had a
	// package of its own).
	lifecycle.State
	// High is the request's highest share so far of each counter exposed
	// as a Prometheus counter (see applyContribution).
	High    counterShares `json:"high,omitempty"`
	Contrib contribution  `json:"contrib"`
}

// loadRecord reads a request's record; nil when it is not stored.
func loadRecord(tx *bolt.Tx, ref Ref) (*record, error) {
	v := tx.Bucket(bucketRequests).Get(requestKey(ref))
	if v == nil {
		return nil, nil
	}
	rec, err := decodeRecord(ref, v)
	if err != nil {
		return nil, fmt.Errorf("request %q of %q: %w", ref.ID, ref.Provider, err)
	}
	return rec, nil
}

// writePrep is what writing a fold's record takes that the fold alone
// decides: made beside the other folds (prepareWrite), because the
// writer is serial and these are a good part of its work per request.
type writePrep struct {
	rec *record // the record it is for: a fold computed again makes a new one, and the writer then makes its own
	id  []byte  // the request's key, kept until the commit (the breach index's value)
	// ranks are the SLAs the request needed and needs attention under
	// (attention_rank.go), when it did or does: nil when it neither did
	// nor does.
	ranks *attentionChange
}

// prepareWrite makes f's writePrep, for a fold computed without error.
func (f *fold) prepareWrite() {
	if f.err != nil || f.rec == nil {
		return
	}
	f.prep = writePrep{rec: f.rec, id: requestKey(f.ref)}
	cur := &f.rec.Contrib
	if old := f.oldContrib(); old.Alert || cur.Alert {
		f.prep.ranks = &attentionChange{attentionSLAs(&old, nil), attentionSLAs(cur, nil)}
	}
}

// prepared is f's writePrep if it was made for its record, else nil.
func (f *fold) prepared() *writePrep {
	if f.prep.rec == nil || f.prep.rec != f.rec {
		return nil
	}
	return &f.prep
}

// putIndexes writes a record's index keys and its entry in the retention
// index, for the request keyed id (recordKey), through w, the commit's
// writer (tx_writer.go), with what prep made already (nil: nothing). The
// contribution's counters and day aggregates are applied already (by a
// fold, which sums them: fold.go). The open requests without a clock, the
// ranks of the requests needing attention and the retention index are
// kept here, not in indexes, because the migrations before their schemas
// rebuild indexes without them.
func putIndexes(w *txWriter, id []byte, ref Ref, rec *record, old contribution, now time.Time, prep *writePrep) error {
	if err := w.indexes(id, old, rec.Contrib); err != nil {
		return err
	}
	if err := indexUnmatched(w, ref, old, rec.Contrib); err != nil { // unmatched.go
		return err
	}
	if err := indexAttentionRanks(w, id, prep.attentionChange(&old, &rec.Contrib)); err != nil { // attention_rank.go
		return err
	}
	return trackClosed(w.tx, ref, old.Open, &rec.Request, now) // retention.go
}

// recordKey is the request's key, kept until the commit: prep's, if made.
func recordKey(w *txWriter, ref Ref, prep *writePrep) []byte {
	if prep != nil {
		return prep.id
	}
	w.key = appendRequestKey(w.key[:0], ref)
	return w.keep(w.key)
}
