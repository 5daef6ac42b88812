package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/sla"
)

// IngestResult says what became of a batch of events.
type IngestResult struct {
	Accepted   int `json:"accepted"`
	Duplicates int `json:"duplicates"`
	// queued counts the alerts the batch put in the outbox (a breach
	// withdrawn by late events).
	queued int
}

// writeReq is one caller's batch waiting for the group commit.
type writeReq struct {
	events  []sla.Event
	encoded [][]byte // each event's JSON, encoded by the caller
	scope   Scope
	res     IngestResult
	err     error
	done    chan struct{}
}

// Append stores a batch of events sent by a sender who may send for every
// provider: AppendAs with AnyProvider.
func (s *Store) Append(ctx context.Context, events []sla.Event) (IngestResult, error) {
	return s.AppendAs(ctx, AnyProvider, events)
}

// AppendAs stores a batch of events sent by a sender of the scope, all or
// nothing, and folds the requests they touch. Each event goes to its
// provider's request, or is held until that opens (see place.go); an event
// whose request is ambiguous refuses the batch with an *AmbiguousError. An
// event id is unique per provider. It returns only after the batch is durably committed (fsync)
// or has failed; a failure leaves nothing of the batch behind. An event whose
// id is already stored for its provider (or earlier in the batch) is counted as a duplicate
// and changes nothing if it is the same event (sla.Event.Differences); if
// it is a different one, the whole batch is refused with a *ConflictError.
// The caller validates events beforehand.
//
// Concurrent callers share a transaction and its fsync: whatever is queued
// while the writer commits (up to MaxBatchEvents) is folded meanwhile and
// committed next, at once (ingest_pipeline.go). A lone caller therefore
// waits one fsync, and many callers do not wait one fsync each; a small
// group waits for the callers about, up to one commit's time (at most 1
// ms), so that they share one commit (gather.go).
func (s *Store) AppendAs(ctx context.Context, sc Scope, events []sla.Event) (IngestResult, error) {
	w := newWriteReq(sc, events)
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return IngestResult{}, ErrClosed
	}
	select {
	case s.writes <- w:
	case <-ctx.Done():
		s.mu.RUnlock()
		return IngestResult{}, ctx.Err()
	}
	s.mu.RUnlock()
	// Once queued the batch will be committed or fail; the caller is told
	// which even if it stopped waiting, so that no acknowledgement is guessed.
	<-w.done
	return w.res, w.err
}

// newWriteReq makes a caller's batch ready to queue. It encodes the events
// here, beside other callers, so that the writer only writes, for the key
// of the request they name (which the writer checks, see storeEvent).
func newWriteReq(sc Scope, events []sla.Event) *writeReq {
	encoded := make([][]byte, len(events))
	for i := range events {
		e := &events[i]
		encoded[i] = encodeEvent(Ref{Provider: e.Provider, ID: e.Request}, e)
	}
	return &writeReq{events: events, encoded: encoded, scope: sc, done: make(chan struct{})}
}

// writer is the single goroutine that commits queued batches, in groups
// the preparer forms and folds meanwhile (ingest_pipeline.go).
func (s *Store) writer() {
	defer close(s.done)
	ready := make(chan *group)
	go s.preparer(ready)
	for g := range ready {
		start := time.Now()
		s.commit(g, g.batch)
		s.lastCommit.Store(int64(time.Since(start)))
	}
}

// commit commits batches of g in one transaction, or, if that fails,
// each alone.
func (s *Store) commit(g *group, batch []*writeReq) {
	var done loggedCommit
	err := s.update(func(tx *bolt.Tx) error {
		var err error
		done, err = s.applyGroup(tx, g, batch)
		return err
	})
	if err == nil {
		s.ingested.add(done)
		s.observeGroup(batch)
	}
	if err != nil && len(batch) > 1 {
		// One caller's failure must not fail the others it was grouped with.
		for _, w := range batch {
			s.commit(g, []*writeReq{w})
		}
		return
	}
	queued := 0
	for _, w := range batch {
		if err != nil {
			w.res, w.err = IngestResult{}, fmt.Errorf("commit events: %w", err)
		}
		queued += w.res.queued
		close(w.done)
	}
	if queued > 0 {
		s.signalOutbox()
	}
}

