package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/sla"
)

// Folding a request again after its events is split in three, so that the
// part that costs CPU runs on every core while one goroutine writes:
//
//  1. read, in the write transaction: the stored record and, when the
//     request must be folded from all its events, those (copied out);
//  2. compute, anywhere and beside other requests' folds: decode, fold
//     (sla.Continue, or sla.Fold), settle the alert bookkeeping
//     (lifecycle.Settle), compute the new contribution and its counter
//     deltas, encode the record — none of which reads the transaction;
//  3. write, in the transaction, in the order the requests were read: the
//     alert effects, the difference to the derived buckets, the record.
//
// The requests a group commit folds together are distinct (the writer
// folds what it has staged before it stages a batch that touches one of
// them again: see Store.commit), so no fold reads what another writes.
//
// The evaluator uses the same three phases for a chunk of due requests
// (evaluate.go): a fold with tick set fires the stages due at now
// (lifecycle.Tick) in phase 2, and with keep set it does not fold the
// request again, only ticks it.

// fold is one request's refold.
type fold struct {
	ref   Ref
	fresh []sla.Event // the new events; nil: fold from all stored events
	res   *IngestResult
	// tick: the request is due; fire its stages due at now after folding
	// (the evaluator's). keep: it is folded under the rules in force
	// already, so only tick it (fresh and the stored events are unused).
	tick, keep bool
	// full: a tick computes the whole contribution anew even when the
	// request only settles (settle.go; tests compare the two).
	full bool
	// edit narrows a re-match to the requests it may change
	// (sla.PolicyMeaning.Changed); nil: every request. Phase 1 reads just
	// the record, and what the request's events tell of its history when
	// the edit may ask (an edit of what an SLA selects, or of the customer
	// reasons); phase 2 decides from its clocks, attributes and history
	// (sla.Edit.Touches): a request the edit leaves alone is unchanged,
	// and another reads its events and folds anew (needEvents).
	edit      *sla.Edit
	history   sla.History
	unchanged bool // the request folds as it is stored: nothing to write

	stored []byte     // the record as stored, nil if none (phase 1)
	events []rawEvent // all stored events, when needed (phase 1)
	loaded bool       // events were read

	old        *record // the record as it was (phase 2)
	rec        *record
	effects    []lifecycle.Effect
	notices    [][]byte // each effect's notice as JSON (encodeNotices)
	fired      int      // stages the tick fired and skipped
	skipped    int
	counters   counterShares // what each counter changes by
	data       []byte        // the encoded record
	needEvents bool          // Continue could not apply fresh, or a clock stopped anew (fold.held): read all events and compute again
	// holdings are the request's, when the fold read all its events
	// (known), and decoded those events: the held shares are measured from
	// them (holder_days.go).
	holdings []sla.Holding
	decoded  []sla.Event
	known    bool
	err      error
	// pre is the fold the preparer computed for it, for the writer to
	// take if its inputs still hold (adopt; ingest_pipeline.go); sure says
	// they do, unread: no commit came between.
	pre  *fold
	sure bool
	// prep is what writing it takes that the fold alone decides, made
	// beside the other folds (record.go); a tick's.
	prep writePrep
}

// rawEvent is a stored event's encoding and arrival sequence.
type rawEvent struct {
	seq  uint64
	data []byte
}

// read is phase 1.
func (f *fold) read(tx *bolt.Tx) { f.readWith(newLookups(tx)) }

// readWith is read through a transaction's lookups.
func (f *fold) readWith(l *lookups) {
	if v := l.record(f.ref); v != nil {
		f.stored = bytes.Clone(v)
	}
	switch {
	case f.keep:
	case f.edit != nil && f.stored != nil && !f.needEvents:
		// A narrowed re-match: its clocks and attributes tell whether
		// it folds anew.
		if len(f.edit.Selects) > 0 || f.edit.Reasons {
			f.history = l.history(f.ref)
		}
	case f.stored == nil && f.fresh != nil && l.countEvents(f.ref) == len(f.fresh):
		// A new request: its events are the batch's, folded from scratch
		// without reading them back.
		f.events, f.loaded = nil, true
	case f.fresh == nil || f.stored == nil || f.needEvents:
		f.events, f.loaded = readEvents(l.tx, f.ref), true
	}
}

