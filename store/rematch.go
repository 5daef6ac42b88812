package store

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"sync"
	"sync/atomic"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/sla"
)

// Re-matching open requests to a changed policy.
//
// A changed policy (Adopt) puts the new rules in force at once and makes
// every open request stale: folded under older rules. RematchStep then folds
// the stale ones again, a chunk per transaction, in the order of the open
// bucket's keys; the key of the last one done (the cursor) is kept in memory
// and in meta, with the target fingerprint, in the same transaction as the
// chunk, so a crash resumes where the last committed chunk ended.
//
// Until the pass reaches it, a stale request — open, its key after the
// cursor — is folded again wherever it matters: an event for it folds all
// its events anew (not just the new ones onto old clocks), an evaluation
// tick folds it anew before deciding what fires, and Request answers with
// it folded anew in memory. Only the aggregates (counters, breach lists,
// the attention list) lag until the pass reaches it; RematchProgress says
// how many requests are still pending.
//
// No record carries a field of its own for this: staleness is a request's
// place relative to the cursor.

// Meta keys of a re-match in progress.
var (
	// keyRematchTarget holds the fingerprint open requests are being
	// re-matched to; absent when none is.
	keyRematchTarget = []byte("rematch_target")
	// keyRematchAfter holds the open key of the last request re-matched;
	// absent before the first chunk.
	keyRematchAfter = []byte("rematch_after")
)

// rematchChunk is how many requests one re-match transaction folds.
const rematchChunk = 500

// rematchState is where a re-match stands, in memory. A value is never
// changed once published: writers (holding rematcher.mu) publish a new one.
type rematchState struct {
	gen    uint64      // bumped by each Adopt that starts a re-match
	active bool        // open requests after `after` are stale
	target string      // the fingerprint being re-matched to
	policy *sla.Policy // the rules of target
	after  []byte      // open key of the last request done; nil: none yet
	// since is the commit (bbolt transaction id) of the chunk that moved
	// after (or ended the re-match); 0 when no chunk has. A read
	// transaction older than it holds the records as they were before that
	// chunk, and finds where the pass stood for them in its own meta.
	since int
	done  int // requests this process re-matched since the re-match began
	total int // requests stale when counted (-1: not counted yet)
	// edit is what the edit changed when it changed only what some SLAs
	// limit or select: the pass folds anew only the requests it may
	// change (fold.edit); nil: every request.
	edit *sla.Edit
}

// rematcher holds the re-match state of a Store.
type rematcher struct {
	mu    sync.Mutex // serialises writers of state
	state atomic.Pointer[rematchState]
}

func (r *rematcher) load() *rematchState {
	if st := r.state.Load(); st != nil {
		return st
	}
	return &rematchState{}
}

// RematchStatus says where re-matching open requests to the policy in
// force stands.
type RematchStatus struct {
	// Active is true while open requests remain folded under older rules.
	Active bool
	// Done counts the requests this process re-matched since it began.
	Done int
	// Pending estimates the open requests not yet re-matched (0 until
	// counted by the first step, and when none is active).
	Pending int
	// Narrowed is true when the re-match folds anew only the open
	// requests the edit may change: those with a clock under the SLAs in
	// Only (sorted), whose limits or selection alone the edit changed, or
	// that one of them may take now, and, when Reasons (the customer
	// reasons changed), those ever paused; false when it folds every one.
	Narrowed bool
	Only     []string
	Reasons  bool
}

