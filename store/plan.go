package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/sla"
)

// Planning a reload: what adopting a policy would do to the open requests,
// computed by the code that does it and written nowhere.
//
// A reload's re-match folds each open request anew (RematchStep: a fold of
// fold.go from all its events, lifecycle.Settle), and the first tick after
// it fires what has come due (Evaluate: a fold with tick and keep set,
// lifecycle.Tick, for a request whose deadline key is due). Plan runs the
// same folds under the new policy, phases 1 and 2 only, a chunk of
// requests per read transaction: the re-match's, then the tick's on the
// record it leaves when that record is due; the effects they would queue
// and the counter and day-aggregate differences they would write are
// collected instead of written. Beside them, the tick of the stored record
// under the policy in force, when it is due, tells what the first tick
// would send without the edit.
//
// Its memory is bounded by the chunk, the configuration (a count per SLA,
// receiver and transition, a difference per counter and (SLA, day)) and
// PlanQuery.Listed requests per SLA, however many requests are open.

// planChunk is how many open requests one read transaction of a plan folds.
const planChunk = 512

// DefaultPlanListed is how many requests a plan lists per SLA by default.
const DefaultPlanListed = 20

// PlanQuery asks what putting a policy in force would do.
type PlanQuery struct {
	Policy *sla.Policy
	// Fingerprint is the policy's config.PolicyFingerprint: as for Adopt,
	// the open requests are re-matched only when it differs from the one
	// they were matched under.
	Fingerprint string
	// Now is the moment of the reload and of its first tick.
	Now time.Time
	// Listed bounds the requests listed per SLA (DefaultPlanListed when 0);
	// the rest are counted.
	Listed int
	// Current is the policy the plan compares with (the store's when nil):
	// the first tick without the edit ticks under it.
	Current *sla.Policy
}

// Plan computes what adopting q.Policy would do, changing nothing. ctx
// ends it between chunks.
func (s *Store) Plan(ctx context.Context, q PlanQuery) (*Plan, error) {
	if q.Listed <= 0 {
		q.Listed = DefaultPlanListed
	}
	rematch, have, settled, err := s.wouldRematch(q.Fingerprint)
	if err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	pl := &Plan{Rematch: rematch, MatchedUnder: have, SLAs: map[string]*PlannedSLA{}, Alerts: map[string]*PlannedAlerts{}, sums: newPendingSums(), baseSums: newPendingSums()}
	cur := q.Current
	if cur == nil {
		cur = s.policy.Load()
	}
	bound := dueBound(q.Now)
	// With a re-match, every open request is re-matched and then ticked
	// if due (the open index); then, as without one, the closed requests
	// due (the deadline index), which the re-match leaves as they are but
	// the tick after it looks at under the new rules: a "resolved" owed,
	// or imported history settling.
	passes := []bool{false}
	var edit *sla.Edit // what Adopt would narrow the re-match to
	if rematch {
		passes = []bool{true, false}
		if settled {
			edit = narrowing(have, cur.Meaning, q.Policy)
		}
	}
	var due map[string]bool
	if edit != nil {
		if due, err = s.dueRequests(q.Now); err != nil {
			return nil, fmt.Errorf("plan: %w", err)
		}
	}
	for _, open := range passes {
		if err := s.planPass(ctx, pl, q, cur, bound, open, rematch, narrowPlan{edit, due}); err != nil {
			return nil, fmt.Errorf("plan: %w", err)
		}
	}
	return pl, nil
}