// readEvents copies out a request's stored events, in key order.
func readEvents(tx *bolt.Tx, ref Ref) []rawEvent {
	prefix := eventPrefix(ref)
	var out []rawEvent
	c := tx.Bucket(bucketEvents).Cursor()
	for k, v := c.Seek(prefix); k != nil && len(k) == len(prefix)+8 && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		out = append(out, rawEvent{binary.BigEndian.Uint64(k[len(prefix):]), bytes.Clone(v)})
	}
	return out
}

// decodeEvents decodes events read by readEvents.
func decodeEvents(ref Ref, raw []rawEvent) ([]sla.Event, error) {
	events := make([]sla.Event, len(raw))
	for i, r := range raw {
		var err error
		if events[i], err = decodeEvent(ref, r.seq, r.data); err != nil {
			return nil, fmt.Errorf("event of request %q of %q: %w", ref.ID, ref.Provider, err)
		}
	}
	return events, nil
}

// compute is phase 2: it reads nothing but f and p.
func (f *fold) compute(p *sla.Policy, now time.Time) {
	f.err, f.needEvents, f.old = nil, false, nil
	if f.narrowed(p) {
		return
	}
	if f.stored != nil {
		if f.old, f.err = decodeRecord(f.ref, f.stored); f.err != nil {
			f.err = fmt.Errorf("request %q of %q: %w", f.ref.ID, f.ref.Provider, f.err)
			return
		}
	}
	// The new record starts as the old one: its alert bookkeeping carries
	// over, and only the request is brought up to date.
	rec := &record{}
	var oldContrib contribution
	if f.old != nil {
		*rec = *f.old
		oldContrib = f.old.Contrib
	}
	f.effects, f.counters, f.fired, f.skipped = nil, nil, 0, 0
	if !f.keep && !f.refold(p, rec) {
		return
	}
	// The request as it stands at now, computed once (a copy of its
	// clocks, advanced) for settling, the tick and the contributions:
	// they change only the alert state, and none changes it.
	live := rec.Request.At(p, now)
	if !f.keep {
		var oldReq *sla.Request
		if f.old != nil {
			oldReq = &f.old.Request
		}
		f.effects = lifecycle.SettleLive(p, &rec.State, oldReq, &rec.Request, &live, now)
	}
	settles := false // the visit only settles clocks (settle.go)
	if f.tick {
		if f.old == nil {
			f.err = errNotStored
			return
		}
		if !f.keep {
			// Folded anew and then ticked: the fold's difference counts
			// as if the record had been stored in between, as the
			// counters that never go down must see it.
			mid := contributeLive(rec, &live, p, now)
			f.counters = counterDeltas(oldContrib, mid, &rec.High)
			oldContrib = mid
		}
		t := lifecycle.TickLive(p, &rec.State, &live, now)
		if len(f.effects) == 0 {
			f.effects = t.Effects // most ticks settle nothing first: no copy of the notices
		} else {
			f.effects = append(f.effects, t.Effects...)
		}
		f.fired, f.skipped = t.Fired, t.Skipped
		settles = f.keep && !f.full && onlySettles(p, &live, &t)
	}
	if settles {
		// Its shares as stored, but those of its clocks that settle.
		rec.Contrib = settledContribution(rec, &live, p, now)
	} else {
		rec.Contrib = contributeLive(rec, &live, p, now)
		if !f.held(p, rec, now) {
			return
		}
	}
	deltas := counterDeltas(oldContrib, rec.Contrib, &rec.High)
	if f.counters == nil {
		f.counters = deltas
	} else {
		f.counters = sumShares(f.counters, deltas)
	}
	f.rec = rec
	f.data = encodeRecord(f.ref, rec)
	f.notices, f.err = encodeNotices(f.effects)
}

