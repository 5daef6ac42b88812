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
	prepared map[*writeReq]*preparedBatch
	events   int          // in batch
	seq      uint64       // the last arrival sequence a prepared fold gave
	touched  map[Ref]bool // requests a batch of the group touches
}

// preparedBatch is one batch's preparation: the refs place found and the
// folds computed, found by request (fold).
type preparedBatch struct {
	refs  []Ref
	folds []*fold
	byRef map[Ref]*fold // for many folds
	read  int           // the read transaction's id: the last commit it saw
}

// fold is the fold prepared for ref, nil if none.
func (pb *preparedBatch) fold(ref Ref) *fold {
	if pb.byRef != nil {
		return pb.byRef[ref]
	}
	for _, f := range pb.folds {
		if f.ref == ref {
			return f
		}
	}
	return nil
}

// commitLog is what the writer's last commits wrote, for it to tell a
// prepared fold whose inputs cannot have changed since the preparer read
// them (fold.sure) without reading them again. bbolt numbers transactions:
// a read one by the last commit it sees, a write one by the commit it
// makes, one after the last. If every commit between a preparation's read
// and the write is one of the log's, nothing else wrote the file meanwhile
// (a tick, a re-match, a removal), and a request none of them wrote holds
// what the preparer read. Only the writer goroutine uses it.
type commitLog struct {
	last [4]loggedCommit // by id modulo 4; id 0 for none
}

// loggedCommit is one commit of the writer: its id and the requests it
// wrote.
type loggedCommit struct {
	id    int
	wrote map[Ref]bool
}

// add logs a commit.
func (c *commitLog) add(done loggedCommit) { c.last[done.id%len(c.last)] = done }

// since returns the logged commits after read and before write, and
// whether those are every commit between (ok).
func (c *commitLog) since(read, write int) (between []loggedCommit, ok bool) {
	if write-read-1 > len(c.last) {
		return nil, false
	}
	for id := read + 1; id < write; id++ {
		logged := c.last[id%len(c.last)]
		if logged.id != id {
			return nil, false // another's commit, or one too old
		}
		between = append(between, logged)
	}
	return between, true
}

// newGroup takes the rules and the time a group is folded with.
func (s *Store) newGroup(batch []*writeReq) *group {
	return &group{batch: batch, p: s.policy.Load(), now: s.now(), prepared: map[*writeReq]*preparedBatch{}, touched: map[Ref]bool{}}
}

