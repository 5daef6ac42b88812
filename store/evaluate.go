package store

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"slices"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/sla"
)

// EvalResult says what one evaluation did.
type EvalResult struct {
	Requests int // requests whose deadline had come
	Fired    int // stages fired (one notice each, sent to zero or more receivers)
	Skipped  int // stages passed over because a more advanced one fired
	Queued   int // outbox items written
	// HistoryLeft says that more requests were due only for imported
	// history (to settle, or to send the catch-up of old breaches) than a
	// tick takes (historyBudget): the next tick goes on.
	HistoryLeft bool
}

// add adds the results of another chunk.
func (r *EvalResult) add(o EvalResult) {
	r.Requests += o.Requests
	r.Fired += o.Fired
	r.Skipped += o.Skipped
	r.Queued += o.Queued
}

// DefaultHistoryPerTick is how many requests and alert stages a tick
// takes, at most, of imported history (Options.HistoryPerTick, the
// history lane: clocks to settle, catch-up alerts of old breaches): less
// the other due requests it looked at first and the stages they fired,
// and at least a tenth (historyBudget). 20,000 settling take about a
// second on a 2-core machine (BenchmarkEvaluateSettle), and so do about
// as many alerts, so an import of a million requests settles and
// announces its old breaches over half an hour of ticks instead of in one
// tick of a minute.
const DefaultHistoryPerTick = 20_000

// tellDeliveryAfter is how long a tick runs before it tells delivery of
// its alerts as each chunk commits (Store.tellDeliveryAfter), rather than
// once at its end. The catch-up of a long downtime or of a
// million-request import takes seconds to half a minute, and its first
// alerts should not wait for its last; a tick within the storm's target
// keeps the write lock to itself, as delivery's commits would lengthen
// it.
const tellDeliveryAfter = 2 * time.Second

// dueBound is the deadline index's key bound of what is due at now: every
// key of a deadline up to now's second sorts before it.
func dueBound(now time.Time) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(max(now.Unix(), 0))+1)
}

// evalChunk bounds how many due requests one transaction handles, to keep
// transactions short when a long downtime left many due at once (ingest
// waits for the write lock meanwhile: about 0.1 s a chunk, since the
// chunk was read and computed before), while a storm of due requests
// costs one fsync per chunk rather than per few hundred
// (BenchmarkEvaluate100KDue: 2,048 ticks 100,000 requests 15% faster than
// 1,024).
const evalChunk = 2048

// Evaluate fires every alert stage due at or before now. It reads only the
// deadline index up to now — never all open requests — so a tick with
// nothing due costs one cursor seek. Each due request is handed to
// lifecycle.Tick, and what it decides (notices for the outbox, alerts
// firing or over) is written in the same transaction as the request's
// alert state, so a stage fires at most once whatever crashes.
//
// Due requests go in chunks through the three phases of fold.go, the
// first two outside the write transaction: a chunk's records are read in
// a read transaction, then decoded, ticked, their contributions computed
// and records and notices encoded on every core while the writer writes
// and commits the chunk before. The writer checks that each record is
// still the one that was read (an event or the re-match may have changed
// it meanwhile; it then decides on it again as it is) and writes them in
// deadline order, the counters and day aggregates they share once per
// chunk.
//
// A store closed under a tick (a stop that could not wait for it) ends it
// between chunks with an error that matches ErrClosed: what it committed
// stays, and the next tick decides the rest.
func (s *Store) Evaluate(now time.Time) (EvalResult, error) {
	res, err := s.evaluate(now)
	return res, closedUnder(err)
}

