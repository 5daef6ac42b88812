package store

import (
	"errors"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// commitHealth remembers whether the last commit failed: with a full
// disk every commit fails (the events of a batch, an evaluation tick)
// while reads go on working, and readiness must say so.
//
// A commit small enough for the pages the file has free succeeds on a
// disk that is still full, while every larger one fails: after a failure,
// a commit ends it only once the data disk has room for the file to grow
// (roomToGrow), or readiness and the metric would say healthy between two
// refused batches, and the alert that waits two minutes would never fire.
type commitHealth struct {
	mu    sync.Mutex
	err   error     // the last commit's error; nil once one succeeds
	since time.Time // when commits started failing
	// room returns the bytes free on the data directory's file system.
	room func() (uint64, error)
}

// roomToGrow is the free space on the data disk that ends a failure of
// commits: enough for the file to grow (allocSize at a time) a few times.
const roomToGrow = 4 * allocSize

func (h *commitHealth) note(err error, now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err == nil && h.err != nil && h.room != nil {
		if free, rerr := h.room(); rerr == nil && free < roomToGrow {
			err = fmt.Errorf("%w: the data disk has %d KiB free, too little for the database file to grow (it needs %d MiB); commits that fit in its free pages succeed, the others fail", errNoRoom, free>>10, roomToGrow>>20)
		}
	}
	if err == nil {
		h.err, h.since = nil, time.Time{}
		return
	}
	if h.err == nil {
		h.since = now
	}
	h.err = err
}

// errNoRoom marks a commit failure that lasts while the data disk has no
// room for the file to grow, though the last commit succeeded.
var errNoRoom = errors.New("no room on the data disk")

// errInTx marks an error returned by a transaction's own function (a bad
// batch, an unreadable record), as opposed to the commit.
type errInTx struct{ err error }

func (e errInTx) Error() string { return e.err.Error() }
func (e errInTx) Unwrap() error { return e.err }

// update is db.Update that records whether the commit could be written.
// An error of fn itself says nothing about the disk and is not recorded.
func (s *Store) update(fn func(tx *bolt.Tx) error) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		packRecords(tx) // fill.go
		if err := fn(tx); err != nil {
			return errInTx{err}
		}
		s.timeCommit(tx)
		return nil
	})
	if inTx, ok := errors.AsType[errInTx](err); ok {
		return inTx.err
	}
	s.health.note(err, s.now())
	return err
}

// CommitError returns since when commits fail and the error of the last
// write transaction, if it failed to commit (a full disk, an I/O error);
// a nil error once a commit succeeds again. Readiness reports it.
func (s *Store) CommitError() (since time.Time, err error) {
	s.health.mu.Lock()
	defer s.health.mu.Unlock()
	return s.health.since, s.health.err
}

// ProbeCommit commits a tiny write transaction (the time of the probe, in
// the meta bucket), to learn whether commits work again after they failed:
// the evaluator calls it while CommitError is set, so readiness recovers
// once space is freed even if no event arrives and nothing is due.
func (s *Store) ProbeCommit() error {
	now := s.now()
	err := s.update(func(tx *bolt.Tx) error {
		return putUint(tx.Bucket(bucketMeta), keyProbe, uint64(now.Unix()))
	})
	if err != nil {
		return fmt.Errorf("probe commit: %w", err)
	}
	if _, err := s.CommitError(); err != nil {
		return fmt.Errorf("probe commit: %w", err) // it fit, but the disk is still full
	}
	return nil
}