// preparer forms groups from the queue and prepares them, handing each to
// the writer (ready) in the order the batches came. While the writer is
// busy it adds what arrives meanwhile to the group it holds, prepared too,
// so that a batch waits for the commit before it and its own, as without
// the preparer, not for one more. A small group waits for the callers
// about (gather.go) until a commit's time has passed since it formed,
// whether the writer is busy meanwhile or not. On Close it hands over,
// unprepared and one batch per group, what was queued before, and closes
// ready.
func (s *Store) preparer(ready chan<- *group) {
	defer close(ready)
	var about callers
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
		// gathered fires when the group has waited long enough for the
		// callers about (gather.go); nil: it need not or no longer waits.
		var gathered <-chan time.Time
		var t *time.Timer
		if about.wait(len(g.batch), g.events, s.maxBatch) {
			t = time.NewTimer(gatherFor(time.Duration(s.lastCommit.Load())))
			gathered = t.C
		}
		for g != nil {
			offer := ready
			if gathered != nil && about.wait(len(g.batch), g.events, s.maxBatch) {
				offer = nil
			} else {
				select {
				case ready <- g: // the writer is free: it goes first
					about.seen(len(g.batch))
					g = nil
					continue
				default:
				}
			}
			more := s.writes
			if g.events >= s.maxBatch {
				more = nil
			}
			select {
			case offer <- g:
				about.seen(len(g.batch))
				g = nil
			case w := <-more:
				s.prepare(g, s.drain([]*writeReq{w}, g.events+len(w.events)))
			case <-gathered:
				gathered = nil
			}
		}
		if t != nil {
			t.Stop()
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
	var all []*fold
	_ = s.db.View(func(tx *bolt.Tx) error {
		l := newLookups(tx)
		seq := max(g.seq, getUint(tx.Bucket(bucketMeta), keyEventSeq))
		for _, w := range batches {
			refs, err := place(tx, w.events, w.scope)
			if err != nil {
				continue // the writer refuses the batch
			}
			var folds []*fold
			folds, seq = s.prepareBatch(l, w, refs, seq, g.touched)
			pb := &preparedBatch{refs: refs, folds: folds, read: tx.ID()}
			if len(folds) > 8 { // found here, not by the writer
				pb.byRef = make(map[Ref]*fold, len(folds))
				for _, f := range folds {
					pb.byRef[f.ref] = f
				}
			}
			g.prepared[w] = pb
			all = append(all, folds...)
		}
		g.seq = seq
		computeEach(g.p, g.now, all)
		for _, f := range all {
			if f.needEvents && f.err == nil {
				// A clock stopped, or the events came late: fold from all.
				f.events, f.loaded = append(readEvents(tx, f.ref), f.rawEvents()...), true
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
func (s *Store) prepareBatch(l *lookups, w *writeReq, refs []Ref, seq uint64, touched map[Ref]bool) ([]*fold, uint64) {
	// A prepared fold's result is never written: the writer's fold that
	// adopts it keeps its own.
	bf := newBatchFolds(len(w.events), &IngestResult{})
	var seen map[Ref]bool // provider and id of the batch's events
	if len(w.events) > 1 {
		seen = make(map[Ref]bool, len(w.events))
	}
	for i := range w.events {
		e := &w.events[i]
		ref := refs[i]
		if ref.Held() {
			seq++
			continue
		}
		id := Ref{Provider: ref.Provider, ID: e.ID}
		if seen[id] || l.eventStored(ref.Provider, e.ID) != nil {
			continue // a duplicate: the writer decides
		}
		if seen != nil {
			seen[id] = true
		}
		seq++
		ev := *e
		ev.Seq = seq
		bf.add(ref, ev)
	}
	out := bf.folds[:0]
	for _, f := range bf.folds {
		if touched[f.ref] || s.stale(l.tx, f.ref) || (opens(f.fresh) && l.holds(f.ref.ID)) {
			touched[f.ref] = true
			continue
		}
		touched[f.ref] = true
		f.prepareRead(l)
		out = append(out, f)
	}
	return out, seq
}

// batchFolds gathers a batch's new events into the folds of their
// requests, in the order the requests first come. Its folds, and the
// first event of each, are allocated for the batch, not one by one: a
// batch of openings is as many folds as events.
type batchFolds struct {
	folds []*fold
	byRef map[Ref]*fold // nil for one event
	res   *IngestResult
	slab  []fold
	first []sla.Event // each fold's first new event
}

func newBatchFolds(events int, res *IngestResult) batchFolds {
	b := batchFolds{res: res, slab: make([]fold, 0, events), first: make([]sla.Event, 0, events), folds: make([]*fold, 0, events)}
	if events > 1 {
		b.byRef = make(map[Ref]*fold, events)
	}
	return b
}

// add adds a new event of ref, returning its fold.
func (b *batchFolds) add(ref Ref, e sla.Event) *fold {
	var f *fold
	if b.byRef != nil {
		f = b.byRef[ref]
	} else if len(b.folds) > 0 {
		f = b.folds[0]
	}
	if f != nil {
		f.fresh = append(f.fresh, e)
		return f
	}
	// slab and first have room for every event: no pointer into them moves.
	b.slab = append(b.slab, fold{ref: ref, res: b.res})
	f = &b.slab[len(b.slab)-1]
	b.first = append(b.first, e)
	n := len(b.first)
	f.fresh = b.first[n-1 : n : n] // a second event copies them out
	if b.byRef != nil {
		b.byRef[ref] = f
	}
	b.folds = append(b.folds, f)
	return f
}

// opens reports whether events hold an "opened" (which claims held events).
func opens(events []sla.Event) bool {
	return slices.ContainsFunc(events, func(e sla.Event) bool { return e.Type == sla.Opened })
}

// prepareRead is phase 1 of a prepared fold: the stored record and, for a
// request without one but with stored events, all its events and the new.
func (f *fold) prepareRead(l *lookups) {
	if v := l.record(f.ref); v != nil {
		f.stored = bytes.Clone(v)
		return
	}
	if l.countEvents(f.ref) == 0 {
		f.events, f.loaded = nil, true // a new request, from its new events
		return
	}
	f.events, f.loaded = append(readEvents(l.tx, f.ref), f.rawEvents()...), true
}

// rawEvents is the fold's new events encoded as stored, for a fold from
// all events (rare: the batch's own encoding is not kept for it).
func (f *fold) rawEvents() []rawEvent {
	raw := make([]rawEvent, len(f.fresh))
	for j := range f.fresh {
		e := &f.fresh[j]
		raw[j] = rawEvent{seq: e.Seq, data: encodeEvent(f.ref, e)}
	}
	return raw
}

// adopt takes as f's phase 2 the fold prepared for it (f.pre), if its
// inputs are still those the writer has read (phase 1 done): the same
// stored record, the same new events, and as many stored events as it
// folded.
func (f *fold) adopt(l *lookups) bool {
	pre := f.pre
	f.pre = nil
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
		if l.countEvents(f.ref) != len(pre.events) {
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

// adoptSure is adopt for a fold whose inputs are known to be the ones
// the preparer read (sure: see applyGroup), without reading them again:
// only its new events are compared, the writer having decided which are
// duplicates.
func (f *fold) adoptSure() bool {
	pre := f.pre
	if pre == nil || pre.err != nil || pre.needEvents || f.fresh == nil || len(pre.fresh) != len(f.fresh) {
		return false
	}
	for i := range f.fresh {
		if pre.fresh[i].ID != f.fresh[i].ID {
			return false
		}
	}
	res, fresh := f.res, f.fresh
	*f = *pre
	f.res, f.fresh = res, fresh
	return true
}

// refoldGroup is refoldAll for a group commit: phase 1 for each fold,
// phase 2 taken from the preparation where it holds (adopt) and computed
// on every core for the rest, phase 3 for each in order, then the sums.
// A fold whose inputs are sure to be the ones prepared is taken without
// phase 1.
func refoldGroup(l *lookups, g *group, p *sla.Policy, folds []*fold) error {
	var rest []*fold
	for _, f := range folds {
		if p == g.p && f.sure && f.adoptSure() {
			continue
		}
		f.readWith(l)
		if p != g.p || !f.adopt(l) {
			rest = append(rest, f)
		}
	}
	if err := computeAll(l.tx, p, g.now, rest); err != nil {
		return err
	}
	sum := newPendingSums()
	for _, f := range folds {
		if err := f.write(l.tx, g.now, sum); err != nil {
			return err
		}
	}
	return sum.flush(l.tx)
}
