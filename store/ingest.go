package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/alert/lifecycle"
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
	events []sla.Event
	scope  Scope
	res    IngestResult
	err    error
	done   chan struct{}
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
// Concurrent callers share a transaction and its fsync: one writer goroutine
// takes whatever is queued when it is free (up to MaxBatchEvents) and commits
// it at once. A lone caller therefore waits one fsync, and many callers do
// not wait one fsync each.
func (s *Store) AppendAs(ctx context.Context, sc Scope, events []sla.Event) (IngestResult, error) {
	w := &writeReq{events: events, scope: sc, done: make(chan struct{})}
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

// writer is the single goroutine that commits queued batches.
func (s *Store) writer() {
	defer close(s.done)
	for {
		var first *writeReq
		select {
		case first = <-s.writes:
		case <-s.stop:
			// Commit what was queued before Close; refuse the rest.
			for {
				select {
				case w := <-s.writes:
					s.commit([]*writeReq{w})
				default:
					return
				}
			}
		}
		batch, n := []*writeReq{first}, len(first.events)
	drain:
		for n < s.maxBatch {
			select {
			case w := <-s.writes:
				batch = append(batch, w)
				n += len(w.events)
			default:
				break drain
			}
		}
		s.commit(batch)
	}
}

func (s *Store) commit(batch []*writeReq) {
	err := s.update(func(tx *bolt.Tx) error {
		for _, w := range batch {
			res, err := s.apply(tx, w.events, w.scope)
			if err != nil {
				return err
			}
			w.res = res
		}
		return nil
	})
	if err != nil && len(batch) > 1 {
		// One caller's failure must not fail the others it was grouped with.
		for _, w := range batch {
			s.commit([]*writeReq{w})
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

// apply writes one batch inside a transaction: each event under its
// request's key (or held), then each request it touched folded again.
func (s *Store) apply(tx *bolt.Tx, events []sla.Event, sc Scope) (IngestResult, error) {
	var res IngestResult
	refs, err := place(tx, events, sc)
	if err != nil {
		return res, err
	}
	p := s.policy.Load()
	now := s.now()
	ids := tx.Bucket(bucketEventIDs)
	evb := tx.Bucket(bucketEvents)
	meta := tx.Bucket(bucketMeta)
	seq := getUint(meta, keyEventSeq)
	var touched, opened []Ref
	fresh := map[Ref][]sla.Event{}
	for i, e := range events {
		ref := refs[i]
		if ref.Held() {
			dup, err := hold(tx, i, e, sc.holder(), seq+1)
			if err != nil {
				return res, err
			}
			if dup {
				res.Duplicates++
			} else {
				seq++
				res.Accepted++
			}
			continue
		}
		idKey := eventIDKey(ref.Provider, e.ID)
		if key := ids.Get(idKey); key != nil {
			if err := sameAsStored(evb, key, i, &e); err != nil {
				return res, err
			}
			res.Duplicates++
			continue
		}
		seq++
		e.Seq = seq
		data, err := json.Marshal(e)
		if err != nil {
			return res, fmt.Errorf("encode event %q: %w", e.ID, err)
		}
		key := eventKey(ref, seq)
		if err := evb.Put(key, data); err != nil {
			return res, err
		}
		if err := ids.Put(idKey, key); err != nil {
			return res, err
		}
		res.Accepted++
		if _, ok := fresh[ref]; !ok {
			touched = append(touched, ref)
		}
		fresh[ref] = append(fresh[ref], e)
		if e.Type == sla.Opened && !slices.Contains(opened, ref) {
			opened = append(opened, ref)
		}
	}
	if err := putUint(meta, keyEventSeq, seq); err != nil {
		return res, err
	}
	for _, ref := range opened {
		claimed, err := claimHeld(tx, ref)
		if err != nil {
			return res, err
		}
		if claimed {
			fresh[ref] = nil // they arrived before the others: fold from scratch
		}
	}
	for _, ref := range touched {
		if s.stale(tx, ref) {
			fresh[ref] = nil // matched under older rules: fold it all anew (rematch.go)
		}
		n, err := refold(tx, p, ref, now, fresh[ref])
		if err != nil {
			return res, err
		}
		res.queued += n
	}
	return res, nil
}

// sameAsStored returns a *ConflictError unless e is the event stored at key
// (the one its id names), e being the i-th of its batch.
func sameAsStored(evb *bolt.Bucket, key []byte, i int, e *sla.Event) error {
	var stored sla.Event
	if err := json.Unmarshal(evb.Get(key), &stored); err != nil {
		return fmt.Errorf("event %q stored before: %w", e.ID, err)
	}
	if len(stored.Differences(e)) > 0 {
		return &ConflictError{Index: i, Stored: stored, Sent: *e}
	}
	return nil
}

// refold brings a request up to date after new events (all of them, from
// its stored events, when fresh is nil or they do not simply follow the ones
// already folded), settles its alert bookkeeping, and applies the
// difference to the derived buckets. It returns the alerts it queued.
func refold(tx *bolt.Tx, p *sla.Policy, ref Ref, now time.Time, fresh []sla.Event) (int, error) {
	old, err := loadRecord(tx, ref)
	if err != nil {
		return 0, err
	}
	// The new record starts as the old one: its alert bookkeeping carries
	// over, and only the request is brought up to date.
	rec := &record{}
	var oldContrib contribution
	continued := false
	if old != nil {
		*rec = *old
		oldContrib = old.Contrib
		if fresh != nil {
			// Most events follow the ones before: apply just them, at a
			// cost that does not grow with the request's history.
			rec.Request.Clocks = slices.Clone(old.Request.Clocks)
			continued = sla.Continue(p, &rec.Request, fresh)
		}
	}
	if !continued {
		events, err := loadEvents(tx, ref)
		if err != nil {
			return 0, err
		}
		rec.Request = sla.Fold(p, ref.ID, events)
	}
	var oldReq *sla.Request
	if old != nil {
		oldReq = &old.Request
	}
	queued, err := applyEffects(tx, lifecycle.Settle(p, &rec.State, oldReq, &rec.Request, now), now)
	if err != nil {
		return 0, err
	}
	return queued, saveRecord(tx, p, ref, rec, oldContrib, now)
}

func loadEvents(tx *bolt.Tx, ref Ref) ([]sla.Event, error) {
	prefix := eventPrefix(ref)
	var events []sla.Event
	c := tx.Bucket(bucketEvents).Cursor()
	for k, v := c.Seek(prefix); k != nil && len(k) == len(prefix)+8 && string(k[:len(prefix)]) == string(prefix); k, v = c.Next() {
		var e sla.Event
		if err := json.Unmarshal(v, &e); err != nil {
			return nil, fmt.Errorf("event of request %q of %q: %w", ref.ID, ref.Provider, err)
		}
		e.Seq = binary.BigEndian.Uint64(k[len(prefix):])
		events = append(events, e)
	}
	return events, nil
}
