package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/slad-project/slad/sla"
)

// Errors the store returns; match them with errors.Is.
var (
	// ErrLocked: another process holds the database file.
	ErrLocked = errors.New("database is locked by another process")
	// ErrClosed: the store was closed (before the call, or under it:
	// closedUnder).
	ErrClosed = errors.New("store is closed")
	// ErrNotFound: no such request.
	ErrNotFound = errors.New("not found")
	// ErrNewerSchema: the file was written by a newer slad.
	ErrNewerSchema = errors.New("database schema is newer than this slad")
	// ErrBadCursor: a paging cursor that this store did not hand out.
	ErrBadCursor = errors.New("bad cursor")
	// ErrConflict: a batch reused the id of a different event, stored or
	// earlier in the batch; nothing of it was stored. The error is a
	// *ConflictError, which holds both events.
	ErrConflict = errors.New("event id already names a different event")
	// ErrDamaged: the database file is damaged (cut short, emptied, not a
	// bbolt file); Open and Check return a *DamagedError that says how.
	ErrDamaged = errors.New("database file is damaged")
	// ErrBackupRunning: a backup is already being taken; one runs at a time.
	ErrBackupRunning = errors.New("a backup is already running")
	// ErrAmbiguous: an event names no provider and its id names requests
	// of more than one provider the sender may send for (place.go); the
	// error is an *AmbiguousError and nothing of the batch was stored.
	ErrAmbiguous = errors.New("request id names requests of more than one provider")
)

// ConflictError is a batch refused because one of its events has the id of
// a different event (sla.Event.Differences says what "different" is). It
// matches ErrConflict. An identical repeat is a duplicate, not a conflict.
type ConflictError struct {
	// Index is the position of the event within its batch, from 0.
	Index int
	// Stored is the event the id already names; Sent is the batch's.
	Stored, Sent sla.Event
}

// Error names the id, the fields that differ, and both versions.
func (e *ConflictError) Error() string {
	stored, _ := json.Marshal(e.Stored) // an sla.Event always encodes
	sent, _ := json.Marshal(e.Sent)
	return fmt.Sprintf("event %d: id %q already names a different event (differing in %s): stored %s, sent %s; "+
		"an id must name one event: give the new event its own id, or send the stored one unchanged",
		e.Index, e.Sent.ID, strings.Join(e.Stored.Differences(&e.Sent), ", "), stored, sent)
}

// Unwrap makes the error match ErrConflict.
func (e *ConflictError) Unwrap() error { return ErrConflict }

// FileName is the database file's name inside the data directory.
const FileName = "slad.db"

// DefaultMaxBatchEvents is how many events one group commit takes at
// most (Options.MaxBatchEvents): the batches queued while the writer is
// busy are committed together up to it, and a larger batch goes alone.
// It is also slad import's batch size (cmd/slad): a commit rewrites the
// pages of every day aggregate, tally and index its events touch, however
// few events share them, so an import of history goes about twice as fast
// in batches of 5,000 as of 500 (docs/performance.md).
const DefaultMaxBatchEvents = 5000

// Options configure a Store.
type Options struct {
	// Dir is the data directory; it is created if missing.
	Dir string
	// LockTimeout bounds the wait for the file lock (default 3s).
	LockTimeout time.Duration
	// Logger receives the store's log lines (default: discard).
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Policy is the rule set events are folded with; replace it with
	// SetPolicy. Required.
	Policy *sla.Policy
	// MaxBatchEvents caps how many events one group commit takes (default
	// DefaultMaxBatchEvents).
	MaxBatchEvents int
	// HistoryPerTick caps how many requests and alert stages a tick takes
	// of imported history (clocks to settle, catch-up alerts of old
	// breaches), after every other due request, less those and the alert
	// stages they fired (and at least a tenth); the next tick goes on
	// (default DefaultHistoryPerTick).
	HistoryPerTick int
	// Observer is told of every commit (metrics.go); nil tells no one.
	Observer CommitObserver
}

