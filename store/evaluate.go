package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/sla"
)

// EvalResult says what one evaluation did.
type EvalResult struct {
	Requests int // requests whose deadline had come
	Fired    int // stages fired (one notice each, sent to zero or more receivers)
	Skipped  int // stages passed over because a more advanced one fired
	Queued   int // outbox items written
}

// errUnreadable marks a request the evaluator cannot read.
var errUnreadable = errors.New("unreadable request")

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
		var n int
		err := s.update(func(tx *bolt.Tx) error {
			var keys [][]byte
			c := tx.Bucket(bucketDeadlines).Cursor()
			for k, _ := c.First(); k != nil && bytes.Compare(k, bound) < 0 && len(keys) < evalChunk; k, _ = c.Next() {
				if _, ref := parseDeadlineKey(k); !done[ref] {
					done[ref] = true
					keys = append(keys, bytes.Clone(k))
				}
			}
			n = len(keys)
			for _, k := range keys {
				_, ref := parseDeadlineKey(k)
				err := s.evaluateRequest(tx, p, ref, now, &res)
				if errors.Is(err, errUnreadable) {
					// One damaged record must not stop every alert: drop
					// it from the index, say so, and go on.
					s.log.Error("evaluation skips a request whose record cannot be read", "request", ref.ID, "provider", ref.Provider, "err", err)
					if err := tx.Bucket(bucketDeadlines).Delete(k); err != nil {
						return err
					}
					continue
				}
				if err != nil {
					return fmt.Errorf("request %q of %q: %w", ref.ID, ref.Provider, err)
				}
			}
			return nil
		})
		if err != nil {
			return res, fmt.Errorf("evaluate: %w", err)
		}
		res.Requests += n
		if n < evalChunk {
			break
		}
		if round > 10000 {
			return res, fmt.Errorf("evaluate: deadline index does not drain; %d requests stay due", n)
		}
	}
	if res.Queued > 0 {
		s.signalOutbox()
	}
	return res, nil
}

func (s *Store) evaluateRequest(tx *bolt.Tx, p *sla.Policy, ref Ref, now time.Time, res *EvalResult) error {
	rec, err := loadRecord(tx, ref)
	if err != nil {
		return fmt.Errorf("%w: %w", errUnreadable, err)
	}
	if rec == nil {
		return fmt.Errorf("%w: the deadline index names a request that is not stored", errUnreadable)
	}
	if s.stale(tx, ref) {
		// Matched under older rules: decide by the rules in force (rematch.go).
		queued, err := refold(tx, p, ref, now, nil)
		if err != nil {
			return err
		}
		res.Queued += queued
		if rec, err = loadRecord(tx, ref); err != nil {
			return err
		}
	}
	tick := lifecycle.Tick(p, &rec.State, &rec.Request, now)
	queued, err := applyEffects(tx, tick.Effects, now)
	if err != nil {
		return err
	}
	res.Fired += tick.Fired
	res.Skipped += tick.Skipped
	res.Queued += queued
	return saveRecord(tx, p, ref, rec, rec.Contrib, now)
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