// evaluate is Evaluate's tick.
func (s *Store) evaluate(now time.Time) (EvalResult, error) {
	var res EvalResult
	p := s.policy.Load()
	bound := dueBound(now)
	// Most ticks find nothing due: a read transaction tells, without the
	// fsync a write transaction would cost.
	var due bool
	if err := s.db.View(func(tx *bolt.Tx) error {
		cur := tx.Bucket(bucketDeadlines).Cursor()
		k, _ := cur.First()
		if k != nil && !deadlineDue(k, bound) && k[0] != historyLane {
			k, _ = cur.Seek([]byte{historyLane})
		}
		due = k != nil && deadlineDue(k, bound)
		return nil
	}); err != nil || !due {
		return res, err
	}
	// Unbuffered: a computed chunk waits in the reader's hands while the
	// writer writes the one before, so two chunks are in memory, not
	// three. The smaller heap grows less (fresh spans cost a sixth of a
	// storm's CPU at GOGC=400): BenchmarkEvaluate100KDue 2.26-2.29 s ->
	// 2.09-2.15 s, alternated, with 40-50 MB live instead of 50-60.
	chunks := make(chan *evalChunkOf)
	stop := make(chan struct{})
	var readErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(chunks)
		res.HistoryLeft, readErr = s.readDue(p, bound, now, chunks, stop)
	})
	var err error
	var ours commitLog // the commits of the chunks before (ingest_pipeline.go)
	began, untold := time.Now(), false
	for c := range chunks {
		var chunk EvalResult
		var id int
		if err = s.update(func(tx *bolt.Tx) error {
			var err error
			id = tx.ID()
			// Each chunk writes its own requests only.
			_, c.unchanged = ours.since(c.read, id)
			chunk, err = s.writeDue(tx, p, bound, c, now)
			return err
		}); err != nil {
			break
		}
		ours.add(loggedCommit{id: id})
		res.add(chunk)
		untold = untold || chunk.Queued > 0
		if untold && time.Since(began) >= s.tellDeliveryAfter {
			s.signalOutbox()
			untold = false
		}
	}
	close(stop)
	wg.Wait()
	if untold {
		s.signalOutbox()
	}
	if err = errors.Join(err, readErr); err != nil {
		return res, fmt.Errorf("evaluate: %w", err)
	}
	return res, nil
}

// evalChunkOf is a chunk of due requests, read and computed (phases 1
// and 2), waiting for the writer.
type evalChunkOf struct {
	keys  [][]byte // the deadline keys that named them
	folds []*fold
	res   IngestResult // counts what the folds queue
	// read is the transaction the records were read in; unchanged says
	// that no commit since then but the tick's own chunks' (which write
	// their own requests only) could have changed them: bbolt numbers a
	// read transaction by the last commit it sees, a write one by the
	// commit it makes.
	read      int
	unchanged bool
	// whole: each request is written whole before the next, not in
	// writeDue's passes (tests compare the two).
	whole bool
}

// evalRound bounds the due requests readDue orders at once: their
// deadline keys (a few dozen bytes each) are held in memory meanwhile.
const evalRound = 1 << 17

// readDue reads the due requests, computes them on every core in chunks
// and hands the chunks to the writer, until none is left or stop is
// closed: every due request of the deadline index's first lane, then
// those of the history lane (historyLane), the earliest due first, up
// to historyBudget; left says some of those were left for the next tick.
//
// The deadline index orders the due requests by when they came due; they
// are taken in the order of their request keys instead (up to evalRound
// at a time), the order of the buckets a tick writes most: the records,
// the attention index, the notices and firing alerts. Taken by deadline,
// the requests of a chunk lie anywhere in those buckets (ids and
// deadlines need not go together: tickets of many SLAs, with targets of
// minutes and of days), and each chunk's commit wrote nearly every page of
// them again: a storm of 100,000 wrote 1.4 GB for 170 MB of changes.
// Taken by key, each chunk writes the next stretch of pages of each, and
// a page is written about once per tick.
func (s *Store) readDue(p *sla.Policy, bound []byte, now time.Time, out chan<- *evalChunkOf, stop <-chan struct{}) (left bool, err error) {
	// A request is looked at once per tick: should its next due time still
	// be now (a stage it cannot fire yet), it waits for the next tick
	// instead of keeping this one busy. The requests looked at are known
	// by a 64-bit hash of their key: for the million due of a catch-up
	// after a long downtime a map of their Refs takes 124 MB, of their
	// hashes 38. One that shares another's hash (about one tick in 30
	// million at a million due) waits for the next tick.
	seed := maphash.MakeSeed()
	done := map[uint64]struct{}{}
	take := func(k []byte, keys [][]byte) [][]byte {
		_, request := deadlineParts(k)
		h := maphash.Bytes(seed, request)
		if _, seen := done[h]; !seen {
			done[h] = struct{}{}
			keys = append(keys, bytes.Clone(k))
		}
		return keys
	}
	fired := 0 // the stages the first lane's requests fire
	for round := 0; ; round++ {
		var keys [][]byte
		if err := s.db.View(func(tx *bolt.Tx) error {
			cur := tx.Bucket(bucketDeadlines).Cursor()
			for k, _ := cur.First(); k != nil && bytes.Compare(k, bound) < 0 && len(keys) < evalRound; k, _ = cur.Next() {
				keys = take(k, keys)
			}
			return nil
		}); err != nil {
			return false, err
		}
		n, _, stopped, err := s.computeDue(p, now, keys, out, stop, 0)
		if err != nil || stopped {
			return false, err
		}
		fired += n
		if len(keys) < evalRound {
			break
		}
		if round > 10000 {
			return false, fmt.Errorf("deadline index does not drain; %d requests stay due", len(keys))
		}
	}
	// The history lane while the budget lasts: its earliest due keys,
	// as many as the budget, taken in the order of their request keys
	// (computeDue), each request and each catch-up alert it fires (six a
	// request of ten clocks) counting one. computeDue stops at the
	// request that spends the budget, and the rest is left for the next
	// tick, among the earliest due again: a request cut off may wait a
	// few ticks more than one due after it, which the order of the keys,
	// what bbolt writes fastest, is worth for history.
	budget := historyBudget(s.historyPerTick, len(done)+fired)
	var keys [][]byte
	if err := s.db.View(func(tx *bolt.Tx) error {
		cur := tx.Bucket(bucketDeadlines).Cursor()
		k, _ := cur.Seek([]byte{historyLane})
		for ; k != nil && deadlineDue(k, bound) && len(keys) < budget; k, _ = cur.Next() {
			keys = take(k, keys)
		}
		left = k != nil && deadlineDue(k, bound)
		return nil
	}); err != nil {
		return false, err
	}
	_, taken, _, err := s.computeDue(p, now, keys, out, stop, budget)
	return left || taken < len(keys), err
}

