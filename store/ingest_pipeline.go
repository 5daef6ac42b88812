package store

import (
	"bytes"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/sla"
)

// Ingest is a pipeline of two goroutines, so that folding and writing
// overlap instead of taking turns:
//
//   - the preparer takes the batches queued (a group, up to MaxBatchEvents)
//     and, in a read transaction, places their events and folds the
//     requests they touch on every core (phases 1 and 2 of fold.go), as if
//     the group were committed on what the file held then;
//   - the writer commits the group before meanwhile, then this one: it
//     stages the events as always (duplicates, held events, placement are
//     decided in the write transaction) and writes each fold prepared for
//     it, computing again, in the transaction, only those whose inputs
//     changed since they were prepared (adopt).
//
// A group is thus prepared while the one before it commits and fsyncs. The
// preparation is a guess that the writer checks, never trusts: a fold is
// taken as prepared only if the request's stored record is byte for byte
// the one it was computed from, its new events are the same, and, when it
// read all the request's events, the request holds as many now. Anything
// else (a request the group before touched, events claimed from the held
// bucket, a request matched under older rules, a changed policy) is folded
// again by the writer from what the transaction holds, as before. A
// prepared fold numbers the new events after every event stored then, in
// their batch's order: the arrival sequence only orders events of equal
// time (sla.SortEvents), and the writer's numbers keep that order.

// group is what the preparer hands the writer: batches to commit in one
// transaction, the rules and the time they are folded with, and the folds
// prepared for each batch.
type group struct {
	batch []*writeReq
	p     *sla.Policy
	now   time.Time
	// prepared holds, per batch, the refs place found and the folds
	// computed, by request.
	prepared map[*writeReq]preparedBatch
	events   int          // in batch
	seq      uint64       // the last arrival sequence a prepared fold gave
	touched  map[Ref]bool // requests a batch of the group touches
}

// preparedBatch is one batch's preparation.
type preparedBatch struct {
	refs  []Ref
	folds map[Ref]*fold
}

// preparedFold is a fold being prepared, with its new events as stored
// (for a fold that must read all the request's events).
type preparedFold struct {
	*fold
	raw []rawEvent
}

// newGroup takes the rules and the time a group is folded with.
func (s *Store) newGroup(batch []*writeReq) *group {
	return &group{batch: batch, p: s.policy.Load(), now: s.now(), prepared: map[*writeReq]preparedBatch{}, touched: map[Ref]bool{}}
}

// preparer forms groups from the queue and prepares them, handing each to
// the writer (ready) in the order the batches came. While the writer is
// busy it adds what arrives meanwhile to the group it holds, prepared too,
// so that a batch waits for the commit before it and its own, as without
// the preparer, not for one more. On Close it hands over, unprepared and
// one batch per group, what was queued before, and closes ready.
func (s *Store) preparer(ready chan<- *group) {
	defer close(ready)
	for {
		var first *writeReq
		select {
		case first = <-s.writes:
		case <-s.stop:
			for {
				select {
				case w := <-s.writes:
					ready <- s.newGroup([]*writeReq{w})
				default:
					return
				}
			}
		}
		g := s.newGroup(nil)
		s.prepare(g, s.drain([]*writeReq{first}, len(first.events)))
		for g != nil {
			select {
			case ready <- g: // the writer is free: it goes first
				g = nil
				continue
			default:
			}
			more := s.writes
			if g.events >= s.maxBatch {
				more = nil
			}
			select {
			case ready <- g:
				g = nil
			case w := <-more:
				s.prepare(g, s.drain([]*writeReq{w}, g.events+len(w.events)))
			}
		}
	}
}

// drain adds to batch what is queued, up to MaxBatchEvents in all (n
// events are in the group so far).
func (s *Store) drain(batch []*writeReq, n int) []*writeReq {
	for n < s.maxBatch {
		select {
		case w := <-s.writes:
			batch = append(batch, w)
			n += len(w.events)
		default:
			return batch
		}
	}
	return batch
}

// prepare adds batches to g and folds, in a read transaction and on every
// core, the requests each touches, as a commit of g on the file as it is
// now would. A request it cannot tell the fold of without writing (held
// events to claim, older rules, a request two batches of the group touch)
// is left to the writer.
func (s *Store) prepare(g *group, batches []*writeReq) {
	g.batch = append(g.batch, batches...)
	for _, w := range batches {
		g.events += len(w.events)
	}
	var all []preparedFold
	_ = s.db.View(func(tx *bolt.Tx) error {
		seq := max(g.seq, getUint(tx.Bucket(bucketMeta), keyEventSeq))
		for _, w := range batches {
			refs, err := place(tx, w.events, w.scope)
			if err != nil {
				continue // the writer refuses the batch
			}
			pb := preparedBatch{refs: refs, folds: map[Ref]*fold{}}
			var folds []preparedFold
			folds, seq = s.prepareBatch(tx, w, refs, seq, g.touched)
			for _, f := range folds {
				pb.folds[f.ref] = f.fold
			}
			g.prepared[w] = pb
			all = append(all, folds...)
		}
		g.seq = seq
		fs := make([]*fold, len(all))
		for i, f := range all {
			fs[i] = f.fold
		}
		computeEach(g.p, g.now, fs)
		for _, f := range all {
			if f.needEvents && f.err == nil {
				// A clock stopped, or the events came late: fold from all.
				f.events, f.loaded = append(readEvents(tx, f.ref), f.raw...), true
				f.compute(g.p, g.now)
			}
		}
		return nil
	})
}

