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

// putRecord writes a record, encoded as data, whose contribution's
// counters and day aggregates are applied already (by a fold, which sums
// them: fold.go): its index keys, its entry in the retention
// index, the record itself.
// It writes through w, the commit's writer (tx_writer.go).
func putRecord(w *txWriter, ref Ref, rec *record, data []byte, old contribution, now time.Time) error {
	w.key = appendRequestKey(w.key[:0], ref)
	id := w.keep(w.key) // the breach indexes' value
	if err := w.indexes(id, old, rec.Contrib); err != nil {
		return err
	}
	if err := trackClosed(w.tx, ref, old.Open, &rec.Request, now); err != nil { // retention.go
		return err
	}
	return w.bucket(wRequests).put(id, data)
}