// historyBudget is how much of the history lane a tick takes after its
// urgent work: what is left of perTick, and at least a tenth of it, so
// that history goes on through a tick busy with alerts. Each request
// looked at and each stage fired counts one: an alert writes as many keys
// as settling a request does (its notice, outbox items and index entry, a
// breach), so a tick that fires the catch-up of a long downtime settles
// little, and one of the lane's catch-up alerts as little.
func historyBudget(perTick, urgent int) int {
	return max(perTick-urgent, perTick/10, 1)
}

// computeDue reads and computes the due requests the keys name, in the
// order of their request keys, a chunk at a time, and hands each chunk to
// the writer; fired is how many alert stages they fire, stopped says the
// writer failed (and reports why) before every chunk was handed over.
// With a budget above 0, it hands over requests only until they and the
// stages they fire reach it, the last one perhaps past it; taken is how
// many requests it handed over.
func (s *Store) computeDue(p *sla.Policy, now time.Time, keys [][]byte, out chan<- *evalChunkOf, stop <-chan struct{}, budget int) (fired, taken int, stopped bool, err error) {
	slices.SortFunc(keys, func(a, b []byte) int {
		at, ar := deadlineParts(a)
		bt, br := deadlineParts(b)
		return cmp.Or(bytes.Compare(ar, br), cmp.Compare(at, bt))
	})
	for from := 0; from < len(keys); from += evalChunk {
		if budget > 0 && taken+fired >= budget {
			return fired, taken, false, nil
		}
		select {
		case <-stop: // the writer failed
			return fired, taken, true, nil
		default:
		}
		c := &evalChunkOf{keys: keys[from:min(from+evalChunk, len(keys))]}
		if err := s.db.View(func(tx *bolt.Tx) error {
			c.read = tx.ID()
			c.folds = make([]*fold, len(c.keys))
			l := newLookups(tx) // one cursor for the chunk's records
			for i, k := range c.keys {
				_, ref := parseDeadlineKey(k)
				c.folds[i] = &fold{ref: ref, res: &c.res, tick: true, keep: !s.stale(tx, ref)}
				c.folds[i].readWith(l)
			}
			return nil
		}); err != nil {
			return fired, taken, false, err
		}
		// Every core, the writer's too: it spends much of a chunk
		// waiting for its commit's writes and fsyncs.
		computeEach(p, now, c.folds)
		// Here, not in the writer, which is serial: what writing
		// each takes that it decides alone.
		n := len(c.folds)
		for i, f := range c.folds {
			f.prepareWrite()
			fired += f.fired
			if budget > 0 && taken+i+1+fired >= budget {
				n = i + 1 // the rest is left as read: nothing counted it yet
				break
			}
		}
		c.keys, c.folds = c.keys[:n], c.folds[:n]
		select {
		case out <- c:
			taken += n
		case <-stop:
			return fired, taken, true, nil
		}
	}
	return fired, taken, false, nil
}