// prepareBatch makes the folds of one batch's requests, read in tx, with
// their new events numbered after seq (it returns the last number given).
// Requests in touched (by a batch before in the group) are left out, and
// added to it.
func (s *Store) prepareBatch(tx *bolt.Tx, w *writeReq, refs []Ref, seq uint64, touched map[Ref]bool) ([]preparedFold, uint64) {
	ids := tx.Bucket(bucketEventIDs)
	byRef := map[Ref]*preparedFold{}
	var folds []*preparedFold
	seen := map[string]bool{} // provider and id of the batch's events
	for i, e := range w.events {
		ref := refs[i]
		if ref.Held() {
			seq++
			continue
		}
		idKey := eventIDKey(ref.Provider, e.ID)
		if seen[string(idKey)] || ids.Get(idKey) != nil {
			continue // a duplicate: the writer decides
		}
		seen[string(idKey)] = true
		seq++
		f := byRef[ref]
		if f == nil {
			f = &preparedFold{fold: &fold{ref: ref, res: &IngestResult{}, fresh: []sla.Event{}}}
			byRef[ref] = f
			folds = append(folds, f)
		}
		e.Seq = seq
		data := w.encoded[i]
		if !encodedFor(ref, &e) {
			data = encodeEvent(ref, &e)
		}
		f.fresh = append(f.fresh, e)
		f.raw = append(f.raw, rawEvent{seq: seq, data: data})
	}
	var out []preparedFold
	for _, f := range folds {
		if touched[f.ref] || s.stale(tx, f.ref) || (opens(f.fresh) && holds(tx, f.ref.ID)) {
			touched[f.ref] = true
			continue
		}
		touched[f.ref] = true
		f.prepareRead(tx)
		out = append(out, *f)
	}
	return out, seq
}

// opens reports whether events hold an "opened" (which claims held events).
func opens(events []sla.Event) bool {
	return slices.ContainsFunc(events, func(e sla.Event) bool { return e.Type == sla.Opened })
}

// holds reports whether events are held under the request id.
func holds(tx *bolt.Tx, id string) bool {
	prefix := lp(nil, id)
	k, _ := tx.Bucket(bucketHeld).Cursor().Seek(prefix)
	return k != nil && bytes.HasPrefix(k, prefix)
}

// prepareRead is phase 1 of a prepared fold: the stored record and, for a
// request without one but with stored events, all its events and the new.
func (f *preparedFold) prepareRead(tx *bolt.Tx) {
	if v := tx.Bucket(bucketRequests).Get(requestKey(f.ref)); v != nil {
		f.stored = bytes.Clone(v)
		return
	}
	if countEvents(tx, f.ref) == 0 {
		f.events, f.loaded = nil, true // a new request, from its new events
		return
	}
	f.events, f.loaded = append(readEvents(tx, f.ref), f.raw...), true
}

// adopt takes as f's phase 2 the fold prepared for it, if its inputs are
// still those the writer has read in tx (phase 1 done): the same stored
// record, the same new events, and as many stored events as it folded.
func (f *fold) adopt(tx *bolt.Tx, pre *fold) bool {
	switch {
	case pre == nil || pre.err != nil || pre.needEvents || f.fresh == nil:
		return false
	case !bytes.Equal(pre.stored, f.stored) || (pre.stored == nil) != (f.stored == nil):
		return false
	case len(pre.fresh) != len(f.fresh):
		return false
	}
	for i := range f.fresh {
		if pre.fresh[i].ID != f.fresh[i].ID {
			return false
		}
	}
	switch {
	case pre.loaded && pre.events == nil: // a new request
		if !f.loaded || f.events != nil {
			return false
		}
	case pre.loaded:
		if countEvents(tx, f.ref) != len(pre.events) {
			return false
		}
	case f.loaded:
		return false
	}
	res, fresh := f.res, f.fresh
	*f = *pre
	f.res, f.fresh = res, fresh
	return true
}

// refoldGroup is refoldAll for a group commit: phase 1 for each fold,
// phase 2 taken from the preparation where it holds (adopt) and computed
// on every core for the rest, phase 3 for each in order, then the sums.
func refoldGroup(tx *bolt.Tx, g *group, p *sla.Policy, folds []*fold, prepared map[*fold]*fold) error {
	var rest []*fold
	for _, f := range folds {
		f.read(tx)
		if p != g.p || !f.adopt(tx, prepared[f]) {
			rest = append(rest, f)
		}
	}
	if err := computeAll(tx, p, g.now, rest); err != nil {
		return err
	}
	sum := newPendingSums()
	for _, f := range folds {
		if err := f.write(tx, g.now, sum); err != nil {
			return err
		}
	}
	return sum.flush(tx)
}