// Adopt puts a policy in force, fingerprint identifying what it means to
// requests (config.PolicyFingerprint). When open requests were matched under
// rules of another fingerprint, or a re-match to another was left
// unfinished, every open request becomes stale, from this call on, and
// Adopt reports true: call RematchStep until it reports none active (or
// Rematch). A re-match to the same fingerprint left by a crash resumes where
// it stopped. The store must not serve before its first Adopt.
//
// An error means the re-match could not be recorded (a full disk): the new
// rules are in force and the re-match pending all the same, and a restart
// re-matches from the start.
func (s *Store) Adopt(p *sla.Policy, fingerprint string) (bool, error) {
	var have, target string
	var after []byte
	var stored narrowed // what the last re-match recorded (rematch_narrow.go)
	empty := false
	err := s.db.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		have = string(meta.Get(keyPolicy))
		target = string(meta.Get(keyRematchTarget))
		after = bytes.Clone(meta.Get(keyRematchAfter))
		stored = readNarrowed(meta, have)
		k, _ := tx.Bucket(bucketOpen).Cursor().First()
		empty = k == nil
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("read the re-match state: %w", err)
	}
	s.rm.mu.Lock()
	defer s.rm.mu.Unlock()
	cur := s.rm.load()
	switch adoption(have, target, fingerprint, cur, empty) {
	case adoptSame:
		s.policy.Store(p)
		if p.Meaning != nil && p.Meaning.Fingerprint == have && !sameMeaning(stored.meaning, p.Meaning) {
			// Matched before slad kept the meaning, or kept it in parts
			// of another shape (an upgrade): kept now as this slad
			// reads it, for a re-match after the next edit to narrow
			// from.
			if err := s.update(func(tx *bolt.Tx) error { return putMeaning(tx.Bucket(bucketMeta), p.Meaning) }); err != nil {
				return false, fmt.Errorf("record the configuration's meaning: %w", err)
			}
		}
		return false, nil
	case adoptEmpty:
		// Nothing open (a new store): nothing to re-match, if nothing
		// opened since; the check and the swap share a write transaction,
		// so no ingest comes between them.
		if done, err := s.adoptIfNoneOpen(p, fingerprint); err != nil || done {
			return false, err
		}
	case adoptContinue:
		// Same meaning as the re-match under way: it goes on.
		next := *cur
		next.policy = p
		s.rm.state.Store(&next)
		s.policy.Store(p)
		return true, nil
	case adoptResume:
		// Left by a crash or a stop: resume after the last chunk committed.
		s.rm.state.Store(&rematchState{gen: cur.gen + 1, active: true, target: fingerprint, policy: p, after: after, total: -1, edit: stored.edit})
		s.policy.Store(p)
		return true, nil
	}
	// Every open request is stale before the new rules are in force: a
	// transaction in between folds it anew under the old ones, and the
	// pass folds it again — or, when the edit changed only what some SLAs
	// limit or select, the pass folds those it may change.
	var edit *sla.Edit
	if target == "" && !cur.active {
		was := s.policy.Load().Meaning // a reload's: the rules in force
		if was == nil || was.Fingerprint != have {
			was = stored.meaning // a restart's: as the last re-match recorded them
		}
		edit = narrowing(have, was, p)
	}
	s.rm.state.Store(&rematchState{gen: cur.gen + 1, active: true, target: fingerprint, policy: p, total: -1, edit: edit})
	s.policy.Store(p)
	err = s.update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if err := meta.Put(keyRematchTarget, []byte(fingerprint)); err != nil {
			return err
		}
		if err := putEdit(meta, edit); err != nil {
			return err
		}
		return meta.Delete(keyRematchAfter)
	})
	if err != nil {
		return true, fmt.Errorf("record the re-match: %w", err)
	}
	return true, nil
}

// What Adopt does with a fingerprint, decided in one place for it and for
// Plan (plan.go).
const (
	adoptSame     = iota // the open requests are matched under it already
	adoptEmpty           // nothing is open: record it, unless something opened since
	adoptContinue        // a re-match to it is under way: it goes on
	adoptResume          // a re-match to it was left by a crash or a stop
	adoptRestart         // every open request becomes stale
)

// adoption decides what Adopt does with fingerprint, given the one the
// open requests were matched under (have), the target of a re-match left
// in meta, the re-match in memory and whether anything is open.
func adoption(have, target, fingerprint string, cur *rematchState, empty bool) int {
	switch {
	case target == "" && have == fingerprint && !cur.active:
		return adoptSame
	case empty && !cur.active:
		return adoptEmpty
	case cur.active && cur.target == fingerprint:
		return adoptContinue
	case target == fingerprint:
		return adoptResume
	}
	return adoptRestart
}