// planPass adds to pl the requests of the open index (open) or the due
// ones of the deadline index, a chunk at a time; after a re-match the
// latter are the closed ones only.
//
// nw narrows the re-match as Adopt would (fold.edit): a request the
// edit leaves alone keeps its clocks, and is ticked under both
// policies if it is due, else only counted; the others read their events
// and fold anew.
func (s *Store) planPass(ctx context.Context, pl *Plan, q PlanQuery, cur *sla.Policy, bound []byte, open, rematch bool, nw narrowPlan) error {
	var after []byte
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var chunk []*planned
		n := 0
		err := s.db.View(func(tx *bolt.Tx) error {
			var keys [][]byte
			if open {
				keys = staleKeys(tx, after, planChunk)
			} else {
				keys = dueKeys(tx, after, q.Now, planChunk)
			}
			if n = len(keys); n > 0 {
				after = keys[n-1]
			}
			if !open && rematch {
				keys = closedOnly(tx, keys)
			}
			chunk = s.readPlanned(tx, keys, open, nw.edit)
			for _, p := range chunk {
				p.kept = !open && rematch
			}
			if nw.edit != nil && open {
				if err := refoldNarrowed(tx, chunk, q.Policy, q.Now); err != nil {
					return err
				}
				var left int
				chunk, left = nw.unchanged(chunk)
				pl.Examined += left
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := computePlanned(chunk, cur, q.Policy, q.Now, bound); err != nil {
			return err
		}
		for _, p := range chunk {
			pl.add(cur, q, p, bound)
		}
		if n < planChunk {
			return nil
		}
	}
}

// closedOnly keeps the deadline keys of requests that are not open.
func closedOnly(tx *bolt.Tx, keys [][]byte) [][]byte {
	openIdx := tx.Bucket(bucketOpen)
	return slices.DeleteFunc(keys, func(k []byte) bool {
		_, ref := parseDeadlineKey(k)
		return openIdx.Get(requestKey(ref)) != nil
	})
}

// planned is one request's folds in a plan: the re-match's (refold: the
// fold RematchStep runs; nil when nothing is re-matched), the first
// tick's on the record it leaves (tick: the evaluator's; nil when the
// request is not due then), and the first tick's without the edit (base,
// which counts only when the stored record is due; nil when the re-match
// found it is not).
type planned struct {
	refold, tick, base *fold
	// kept says the request is a closed one that a re-match leaves as it
	// is: its clocks do not change, whatever the new rules say of them.
	kept bool
}

// refoldNarrowed decides the re-match folds of a chunk narrowed by
// fold.edit from their records' clocks and attributes, on every core, and has those that
// fold anew read their events in tx, the transaction their records were
// read in; computePlanned folds them.
func refoldNarrowed(tx *bolt.Tx, chunk []*planned, next *sla.Policy, now time.Time) error {
	var refolds, again []*fold
	for _, p := range chunk {
		if p.refold != nil {
			refolds = append(refolds, p.refold)
		}
	}
	computeEach(next, now, refolds)
	for _, f := range refolds {
		if f.err != nil {
			return f.err
		}
		if f.needEvents {
			again = append(again, f)
		}
	}
	for _, f := range again {
		f.read(tx)
	}
	return nil
}

// narrowPlan is a narrowed plan's: the edit that narrows the re-match
// (fold.edit), and the requests due at the plan's moment (by request
// key: dueRequests).
type narrowPlan struct {
	edit *sla.Edit
	due  map[string]bool
}

// unchanged takes out of chunk the requests the narrowed re-match leaves
// as they are: one that is due is ticked as stored under both policies
// (its tick with the edit in place of its re-match), the others change
// nothing and are only counted (left).
func (nw narrowPlan) unchanged(chunk []*planned) (kept []*planned, left int) {
	kept = chunk[:0]
	for _, p := range chunk {
		if r := p.refold; r != nil && r.unchanged {
			if !nw.due[string(requestKey(r.ref))] {
				left++
				continue
			}
			p.refold = nil
			p.tick = &fold{ref: r.ref, res: &IngestResult{}, tick: true, keep: true, stored: r.stored}
		}
		kept = append(kept, p)
	}
	return kept, left
}

// dueRequests returns the keys of the requests due at now, either lane.
func (s *Store) dueRequests(now time.Time) (map[string]bool, error) {
	due := map[string]bool{}
	err := s.db.View(func(tx *bolt.Tx) error {
		for _, k := range dueKeys(tx, nil, now, math.MaxInt) {
			_, request := deadlineParts(k)
			due[string(request)] = true
		}
		return nil
	})
	return due, err
}

// readPlanned is phase 1 of a chunk's folds; edit narrows their re-match
// (fold.edit).
func (s *Store) readPlanned(tx *bolt.Tx, keys [][]byte, rematch bool, edit *sla.Edit) []*planned {
	out := make([]*planned, 0, len(keys))
	for _, k := range keys {
		ref := refOfKey(k, rematch)
		stale := s.stale(tx, ref)
		p := &planned{base: &fold{ref: ref, res: &IngestResult{}, tick: true, keep: !stale}}
		p.base.read(tx)
		if p.base.stored == nil {
			continue // an index naming nothing: the evaluator skips it too
		}
		if rematch {
			p.refold = &fold{ref: ref, res: &IngestResult{}, edit: edit}
			p.refold.read(tx)
		} else {
			p.tick = &fold{ref: ref, res: &IngestResult{}, tick: true, keep: !stale}
			p.tick.read(tx)
		}
		out = append(out, p)
	}
	return out
}

// computePlanned is phase 2 of a chunk's folds, on every core: the
// re-match under next, then the first tick under next of those it leaves
// due, and the first tick under cur.
func computePlanned(chunk []*planned, cur, next *sla.Policy, now time.Time, bound []byte) error {
	cores := runtime.GOMAXPROCS(0)
	var refolds, ticks, bases []*fold
	for _, p := range chunk {
		if p.refold != nil {
			refolds = append(refolds, p.refold)
		}
	}
	computeOn(cores, next, now, refolds)
	for _, p := range chunk {
		if r := p.refold; r != nil {
			if r.err != nil {
				return r.err
			}
			if due(r.rec.Contrib, bound) {
				p.tick = &fold{ref: r.ref, res: &IngestResult{}, tick: true, keep: true, stored: r.data}
			}
			if !due(r.old.Contrib, bound) {
				p.base = nil // the evaluator would not tick it without the edit either
			}
		}
		if p.tick != nil {
			ticks = append(ticks, p.tick)
		}
		if p.base != nil {
			bases = append(bases, p.base)
		}
	}
	computeOn(cores, next, now, ticks)
	computeOn(cores, cur, now, bases)
	for _, p := range chunk {
		if err := errors.Join(errOf(p.base), errOf(p.tick)); err != nil {
			return err
		}
	}
	return nil
}

// due reports whether a record's deadline key falls before bound: the
// evaluator ticks it then.
func due(c contribution, bound []byte) bool {
	return c.Deadline != nil && deadlineDue(c.Deadline, bound)
}

func errOf(f *fold) error {
	if f == nil {
		return nil
	}
	return f.err
}

// refOfKey is the request an open key or a deadline key names.
func refOfKey(k []byte, open bool) Ref {
	if open {
		ref, _, _ := parseRequestKey(k)
		return ref
	}
	_, ref := parseDeadlineKey(k)
	return ref
}

// dueKeys returns up to limit deadline keys due at now, after after: those
// of the first lane, then of the history lane (historyLane).
func dueKeys(tx *bolt.Tx, after []byte, now time.Time, limit int) [][]byte {
	bound := dueBound(now)
	var keys [][]byte
	c := tx.Bucket(bucketDeadlines).Cursor()
	k, _ := c.First()
	if after != nil {
		k, _ = c.Seek(after)
		if bytes.Equal(k, after) {
			k, _ = c.Next()
		}
	}
	for k != nil && len(keys) < limit {
		if !deadlineDue(k, bound) {
			if k[0] == historyLane {
				break
			}
			k, _ = c.Seek([]byte{historyLane})
			continue
		}
		keys = append(keys, bytes.Clone(k))
		k, _ = c.Next()
	}
	return keys
}

// wouldRematch reports whether Adopt would make the open requests stale,
// and the fingerprint they were last matched under.
//
// settled says no re-match is under way or left: every open request is
// matched under have (what Adopt may narrow a re-match from).
func (s *Store) wouldRematch(fingerprint string) (rematch bool, have string, settled bool, err error) {
	var target string
	empty := false
	err = s.db.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		have, target = string(meta.Get(keyPolicy)), string(meta.Get(keyRematchTarget))
		k, _ := tx.Bucket(bucketOpen).Cursor().First()
		empty = k == nil
		return nil
	})
	if err != nil {
		return false, "", false, err
	}
	cur := s.rm.load()
	settled = target == "" && !cur.active
	switch adoption(have, target, fingerprint, cur, empty) {
	case adoptSame, adoptContinue:
		return false, have, settled, nil
	}
	return true, have, settled, nil
}