// applyGroup writes the batches of a group commit inside its transaction:
// each batch's events under their requests' keys (or held), then the
// requests they touched folded again, all together (fold.go): as the
// preparer folded them where that still holds, else on every core, and
// the counters and day aggregates they share are written once. A batch that touches a request already staged,
// or that must look requests up to place its events, first has the
// requests staged so far folded and written, so that it finds them as a
// commit of its own would have.
func (s *Store) applyGroup(tx *bolt.Tx, g *group, batch []*writeReq) (loggedCommit, error) {
	p := s.policy.Load()
	l := newLookups(tx)
	runs := newAppendRuns(tx)
	meta := tx.Bucket(bucketMeta)
	seq := getUint(meta, keyEventSeq)
	var folds []*fold
	staged := map[Ref]bool{}
	// done.wrote holds every request a batch wrote in this transaction: the
	// inputs of a prepared fold of any other request are the ones it read
	// if no other commit than the writer's came since, and none of those
	// wrote it either (fold.sure, commitLog).
	done := loggedCommit{id: tx.ID(), wrote: make(map[Ref]bool, g.events)}
	flush := func() error {
		err := refoldGroup(l, g, p, folds)
		folds = nil
		clear(staged)
		return err
	}
	for i, w := range batch {
		w.res = IngestResult{}
		placed := placedAlone(w.events, w.scope)
		if len(folds) > 0 && !placed {
			if err := flush(); err != nil {
				return done, err
			}
		}
		pb := g.prepared[w]
		if pb == nil {
			pb = &preparedBatch{} // not prepared (the store closing)
		}
		refs, err := pb.place(tx, w, placed)
		if err != nil {
			return done, err
		}
		if len(staged) > 0 && slices.ContainsFunc(refs, func(r Ref) bool { return staged[r] }) {
			if err := flush(); err != nil {
				return done, err
			}
		}
		fs, err := s.stage(l, w, refs, runs, &seq)
		if err != nil {
			return done, err
		}
		since, quiet := s.ingested.since(pb.read, done.id)
		pb.lend(refs, fs, done.wrote, since, quiet)
		for _, f := range fs {
			if i < len(batch)-1 { // a batch after it may look for its requests
				staged[f.ref] = true
			}
			done.wrote[f.ref] = true
		}
		folds = append(folds, fs...)
	}
	if err := putUint(meta, keyEventSeq, seq); err != nil {
		return done, err
	}
	if err := flush(); err != nil {
		return done, err
	}
	runs.apply(tx) // how full to pack the pages written (fill.go)
	return done, nil
}

// place is the requests of w's events: as the preparer placed them when
// placing read nothing of the file (placed: placedAlone), else as the
// transaction holds them.
func (pb *preparedBatch) place(tx *bolt.Tx, w *writeReq, placed bool) ([]Ref, error) {
	if pb.refs != nil && placed {
		return pb.refs, nil
	}
	return place(tx, w.events, w.scope)
}

// lend gives each of a batch's folds (fs, staged with refs) the fold
// prepared for it, if the batch was placed as prepared, and says whether
// the prepared fold's inputs are sure to hold: every commit since its
// read was the writer's (since, ok) and wrote other requests, and so did
// the batches before in this transaction (wrote).
func (pb *preparedBatch) lend(refs []Ref, fs []*fold, wrote map[Ref]bool, since []loggedCommit, ok bool) {
	if !slices.Equal(pb.refs, refs) {
		return
	}
	for _, f := range fs {
		f.pre = pb.fold(f.ref)
		f.sure = ok && !wrote[f.ref] && !slices.ContainsFunc(since, func(c loggedCommit) bool { return c.wrote[f.ref] })
	}
}

// placedAlone reports whether every event names its provider, or the
// sender has one department: place then reads nothing of the file, and
// the preparer's placement is the writer's.
func placedAlone(events []sla.Event, sc Scope) bool {
	return sc.Default() != "" || !slices.ContainsFunc(events, func(e sla.Event) bool { return e.Provider == "" })
}