// adoptIfNoneOpen records fingerprint as the rules open requests are matched
// under and puts p in force, provided no request is open; done is false,
// changing nothing, when one is.
func (s *Store) adoptIfNoneOpen(p *sla.Policy, fingerprint string) (done bool, err error) {
	err = s.update(func(tx *bolt.Tx) error {
		if k, _ := tx.Bucket(bucketOpen).Cursor().First(); k != nil {
			return nil
		}
		meta := tx.Bucket(bucketMeta)
		if err := meta.Put(keyPolicy, []byte(fingerprint)); err != nil {
			return err
		}
		if err := meta.Delete(keyRematchTarget); err != nil {
			return err
		}
		if err := meta.Delete(keyRematchAfter); err != nil {
			return err
		}
		if err := putNarrowed(meta, p.Meaning, nil); err != nil {
			return err
		}
		s.policy.Store(p) // before the commit lets the next write transaction in
		done = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("record the configuration: %w", err)
	}
	return done, nil
}

// RematchProgress says where the re-match stands.
func (s *Store) RematchProgress() RematchStatus {
	st := s.rm.load()
	if !st.active {
		return RematchStatus{Done: st.done}
	}
	out := RematchStatus{Active: true, Done: st.done, Pending: max(st.total-st.done, 0)}
	if st.edit != nil {
		out.Narrowed, out.Only, out.Reasons = true, narrowedTo(st.edit), st.edit.Reasons
	}
	return out
}

// RematchStep folds the next chunk of stale open requests again with the
// policy in force, in one transaction, and returns where the re-match then
// stands. It does nothing when none is active. A closed request is never
// read (one that still owes an alert under an SLA a reload removed is
// looked at hourly, see lifecycle.NextDue).
func (s *Store) RematchStep() (RematchStatus, error) {
	st := s.rm.load()
	if !st.active {
		return s.RematchProgress(), nil
	}
	if st.total < 0 {
		if err := s.countStale(st); err != nil {
			return s.RematchProgress(), err
		}
		st = s.rm.load()
	}
	var last []byte
	var n, queued, id int
	finished, superseded := false, false
	now := s.now() // each chunk as of its own commit, like a tick
	err := s.update(func(tx *bolt.Tx) error {
		n, queued, last, finished, superseded, id = 0, 0, nil, false, false, tx.ID()
		if s.rm.load().gen != st.gen {
			// An Adopt since st was read has reset the re-match; it does
			// so in memory before it writes, so this check inside the
			// write transaction cannot miss it.
			superseded = true
			return nil
		}
		keys := staleKeys(tx, st.after, rematchChunk)
		// The chunk's requests are distinct: folded together, computed on
		// every core and their sums written once, as a group commit's.
		var res IngestResult
		folds := make([]*fold, len(keys))
		for i, k := range keys {
			ref, _, _ := parseRequestKey(k)
			folds[i] = &fold{ref: ref, res: &res, edit: st.edit}
		}
		if err := refoldAll(tx, st.policy, now, folds); err != nil {
			return err
		}
		queued, n = res.queued, len(keys)
		meta := tx.Bucket(bucketMeta)
		if len(keys) < rematchChunk {
			finished = true
			if err := meta.Put(keyPolicy, []byte(st.target)); err != nil {
				return err
			}
			if err := meta.Delete(keyRematchTarget); err != nil {
				return err
			}
			if err := putNarrowed(meta, st.policy.Meaning, nil); err != nil {
				return err
			}
			return meta.Delete(keyRematchAfter)
		}
		last = keys[len(keys)-1]
		if err := meta.Put(keyRematchTarget, []byte(st.target)); err != nil {
			return err
		}
		return meta.Put(keyRematchAfter, last)
	})
	if queued > 0 {
		s.signalOutbox()
	}
	if err != nil {
		return s.RematchProgress(), fmt.Errorf("rematch: %w", err)
	}
	if !superseded {
		s.advance(st.gen, last, n, finished, id)
	}
	return s.RematchProgress(), nil
}

// staleKeys returns up to limit open keys after after (from the first when
// nil), copied out of the transaction.
func staleKeys(tx *bolt.Tx, after []byte, limit int) [][]byte {
	var keys [][]byte
	c := tx.Bucket(bucketOpen).Cursor()
	k, _ := c.First()
	if after != nil {
		k, _ = c.Seek(after)
		if bytes.Equal(k, after) {
			k, _ = c.Next()
		}
	}
	for ; k != nil && len(keys) < limit; k, _ = c.Next() {
		keys = append(keys, bytes.Clone(k))
	}
	return keys
}

// countStale counts the open requests after the cursor, for
// RematchProgress: a walk of keys only, once per re-match, in the
// background pass rather than before slad serves.
func (s *Store) countStale(st *rematchState) error {
	n := 0
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketOpen).Cursor()
		k, _ := c.First()
		if st.after != nil {
			k, _ = c.Seek(st.after)
			if bytes.Equal(k, st.after) {
				k, _ = c.Next()
			}
		}
		for ; k != nil; k, _ = c.Next() {
			n++
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("rematch: count open requests: %w", err)
	}
	s.rm.mu.Lock()
	defer s.rm.mu.Unlock()
	if cur := s.rm.load(); cur.gen == st.gen {
		next := *cur
		next.total = n + cur.done
		s.rm.state.Store(&next)
	}
	return nil
}