// Store is slad's database: events, folded requests, the deadline index,
// day aggregates, the alert outbox and the notification log, in one bbolt
// file. All methods are safe for concurrent use.
type Store struct {
	db     *bolt.DB
	log    *slog.Logger
	now    func() time.Time
	policy atomic.Pointer[sla.Policy]

	writes   chan *writeReq
	maxBatch int
	// historyPerTick: Options.HistoryPerTick.
	historyPerTick int
	// tellDeliveryAfter: the constant, but in tests.
	tellDeliveryAfter time.Duration

	ingested commitLog // the writer's last commits (ingest_pipeline.go)
	// lastCommit is how long the writer's last group commit took (applying
	// and committing, in nanoseconds), which bounds how long a group waits
	// for callers (gather.go); the commit-duration metric times bbolt's
	// commit alone, of every write transaction.
	lastCommit atomic.Int64
	stop       chan struct{}
	done       chan struct{}
	closing    sync.Once
	mu         sync.RWMutex // held for reading while queueing a write, for writing to close
	closed     bool

	outboxMu      sync.Mutex
	outboxChanged chan struct{}

	health   commitHealth
	observer CommitObserver
	backupMu sync.Mutex // held by the backup running
	rm       rematcher  // re-matching open requests to a changed policy (rematch.go)
}

// Open opens (or creates) the database in opts.Dir, migrates it to the
// current schema and starts the group-commit writer. A damaged file is
// refused with a *DamagedError (see ErrDamaged) and left as it is.
func Open(opts Options) (*Store, error) {
	if opts.Policy == nil {
		return nil, errors.New("open store: a policy is required")
	}
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = 3 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Observer == nil {
		opts.Observer = noObserver{}
	}
	if opts.MaxBatchEvents <= 0 {
		opts.MaxBatchEvents = DefaultMaxBatchEvents
	}
	if opts.HistoryPerTick <= 0 {
		opts.HistoryPerTick = DefaultHistoryPerTick
	}
	if err := os.MkdirAll(opts.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("open store: create data directory: %w", err)
	}
	path := filepath.Join(opts.Dir, FileName)
	db, err := openBolt(path, boltOptions(path, opts.LockTimeout, false))
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("open store: %w: %s is held by another slad (waited %s for its lock); stop that one or use another --data directory", ErrLocked, path, opts.LockTimeout)
	}
	if errors.Is(err, ErrDamaged) {
		return nil, err // the sentence names the file and what to do
	}
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	db.AllocSize = allocSize
	s := &Store{
		db: db, log: opts.Logger, now: opts.Now,
		writes: make(chan *writeReq, 1024), maxBatch: opts.MaxBatchEvents, historyPerTick: opts.HistoryPerTick, tellDeliveryAfter: tellDeliveryAfter,
		stop: make(chan struct{}), done: make(chan struct{}),
		outboxChanged: make(chan struct{}), observer: opts.Observer,
	}
	s.health.room = func() (uint64, error) { return freeSpace(opts.Dir) }
	s.policy.Store(opts.Policy)
	if err := guard(path, s.migrate); err != nil {
		if errors.Is(err, ErrDamaged) {
			// bbolt panicked on a page: closing may panic as well, and the
			// process is about to exit.
			return nil, err
		}
		return nil, errors.Join(fmt.Errorf("open store %s: %w", path, err), db.Close())
	}
	s.removeStaleBackups(opts.Dir)
	go s.writer()
	return s, nil
}

// Close stops the writer (after the writes already queued are committed) and
// closes the file.
func (s *Store) Close() error {
	var err error
	s.closing.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		close(s.stop)
		<-s.done
		err = s.db.Close()
	})
	return err
}

// closedUnder marks err as ErrClosed when it is bbolt's refusal of a
// transaction begun after the store closed ("database not open"), so that
// a caller tells a stop from a fault; other errors, and nil, it returns
// as they are.
func closedUnder(err error) error {
	if errors.Is(err, berrors.ErrDatabaseNotOpen) && !errors.Is(err, ErrClosed) {
		return fmt.Errorf("%w: %w", ErrClosed, err)
	}
	return err
}

// Growth of the file and of its memory map; see boltOptions.
const (
	allocSize   = 1 << 20 // the file grows by 1 MiB at a time
	minMmapSize = 1 << 30 // the map starts at 1 GiB, or twice the file
)