// writeDue writes a chunk of ticked requests in tx (phase 3). A request
// whose record changed since it was read is read and computed again here,
// and ticked only if it is still due; one matched under older rules is
// folded anew first (rematch.go), to decide by the rules in force.
//
// It writes in three passes over the chunk: every request's alert
// effects (the outbox, the notices index, the firing alerts), then every
// one's index keys, then every record. A few buckets at a time, each
// one's pages stay in the cache from one request to the next (the writer
// is serial: the tick's bare puts bucket by bucket took ~20% less CPU
// than interleaved per request; the passes cut the writer's puts by
// ~10%). The order of writes may change because no request reads or
// writes a key of another's (its request key is in every key it touches,
// but the sums', which add up in any order) and each one's writes keep
// their order.
func (s *Store) writeDue(tx *bolt.Tx, p *sla.Policy, bound []byte, c *evalChunkOf, now time.Time) (EvalResult, error) {
	res := EvalResult{Requests: len(c.keys)}
	sum := newPendingSums()
	// The chunk's requests come in key order (readDue), and with them
	// their keys in these buckets (the breaches' after their time, which
	// is about now): the pages split behind them are never written to
	// again, so they are packed (fill.go) rather than left half empty.
	for _, name := range [][]byte{bucketAttention, bucketFiring, bucketNotices, bucketBreachesBySLA} {
		tx.Bucket(name).FillPercent = packedFill
	}
	w := sum.writer(tx)
	written := make([]*fold, 0, len(c.folds))
	for i, f := range c.folds {
		// Unless no other commit came between, the record may have
		// changed since it was read.
		if !c.unchanged && !s.recheck(tx, w, p, bound, now, f) {
			continue
		}
		if f.err != nil && f.old == nil {
			// One damaged record must not stop every alert: drop it
			// from the index, say so, and go on.
			s.log.Error("evaluation skips a request whose record cannot be read", "request", f.ref.ID, "provider", f.ref.Provider, "err", f.err)
			if err := tx.Bucket(bucketDeadlines).Delete(c.keys[i]); err != nil {
				return res, err
			}
			continue
		}
		if f.err != nil {
			return res, f.err
		}
		write := f.writeEffects
		if c.whole {
			write = f.write
		}
		if err := write(tx, now, sum); err != nil {
			return res, fmt.Errorf("request %q of %q: %w", f.ref.ID, f.ref.Provider, err)
		}
		written = append(written, f)
		res.Fired += f.fired
		res.Skipped += f.skipped
	}
	if !c.whole {
		for _, write := range []func(*fold, *bolt.Tx, time.Time, *pendingSums) error{(*fold).writeIndexes, (*fold).writeData} {
			for _, f := range written {
				if err := write(f, tx, now, sum); err != nil {
					return res, fmt.Errorf("request %q of %q: %w", f.ref.ID, f.ref.Provider, err)
				}
			}
		}
	}
	res.Queued = c.res.queued
	return res, sum.flush(tx)
}

// recheck reads and computes a due request again if its record changed
// since it was read, and reports whether it is still due.
func (s *Store) recheck(tx *bolt.Tx, w *txWriter, p *sla.Policy, bound []byte, now time.Time, f *fold) bool {
	w.key = appendRequestKey(w.key[:0], f.ref)
	v := w.bucket(wRequests).get(w.key)
	if bytes.Equal(v, f.stored) {
		return true
	}
	if v == nil {
		return false // removed meanwhile: nothing is due
	}
	f.keep = !s.stale(tx, f.ref)
	f.read(tx)
	f.compute(p, now)
	// Still due unless its deadline moved past now.
	return f.old == nil || (f.old.Contrib.Deadline != nil && deadlineDue(f.old.Contrib.Deadline, bound))
}

func outboxPrefix(receiver string) []byte { return lp(nil, receiver) }

func outboxKey(receiver string, seq uint64) []byte { return appendOutboxKey(nil, receiver, seq) }

// appendOutboxKey appends outboxKey(receiver, seq) to b.
func appendOutboxKey(b []byte, receiver string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(lp(b, receiver), seq)
}

// NextDeadline returns the earliest instant in the deadline index; ok is
// false when nothing is indexed. The daemon uses it to report when the next
// stage comes due.
func (s *Store) NextDeadline() (t time.Time, ok bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		cur := tx.Bucket(bucketDeadlines).Cursor()
		// The first key of each lane (historyLane).
		k1, _ := cur.First()
		k2, _ := cur.Seek([]byte{historyLane})
		for _, k := range [][]byte{k1, k2} {
			if k == nil {
				continue
			}
			if d, _ := parseDeadlineKey(k); !ok || d.Before(t) {
				t, ok = d, true
			}
		}
		return nil
	})
	return t, ok, err
}