// narrowed decides a narrowed re-match's fold (edit) under p from the
// stored record's request alone (decodeRequest) and the history phase 1
// read, before its events are read: unchanged, or needing its events to fold anew. It reports false
// when the fold is not narrowed, or has read its events.
func (f *fold) narrowed(p *sla.Policy) bool {
	if f.edit == nil || f.stored == nil || f.loaded {
		return false
	}
	r, err := decodeRequest(f.ref, f.stored)
	if err != nil {
		f.err = fmt.Errorf("request %q of %q: %w", f.ref.ID, f.ref.Provider, err)
		return true
	}
	if f.edit.Touches(&r, p, func() sla.History { return f.history }) {
		f.needEvents = true
		return true
	}
	f.unchanged, f.data = true, f.stored // old and rec stay nil: nothing reads them
	f.effects, f.notices, f.counters, f.fired, f.skipped = nil, nil, nil, 0, 0
	return true
}

// errNotStored is a due request's fold whose record is not stored.
var errNotStored = errors.New("the deadline index names a request that is not stored")

// refold brings rec's request up to date with the new events, or all of
// them (compute then settles its alert bookkeeping). It returns false when
// it cannot: f.err is set, or f.needEvents when the new events do not
// simply follow the ones before.
func (f *fold) refold(p *sla.Policy, rec *record) bool {
	continued := false
	f.holdings, f.decoded, f.known = nil, nil, false
	if f.old != nil && f.fresh != nil && !f.loaded {
		// Most events follow the ones before: apply just them, at a
		// cost that does not grow with the request's history.
		rec.Request.Clocks = slices.Clone(f.old.Request.Clocks)
		if continued = sla.Continue(p, &rec.Request, f.fresh); !continued {
			f.needEvents = true
			return false
		}
	}
	if !continued {
		events := f.fresh
		if f.events != nil || f.stored != nil || f.fresh == nil {
			var err error
			if events, err = decodeEvents(f.ref, f.events); err != nil {
				f.err = err
				return false
			}
		}
		rec.Request, f.holdings = sla.Holdings(p, f.ref.ID, events)
		f.decoded, f.known = events, true
	}
	return true
}

// write is phase 3: the effects and the record, and the contribution's
// difference into sum (applied once per commit: see pendingSums).
func (f *fold) write(tx *bolt.Tx, now time.Time, sum *pendingSums) error {
	if f.unchanged {
		return nil
	}
	for _, write := range []func(*fold, *bolt.Tx, time.Time, *pendingSums) error{(*fold).writeEffects, (*fold).writeIndexes, (*fold).writeData} {
		if err := write(f, tx, now, sum); err != nil {
			return err
		}
	}
	return nil
}

// writeEffects is write's first part: the alert effects, and the
// contribution's difference into sum.
func (f *fold) writeEffects(tx *bolt.Tx, now time.Time, sum *pendingSums) error {
	n, untold, err := applyEffects(tx, f.effects, f.notices, now, sum)
	if err != nil {
		return err
	}
	if len(untold) > 0 {
		// Those whose breach was dropped held were told nothing: the
		// record must not count them as told, or a reopening would owe
		// them a "resolved" (rare: encoded again only then).
		for _, clockKey := range slices.Sorted(maps.Keys(untold)) {
			f.rec.Untell(clockKey, untold[clockKey])
		}
		f.data = encodeRecord(f.ref, f.rec)
	}
	f.res.queued += n
	old := f.oldContrib()
	sum.add(f.counters, old, f.rec.Contrib, f.prepared().attentionChange(&old, &f.rec.Contrib))
	return nil
}