// boltOptions are the options the database file is opened with.
//
// AllocSize: bbolt extends the file by this much whenever it runs out of
// pages (16 MiB by default). On a full disk a commit fails; a file grown
// in small steps claims little beyond its data, so freeing a little space
// (a few MiB) is enough for commits to work again, even on file systems
// that reserve what a file's size claims.
//
// InitialMmapSize: bbolt must remap the file to grow past its map, and a
// remap waits for every read transaction to end. A backup streams from one
// read transaction for as long as its client takes; mapping twice the file
// (at least 1 GiB of address space, not memory) up front lets commits grow
// the file meanwhile without waiting for it (bbolt's advice for long read
// transactions, DB.Begin). On Windows a map that large would be allocated
// on disk, and 32-bit systems lack the address space: there the map grows
// as it needs.
//
// FreelistType map: allocation in time independent of the freelist's size.
func boltOptions(path string, lockTimeout time.Duration, readOnly bool) *bolt.Options {
	o := &bolt.Options{Timeout: lockTimeout, FreelistType: bolt.FreelistMapType, ReadOnly: readOnly}
	if runtime.GOOS != "windows" && strconv.IntSize == 64 && !readOnly {
		o.InitialMmapSize = minMmapSize
		if st, err := os.Stat(path); err == nil && 2*st.Size() > minMmapSize {
			o.InitialMmapSize = int(2 * st.Size())
		}
	}
	return o
}

// SetPolicy replaces the rules events are folded with from now on. Use
// Rematch to apply them to open requests.
func (s *Store) SetPolicy(p *sla.Policy) { s.policy.Store(p) }

// Policy returns the rules in force.
func (s *Store) Policy() *sla.Policy { return s.policy.Load() }

// Path returns the database file's path.
func (s *Store) Path() string { return s.db.Path() }

// Bucket names. The layout is described in doc.go.
var (
	bucketMeta      = []byte("meta")
	bucketEvents    = []byte("events")
	bucketEventIDs  = []byte("event_ids")
	bucketRequests  = []byte("requests")
	bucketOpen      = []byte("open")
	bucketDeadlines = []byte("deadlines")
	bucketDays      = []byte("days")
	bucketCounters  = []byte("counters")
	// bucketBreaches went with schema 16 (breach_listing.go); the steps
	// before it still lay it out and read it.
	bucketBreaches  = []byte("breaches")
	bucketAttention = []byte("attention")
	bucketOutbox    = []byte("outbox")
	bucketNotifyLog = []byte("notify_log")
	bucketFiring    = []byte("firing")
	bucketStops     = []byte("stops")
	// bucketBreachesBySLA came with schema 2.
	bucketBreachesBySLA = []byte("breaches_by_sla")
	// bucketCustomerDays came with schema 4.
	bucketCustomerDays = []byte("days_by_customer")
	// bucketHeld came with schema 6.
	bucketHeld = []byte("held")
	// bucketOpenUnmatched came with schema 17 (unmatched.go).
	bucketOpenUnmatched = []byte("open_unmatched")
	allBuckets          = [][]byte{bucketMeta, bucketEvents, bucketEventIDs, bucketRequests, bucketOpen, bucketDeadlines, bucketDays, bucketCounters, bucketBreaches, bucketAttention, bucketOutbox, bucketNotifyLog, bucketFiring, bucketStops}
	keySchemaVersion    = []byte("schema_version")
	keyEventSeq         = []byte("event_seq")
	keyOutboxSeq        = []byte("outbox_seq")
	keyPolicy           = []byte("policy_fingerprint")
	keyProbe            = []byte("commit_probe") // see ProbeCommit
)

// SchemaVersion is the layout this slad writes.
const SchemaVersion = 22