// stage writes one batch's events, each under its request's key (refs,
// from place) or held, numbering them after *seq (which it moves on), and
// returns the folds of the requests it touched. It notes in runs where
// the events went.
func (s *Store) stage(l *lookups, w *writeReq, refs []Ref, runs *appendRuns, seq *uint64) ([]*fold, error) {
	res := &w.res
	bf := newBatchFolds(len(w.events), res)
	var opened []*fold // in order, each once
	for i := range w.events {
		e := w.events[i] // a copy, numbered here: the caller's batch is left as it was
		ref := refs[i]
		if ref.Held() {
			dup, err := hold(l.tx, i, e, w.scope.holder(), *seq+1)
			if err != nil {
				return nil, err
			}
			if !dup {
				*seq++
			}
			res.count(dup)
			continue
		}
		stored, err := storeEvent(l, ref, i, &e, w.encoded[i], *seq+1, runs)
		if err != nil {
			return nil, err
		}
		res.count(!stored)
		if !stored {
			continue
		}
		*seq++
		f := bf.add(ref, e)
		if e.Type == sla.Opened && !opens(f.fresh[:len(f.fresh)-1]) {
			opened = append(opened, f)
		}
	}
	for _, f := range opened {
		if !l.holds(f.ref.ID) {
			continue // nothing to claim
		}
		claimed, err := claimHeld(l.tx, f.ref)
		if err != nil {
			return nil, err
		}
		if claimed {
			f.fresh = nil // they arrived before the others: fold from scratch
		}
	}
	for _, f := range bf.folds {
		if s.stale(l.tx, f.ref) {
			f.fresh = nil // matched under older rules: fold it all anew (rematch.go)
		}
	}
	return bf.folds, nil
}

// count counts an event as accepted, or as a duplicate.
func (r *IngestResult) count(dup bool) {
	if dup {
		r.Duplicates++
	} else {
		r.Accepted++
	}
}

// storeEvent stores the i-th event of a batch, encoded as data, under its
// request with the arrival sequence seq, unless its id is stored for the
// provider already: then it is a duplicate (stored is false) or, if it is
// a different event, a *ConflictError. It sets e.Seq, and notes in runs
// where it went.
func storeEvent(l *lookups, ref Ref, i int, e *sla.Event, data []byte, seq uint64, runs *appendRuns) (stored bool, err error) {
	if key := l.eventStored(ref.Provider, e.ID); key != nil {
		return false, sameAsStored(l.tx.Bucket(bucketEvents), key, i, e)
	}
	idKey := l.key // eventStored's key: bbolt copies a key it puts
	if !encodedFor(ref, e) {
		data = encodeEvent(ref, e)
	}
	e.Seq = seq
	key := eventKey(ref, seq)
	if err := l.tx.Bucket(bucketEvents).Put(key, data); err != nil {
		return false, err
	}
	runs.note(key[:len(key)-8], idKey, e.Type == sla.Opened)
	return true, l.tx.Bucket(bucketEventIDs).Put(idKey, key)
}

// sameAsStored returns a *ConflictError unless e is the event stored at key
// (the one its id names), e being the i-th of its batch.
func sameAsStored(evb *bolt.Bucket, key []byte, i int, e *sla.Event) error {
	ref, rest, ok := parseRequestKey(key)
	if !ok || len(rest) != 8 {
		return fmt.Errorf("event %q stored before: bad key %x", e.ID, key)
	}
	stored, err := decodeEvent(ref, binary.BigEndian.Uint64(rest), evb.Get(key))
	if err != nil {
		return fmt.Errorf("event %q stored before: %w", e.ID, err)
	}
	if len(stored.Differences(e)) > 0 {
		return &ConflictError{Index: i, Stored: stored, Sent: *e}
	}
	return nil
}

func loadEvents(tx *bolt.Tx, ref Ref) ([]sla.Event, error) {
	prefix := eventPrefix(ref)
	var events []sla.Event
	c := tx.Bucket(bucketEvents).Cursor()
	for k, v := c.Seek(prefix); k != nil && len(k) == len(prefix)+8 && string(k[:len(prefix)]) == string(prefix); k, v = c.Next() {
		e, err := decodeEvent(ref, binary.BigEndian.Uint64(k[len(prefix):]), v)
		if err != nil {
			return nil, fmt.Errorf("event of request %q of %q: %w", ref.ID, ref.Provider, err)
		}
		events = append(events, e)
	}
	return events, nil
}