// advance moves the in-memory cursor after a chunk committed as
// transaction id, unless an Adopt reset the re-match meanwhile.
func (s *Store) advance(gen uint64, last []byte, n int, finished bool, id int) {
	s.rm.mu.Lock()
	defer s.rm.mu.Unlock()
	cur := s.rm.load()
	if cur.gen != gen {
		return
	}
	next := *cur
	next.done += n
	next.since = id
	if finished {
		next.active, next.after = false, nil
	} else {
		next.after = last
	}
	s.rm.state.Store(&next)
}

// Rematch folds every open request again with the policy in force, in the
// caller's goroutine: the re-match Adopt left pending, or, when none is,
// one to the rules set by SetPolicy under the fingerprint already recorded.
// It returns how many requests it folded.
func (s *Store) Rematch(ctx context.Context) (int, error) {
	if !s.rm.load().active {
		var have string
		if err := s.db.View(func(tx *bolt.Tx) error {
			have = string(tx.Bucket(bucketMeta).Get(keyPolicy))
			return nil
		}); err != nil {
			return 0, fmt.Errorf("rematch: %w", err)
		}
		s.rm.mu.Lock()
		cur := s.rm.load()
		s.rm.state.Store(&rematchState{gen: cur.gen + 1, active: true, target: have, policy: s.policy.Load(), total: -1})
		s.rm.mu.Unlock()
	}
	start := s.rm.load().done
	for {
		if err := ctx.Err(); err != nil {
			return s.rm.load().done - start, err
		}
		st, err := s.RematchStep()
		if err != nil || !st.Active {
			return st.Done - start, err
		}
	}
}

// stale reports whether a request is open and, as tx holds it, folded
// under rules older than those in force: the re-match had not reached it.
//
// The cursor in memory tells for a transaction that sees the last chunk
// the pass committed. An older read transaction (begun before that chunk,
// asking after it) holds the records as they were; where the pass stood
// for them is in its meta, written with each chunk. A snapshot from before
// the re-match was recorded at all holds every open request under older
// rules.
func (s *Store) stale(tx *bolt.Tx, ref Ref) bool {
	st := s.rm.load()
	active, after := st.active, st.after
	if tx.ID() < st.since {
		meta := tx.Bucket(bucketMeta)
		active, after = true, nil
		if string(meta.Get(keyRematchTarget)) == st.target {
			after = meta.Get(keyRematchAfter)
		}
	}
	if !active {
		return false
	}
	k := requestKey(ref)
	if after != nil && bytes.Compare(k, after) <= 0 {
		return false
	}
	return tx.Bucket(bucketOpen).Get(k) != nil
}

// current returns a stored record as the rules in force fold it: rec itself
// unless it is stale, else a copy folded anew in memory, its alert
// bookkeeping settled on a copy too. A read never writes; the pass, an
// event or a tick stores the request re-matched.
func (s *Store) current(tx *bolt.Tx, ref Ref, rec *record) (*record, error) {
	if rec == nil || !s.stale(tx, ref) {
		return rec, nil
	}
	events, err := loadEvents(tx, ref)
	if err != nil {
		return nil, err
	}
	p := s.policy.Load()
	cp := *rec
	cp.State = cloneState(rec.State)
	cp.Request = sla.Fold(p, ref.ID, events)
	lifecycle.Settle(p, &cp.State, &rec.Request, &cp.Request, s.now())
	return &cp, nil
}

// cloneState copies alert bookkeeping deeply enough for Settle to change
// the copy alone.
func cloneState(st lifecycle.State) lifecycle.State {
	lists := func(m map[string][]string) map[string][]string {
		if m == nil {
			return nil
		}
		out := make(map[string][]string, len(m))
		for k, v := range m {
			out[k] = append([]string(nil), v...)
		}
		return out
	}
	c := st
	c.Fired, c.Told, c.Silent = lists(st.Fired), lists(st.Told), lists(st.Silent)
	c.FirstSeen, c.Cycle = maps.Clone(st.FirstSeen), maps.Clone(st.Cycle)
	if st.FirstTold != nil {
		c.FirstTold = make(map[string]map[string]string, len(st.FirstTold))
		for k, v := range st.FirstTold {
			c.FirstTold[k] = maps.Clone(v)
		}
	}
	return c
}