// migrations[v] upgrades a database from schema v to v+1. A new layout adds
// its step here and bumps SchemaVersion; Open runs the missing steps in one
// transaction, so an upgrade is all or nothing. A step that recomputes
// derived figures does so with the policy in force, as of now.
var migrations = map[uint64]func(tx *bolt.Tx, p *sla.Policy, now time.Time) error{
	0: func(tx *bolt.Tx, _ *sla.Policy, _ time.Time) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	},
	// 2: breaches indexed per SLA as well, filled from the existing ones.
	1: func(tx *bolt.Tx, _ *sla.Policy, _ time.Time) error {
		idx, err := tx.CreateBucketIfNotExists(bucketBreachesBySLA)
		if err != nil {
			return err
		}
		return tx.Bucket(bucketBreaches).ForEach(func(k, v []byte) error {
			return idx.Put(appendBySLA(nil, k), v)
		})
	},
	// 3: "at risk" counts a request with a clock breached under the SLA as
	// breached, not at risk (the README's definition). Only requests in the
	// attention index can be at risk: their shares are recounted.
	2: recountAtRisk,
	// 4: figures per (SLA, customer) pair: every stored contribution gets
	// its request's customer (see withCustomer).
	3: addCustomerDimension,
	// 5: survey answers and their per-day iNPS counts (feedback.go).
	4: addFeedback,
	// 6: a request is named by its provider and its id (migrate.go).
	5: keyByProvider,
	// 7: the indexes retention removes old requests by (retention.go).
	6: addRetentionIndexes,
	// 8: request records in the compact encoding (codec.go).
	7: compactRecords,
	// 9: pending alerts counted per receiver (outbox.go).
	8: countPending,
	// 10: alerts held for quiet hours (held.go) and the digests sent
	// (digest.go).
	9: addQuietHolds,
	// 11: events in the compact encoding (event_codec.go).
	10: compactEvents,
	// 12: a notice stored once for its outbox items and firing alerts
	// (notice_bodies.go).
	11: shareNotices,
	// 13: where the time went: per SLA, day and holder (holder_days.go).
	12: addHolderDays,
	// 14: requests per provider, opened and without a clock (unmatched.go).
	13: countRequests,
	// 15: held alerts counted per receiver (held_count.go).
	14: countHeld,
	// 16: breaches indexed per SLA only; the listing of all of them
	// merges the SLAs' ranges (breach_listing.go).
	15: dropBreachesByTime,
	// 17: the open requests without a clock, listed per provider
	// (unmatched.go).
	16: indexOpenUnmatched,
	// 18: a version per SLA of its holder tallies, so that a scrape
	// rereads only those that changed (holder_days.go).
	17: addHolderVersions,
	// 19: a version per SLA of its day aggregates and its customers', so
	// that a scrape rereads only the window sums that changed
	// (day_versions.go).
	18: addDayVersions,
	// 20: the requests needing attention ranked per SLA and customer,
	// and counted (attention_rank.go).
	19: rankAttention,
	// 21: the deadline index's history lane (keys.go: historyLane).
	// Nothing to rewrite: every key written before stands in the first
	// lane, and is looked at as before; the step keeps an older slad,
	// which would never look at the history lane, from opening the file.
	20: func(*bolt.Tx, *sla.Policy, time.Time) error { return nil },
	// 22: records keep when each open clock breached or, warned of,
	// reaches its target (contribution.BreachTimes, at the end of the
	// record's tail), which ranks the request in attention_ranks. Nothing
	// to rewrite: a record without them ranks as before (breachedAt,
	// dueAt) until it is next written; the step keeps an older slad, which
	// would read them as trailing bytes, from opening the file.
	21: func(*bolt.Tx, *sla.Policy, time.Time) error { return nil },
}

func (s *Store) migrate() error {
	return s.db.Update(func(tx *bolt.Tx) error {
		first, _ := tx.Cursor().First()
		fresh := first == nil // a new file: no bucket at all
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		v := getUint(meta, keySchemaVersion)
		if v > SchemaVersion {
			return fmt.Errorf("%w: the file has schema %d, this slad knows up to %d; run a newer slad or restore a backup", ErrNewerSchema, v, SchemaVersion)
		}
		for ; v < SchemaVersion; v++ {
			if err := migrations[v](tx, s.policy.Load(), s.now()); err != nil {
				return fmt.Errorf("migrate schema %d to %d: %w", v, v+1, err)
			}
			if !fresh { // a new file is laid out by the same steps, with nothing to upgrade
				s.log.Info("migrated database schema", "from", v, "to", v+1)
			}
		}
		if fresh {
			s.log.Info("created the database", "schema", v)
		}
		return putUint(meta, keySchemaVersion, v)
	})
}

func getUint(b *bolt.Bucket, k []byte) uint64 { return uintOf(b.Get(k)) }

// uintOf is a value putUint wrote; 0 for none.
func uintOf(v []byte) uint64 {
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

func putUint(b *bolt.Bucket, k []byte, v uint64) error {
	return b.Put(k, binary.BigEndian.AppendUint64(nil, v))
}