// writeIndexes is write's second part, after writeEffects: the record's
// index keys (putIndexes).
func (f *fold) writeIndexes(tx *bolt.Tx, now time.Time, sum *pendingSums) error {
	w := sum.writer(tx)
	return putIndexes(w, recordKey(w, f.ref, f.prepared()), f.ref, f.rec, f.oldContrib(), now, f.prepared())
}

// writeData is write's last part, after writeIndexes: the record, unless
// it encodes as stored. A fold that changes nothing is common (a re-match
// of a request no changed SLA matches, an event that moves no clock), and
// a put of the same bytes would still make bbolt write the record's page
// again at the commit.
func (f *fold) writeData(tx *bolt.Tx, _ time.Time, sum *pendingSums) error {
	if f.stored != nil && bytes.Equal(f.data, f.stored) {
		return nil
	}
	w := sum.writer(tx)
	return w.bucket(wRequests).put(recordKey(w, f.ref, f.prepared()), f.data)
}

// oldContrib is the contribution of the record as it was; none if new.
func (f *fold) oldContrib() contribution {
	if f.old == nil {
		return contribution{}
	}
	return f.old.Contrib
}

// computeAll runs phase 2 of folds on every core; a fold that must read
// all its events (late events) reads them and computes again, in tx.
func computeAll(tx *bolt.Tx, p *sla.Policy, now time.Time, folds []*fold) error {
	computeEach(p, now, folds)
	// Those that must read all their events (late events; the requests a
	// narrowed re-match folds anew) read them in tx, then compute again
	// on every core; reading every event leaves none needing more.
	var again []*fold
	for _, f := range folds {
		if f.needEvents {
			f.read(tx)
			again = append(again, f)
		}
	}
	computeEach(p, now, again)
	for _, f := range folds {
		if f.err != nil {
			return f.err
		}
	}
	return nil
}

// computeEach runs phase 2 of folds on every core.
func computeEach(p *sla.Policy, now time.Time, folds []*fold) {
	computeOn(runtime.GOMAXPROCS(0), p, now, folds)
}

// computeOn runs phase 2 of folds on up to cores goroutines.
func computeOn(cores int, p *sla.Policy, now time.Time, folds []*fold) {
	workers := min(cores, len(folds))
	if workers <= 1 {
		for _, f := range folds {
			f.compute(p, now)
		}
	} else {
		var next atomic.Int64
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for i := next.Add(1) - 1; i < int64(len(folds)); i = next.Add(1) - 1 {
					folds[i].compute(p, now)
				}
			})
		}
		wg.Wait()
	}
}

// pendingSums adds up the counter and day-aggregate differences of the
// requests a commit folds, so that a counter or a day aggregate many of
// them share is read and written once per commit, not once per request;
// so too the outbox's sequence number and pending counts (firing.go), and
// the notices the outbox and the firing alerts refer to (notice_bodies.go).
type pendingSums struct {
	counters map[string]int64
	// attention are the differences to attention_counts
	// (attention_rank.go).
	attention       countDeltas
	perSLA, perPair map[string]*DayAggr
	held            map[string]*sla.HeldTally // holder day aggregates (holder_days.go)
	pending         map[string]int64          // outbox items added per receiver
	outboxSeq       uint64                    // the last sequence number handed out, once read
	seqRead         bool
	bodies          pendingBodies
	w               *txWriter // the commit's writer (tx_writer.go)
}

func newPendingSums() *pendingSums {
	return &pendingSums{counters: map[string]int64{}, attention: countDeltas{}, perSLA: map[string]*DayAggr{}, perPair: map[string]*DayAggr{}, pending: map[string]int64{}, held: map[string]*sla.HeldTally{}}
}

