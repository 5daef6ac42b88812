package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
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
}

// evalChunk bounds how many due requests one transaction handles, to keep
// transactions short when a long downtime left many due at once (ingest
// waits for the write lock meanwhile: about 0.1 s a chunk), while a storm
// of due requests costs one fsync per chunk rather than per few hundred
// (BenchmarkEvaluate100KDue).
const evalChunk = 1024

// Evaluate fires every alert stage due at or before now. It reads only the
// deadline index up to now — never all open requests — so a tick with
// nothing due costs one cursor seek. Each due request is handed to
// lifecycle.Tick, and what it decides (notices for the outbox, alerts
// firing or over) is written in the same transaction as the request's
// alert state, so a stage fires at most once whatever crashes.
//
// A chunk of due requests is one write transaction in the three phases of
// fold.go: the records are read, then decoded, ticked, their
// contributions computed and records and notices encoded on every core,
// then written in deadline order, the counters and day aggregates they
// share once per chunk.
func (s *Store) Evaluate(now time.Time) (EvalResult, error) {
	var res EvalResult
	p := s.policy.Load()
	bound := binary.BigEndian.AppendUint64(nil, uint64(max(now.Unix(), 0))+1)
	// Most ticks find nothing due: a read transaction tells, without the
	// fsync a write transaction would cost.
	var due bool
	if err := s.db.View(func(tx *bolt.Tx) error {
		k, _ := tx.Bucket(bucketDeadlines).Cursor().First()
		due = k != nil && bytes.Compare(k, bound) < 0
		return nil
	}); err != nil || !due {
		return res, err
	}
	// A request is looked at once per tick: should its next due time still
	// be now (a stage it cannot fire yet), it waits for the next tick
	// instead of keeping this one busy.
	done := map[Ref]bool{}
	for round := 0; ; round++ {
		var chunk EvalResult
		err := s.update(func(tx *bolt.Tx) error {
			var keys [][]byte
			c := tx.Bucket(bucketDeadlines).Cursor()
			for k, _ := c.First(); k != nil && bytes.Compare(k, bound) < 0 && len(keys) < evalChunk; k, _ = c.Next() {
				if _, ref := parseDeadlineKey(k); !done[ref] {
					done[ref] = true
					keys = append(keys, bytes.Clone(k))
				}
			}
			var err error
			chunk, err = s.evaluateChunk(tx, p, keys, now)
			return err
		})
		if err != nil {
			return res, fmt.Errorf("evaluate: %w", err)
		}
		res.Requests += chunk.Requests
		res.Fired += chunk.Fired
		res.Skipped += chunk.Skipped
		res.Queued += chunk.Queued
		if chunk.Requests < evalChunk {
			break
		}
		if round > 10000 {
			return res, fmt.Errorf("evaluate: deadline index does not drain; %d requests stay due", chunk.Requests)
		}
	}
	if res.Queued > 0 {
		s.signalOutbox()
	}
	return res, nil
}

// evaluateChunk ticks the requests of the deadline keys, in tx: a request
// matched under older rules is folded anew first (rematch.go), to decide
// by the rules in force.
func (s *Store) evaluateChunk(tx *bolt.Tx, p *sla.Policy, keys [][]byte, now time.Time) (EvalResult, error) {
	res := EvalResult{Requests: len(keys)}
	var ingest IngestResult // counts what the folds queue
	folds := make([]*fold, len(keys))
	for i, k := range keys {
		_, ref := parseDeadlineKey(k)
		folds[i] = &fold{ref: ref, res: &ingest, tick: true, keep: !s.stale(tx, ref)}
		folds[i].read(tx)
	}
	computeEach(p, now, folds)
	sum := newPendingSums()
	for i, f := range folds {
		if f.err != nil && f.old == nil {
			// One damaged record must not stop every alert: drop it
			// from the index, say so, and go on.
			s.log.Error("evaluation skips a request whose record cannot be read", "request", f.ref.ID, "provider", f.ref.Provider, "err", f.err)
			if err := tx.Bucket(bucketDeadlines).Delete(keys[i]); err != nil {
				return res, err
			}
			continue
		}
		if f.err != nil {
			return res, f.err
		}
		if err := f.write(tx, now, sum); err != nil {
			return res, fmt.Errorf("request %q of %q: %w", f.ref.ID, f.ref.Provider, err)
		}
		res.Fired += f.fired
		res.Skipped += f.skipped
	}
	res.Queued = ingest.queued
	return res, sum.flush(tx)
}

func outboxPrefix(receiver string) []byte { return lp(nil, receiver) }

func outboxKey(receiver string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(outboxPrefix(receiver), seq)
}

// NextDeadline returns the earliest instant in the deadline index; ok is
// false when nothing is indexed. The daemon uses it to report when the next
// stage comes due.
func (s *Store) NextDeadline() (t time.Time, ok bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		k, _ := tx.Bucket(bucketDeadlines).Cursor().First()
		if k != nil {
			t, _ = parseDeadlineKey(k)
			ok = true
		}
		return nil
	})
	return t, ok, err
}
