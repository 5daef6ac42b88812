package store

import (
	"time"

	bolt "go.etcd.io/bbolt"
)

// CommitObserver is told of the store's commits, for metrics: every
// acknowledged event, evaluation tick and delivery waits for a commit, and
// a data disk that slows down (a noisy neighbour, a failing drive) shows
// there before it shows as late answers. The daemon's observer keeps them
// as Prometheus histograms; the store itself keeps no metrics.
type CommitObserver interface {
	// Committed is called after each write transaction that committed,
	// with the time its commit alone took: bbolt spilling the changed
	// nodes into pages, writing them and then the meta page, each
	// followed by an fdatasync; not the work the transaction did before.
	// It must not block.
	Committed(d time.Duration)
	// GroupCommitted is called after each group commit of ingest, with
	// the events it took in (duplicates included): how many senders
	// shared one commit and its fsync.
	GroupCommitted(events int)
}

// noObserver is the CommitObserver of a store opened without one.
type noObserver struct{}

func (noObserver) Committed(time.Duration) {}
func (noObserver) GroupCommitted(int)      {}

// timeCommit tells s's observer, once tx has committed, how long its
// commit took from now, the end of the transaction's own work.
func (s *Store) timeCommit(tx *bolt.Tx) {
	began := time.Now() // the wall clock: Options.Now may stand still
	tx.OnCommit(func() { s.observer.Committed(time.Since(began)) })
}

// observeGroup tells s's observer the events of a group commit's batches.
func (s *Store) observeGroup(batch []*writeReq) {
	n := 0
	for _, w := range batch {
		n += len(w.events)
	}
	s.observer.GroupCommitted(n)
}