// add takes one request's difference, as applyContribution applies it,
// and the change of the SLAs it needs attention under (nil: none).
func (s *pendingSums) add(counters counterShares, old, cur contribution, ranks *attentionChange) {
	for _, c := range counters {
		s.counters[c.key] += c.n
	}
	ranks.addCounts(s.attention)
	// Most folds of a request leave its day shares as they were (a tick
	// that settles it, an event that does not stop a clock): their
	// differences, all zero, are not added up.
	if !slices.Equal(old.Days, cur.Days) || !sameCustomers(&old, &cur) {
		dayDeltas(s.perSLA, old.Days, -1, perSLADay)
		dayDeltas(s.perSLA, cur.Days, 1, perSLADay)
		if old.Customer != "" {
			dayDeltas(s.perPair, old.Days, -1, perCustomerDay(&old))
		}
		if cur.Customer != "" {
			dayDeltas(s.perPair, cur.Days, 1, perCustomerDay(&cur))
		}
	}
	if !sameHeld(old.Held, cur.Held) {
		heldDeltas(s.held, old.Held, -1)
		heldDeltas(s.held, cur.Held, 1)
	}
}

// nextOutboxSeq hands out the outbox's next sequence number; flush
// stores the last one.
func (s *pendingSums) nextOutboxSeq(tx *bolt.Tx) uint64 {
	if !s.seqRead {
		s.outboxSeq, s.seqRead = getUint(tx.Bucket(bucketMeta), keyOutboxSeq), true
	}
	s.outboxSeq++
	return s.outboxSeq
}

// flush writes the sums and empties them.
func (s *pendingSums) flush(tx *bolt.Tx) error {
	if err := s.apply(tx); err != nil {
		return err
	}
	if err := s.bodies.write(tx); err != nil {
		return err
	}
	*s = *newPendingSums()
	return nil
}

// apply writes the sums, keeping them (a plan reads after them: plan.go).
func (s *pendingSums) apply(tx *bolt.Tx) error {
	if err := addCounters(tx, maps.All(s.counters)); err != nil {
		return err
	}
	// Before schema 20 (a fold of a migration step), no bucket: the step
	// that makes it counts every request (rankAttention).
	if b := tx.Bucket(bucketAttentionCounts); b != nil {
		if _, err := applyCounters(b, s.attention.all()); err != nil {
			return err
		}
	}
	if err := applyDayDeltas(tx.Bucket(bucketDays), s.perSLA); err != nil {
		return err
	}
	if err := applyDayDeltas(tx.Bucket(bucketCustomerDays), s.perPair); err != nil {
		return err
	}
	if err := applyHeldDeltas(tx.Bucket(bucketHolderDays), s.held); err != nil {
		return err
	}
	if s.seqRead {
		if err := putUint(tx.Bucket(bucketMeta), keyOutboxSeq, s.outboxSeq); err != nil {
			return err
		}
	}
	for receiver, n := range s.pending {
		if err := addPending(tx, receiver, n); err != nil {
			return err
		}
	}
	return nil
}

// refoldAll folds requests after new events: phase 1 for each, phase 2 on
// every core, phase 3 for each in order, then the sums.
func refoldAll(tx *bolt.Tx, p *sla.Policy, now time.Time, folds []*fold) error {
	for _, f := range folds {
		f.read(tx)
	}
	if err := computeAll(tx, p, now, folds); err != nil {
		return err
	}
	sum := newPendingSums()
	for _, f := range folds {
		if err := f.write(tx, now, sum); err != nil {
			return err
		}
	}
	return sum.flush(tx)
}

// refold brings one request up to date after new events (all of them, from
// its stored events, when fresh is nil or they do not simply follow the
// ones already folded), settles its alert bookkeeping, and applies the
// difference to the derived buckets. It returns the alerts it queued.
func refold(tx *bolt.Tx, p *sla.Policy, ref Ref, now time.Time, fresh []sla.Event) (int, error) {
	var res IngestResult
	err := refoldAll(tx, p, now, []*fold{{ref: ref, fresh: fresh, res: &res}})
	return res.queued, err
}
