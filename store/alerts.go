package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/sla"
)

// historyAge is how far before slad first heard of a clock a breach (or,
// for a clock that never breached, its stop) must lie to be history rather
// than news: its stages are then marked fired without an alert, so that
// importing last year's tickets pages nobody — even while an import spreads
// a request over several batches. A breach that happens after slad knows
// of the clock is news however late the events that show it arrive.
const historyAge = time.Hour

// staleAge is how long ago a clock may have stopped for its breach still to
// be news: an alert older than that would be given up undelivered anyway
// (receivers' default give_up_after), so a breach that only a late event or
// a changed target reveals days after the request closed stays quiet.
const staleAge = 72 * time.Hour

// silenceHistory marks the stages of stopped clocks that were history when
// slad first heard of them as fired — silently, and remembered as such, so that
// the marks follow what the events known now tell and are dropped when a
// clock stops being history (a request reopened that breaches again).
func silenceHistory(rec *record, live *sla.Request, p *sla.Policy, now time.Time) {
	for i := range live.Clocks {
		clk := &live.Clocks[i]
		key := clk.Key()
		if rec.FirstSeen == nil {
			rec.FirstSeen = map[string]time.Time{}
		}
		seen, ok := rec.FirstSeen[key]
		if !ok {
			seen = now
			rec.FirstSeen[key] = now
		}
		if silent := rec.Silent[key]; len(silent) > 0 {
			rec.Fired[key] = slices.DeleteFunc(rec.Fired[key], func(k string) bool { return slices.Contains(silent, k) })
			delete(rec.Silent, key)
		}
		s := p.SLA(clk.SLA)
		if s == nil || len(rec.Told[key]) > 0 {
			continue
		}
		old := seen.Add(-historyAge)
		history := !clk.Open() && (clk.Breached() && clk.BreachedAt.Before(old) ||
			!clk.Breached() && clk.Since.Before(old) ||
			now.Sub(clk.Since) > staleAge)
		if !history {
			continue
		}
		var silent []string
		for _, st := range lifecycle.Stages(s, clk) {
			if st.Threshold <= clk.Elapsed && !rec.fired(key, st.Key) {
				silent = append(silent, st.Key)
				rec.markFired(key, st.Key)
			}
		}
		if len(silent) > 0 {
			if rec.Silent == nil {
				rec.Silent = map[string][]string{}
			}
			rec.Silent[key] = silent
		}
	}
}

// grace is when the alerts of an open clock that breached long before slad
// first heard of it may go out (zero when they need not wait): an hour
// after that first time. A request that is still open and breached then is
// a live problem worth telling; one that an import in progress closes in
// its next batch never pages anyone.
func grace(rec *record, clk *sla.Clock) time.Time {
	seen, ok := rec.FirstSeen[clk.Key()]
	if !ok || !clk.Open() || !clk.Breached() || !clk.BreachedAt.Before(seen.Add(-historyAge)) {
		return time.Time{}
	}
	// Whole seconds, as the deadline index keeps them: a tick in the
	// grace's last second must not find it due and leave it due.
	g := seen.Add(historyAge)
	if g.Nanosecond() != 0 {
		g = g.Truncate(time.Second).Add(time.Second)
	}
	return g
}

// reconcile keeps the alerts already sent true to a request that late
// events, a reopening or a reload changed:
//   - a breach that no longer holds (late events show the clock never
//     passed its target, or its SLA is gone) is declared over to those told
//     of it, and may fire again if the clock really breaches later;
//   - a breach declared over whose request was reopened is firing again,
//     and will be declared over again when it stops.
//
// It returns the number of alerts queued.
func reconcile(tx *bolt.Tx, p *sla.Policy, old, rec *record, live *sla.Request, now time.Time) (int, error) {
	queued := 0
	// A breach nobody was told of (marked in passing, history) that late
	// events undo is forgotten, so that a real one later fires.
	for i := range live.Clocks {
		clk := &live.Clocks[i]
		if key := clk.Key(); len(rec.Told[key]) == 0 && !clk.Breached() {
			rec.unfire(key, string(lifecycle.StageBreach), string(lifecycle.StageEscalation))
		}
	}
	keys := make([]string, 0, len(rec.Told))
	for k := range rec.Told {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, key := range keys {
		told := rec.Told[key]
		slaID, target := sla.SplitKey(key)
		clk := live.Clock(slaID, target)
		switch {
		case clk == nil || !clk.Breached():
			if !rec.fired(key, lifecycle.ResolvedKey) {
				src, req := clk, live
				if src == nil && old != nil {
					src, req = old.Request.Clock(slaID, target), &old.Request
				}
				if src != nil {
					n := notice(rec, req, src, p.SLA(slaID), lifecycle.Stage{Kind: lifecycle.StageResolved, Key: lifecycle.ResolvedKey}, now)
					n.Escalation = rec.escalations(key)
					if err := enqueue(tx, told, n, now); err != nil {
						return queued, err
					}
					queued += len(told)
				}
			}
			if err := clearFiring(tx, told, live.ID, key); err != nil {
				return queued, err
			}
			delete(rec.Told, key)
			rec.unfire(key, string(lifecycle.StageBreach), string(lifecycle.StageEscalation), lifecycle.ResolvedKey)
			rec.nextCycle(key)
		case clk.Open() && rec.fired(key, lifecycle.ResolvedKey):
			rec.unfire(key, lifecycle.ResolvedKey)
			rec.nextCycle(key)
			n := notice(rec, live, clk, p.SLA(slaID), lifecycle.Stage{Kind: lifecycle.StageBreach, Key: "breach"}, now)
			if err := setFiring(tx, told, live.ID, key, n); err != nil {
				return queued, err
			}
		}
	}
	return queued, nil
}

func (r *record) nextCycle(clockKey string) {
	if r.Cycle == nil {
		r.Cycle = map[string]int{}
	}
	r.Cycle[clockKey]++
}

// notice describes a stage of a clock as of now. s may be nil for an SLA
// a reload removed.
func notice(rec *record, r *sla.Request, clk *sla.Clock, s *sla.SLA, st lifecycle.Stage, now time.Time) lifecycle.Notice {
	live := clk.At(now, s.CalendarOf())
	idKey := st.Key
	if c := rec.Cycle[clk.Key()]; c > 0 {
		idKey = fmt.Sprintf("%s#%d", st.Key, c)
	}
	n := lifecycle.Notice{
		ID:    lifecycle.NoticeID(r.ID, clk.SLA, clk.Target, idKey),
		Stage: st.Kind, StageKey: st.Key,
		SLAID: clk.SLA, Provider: r.Provider, Customer: r.Customer,
		RequestID: r.ID, Title: r.Title, Priority: r.Priority, Category: r.Category,
		Target: clk.Target, TargetSeconds: int64(clk.Limit / time.Second),
		ElapsedSeconds: int64(live.Elapsed / time.Second),
		Deadline:       live.Deadline,
		FiredAt:        now.UTC(),
	}
	if s != nil {
		n.SLADescription = s.Description
	}
	if clk.Breached() {
		n.Deadline = clk.Deadline
	}
	if st.Kind == lifecycle.StageEscalation {
		n.Escalation = st.Step + 1
	}
	return n
}

// enqueue writes a notice to the outbox of each receiver.
func enqueue(tx *bolt.Tx, receivers []string, n lifecycle.Notice, now time.Time) error {
	ob := tx.Bucket(bucketOutbox)
	for _, rcv := range receivers {
		seq, err := nextSeq(tx, keyOutboxSeq)
		if err != nil {
			return err
		}
		it := OutboxItem{Seq: seq, Receiver: rcv, Notice: n, Created: now.UTC(), NextAttempt: now.UTC()}
		data, err := json.Marshal(it)
		if err != nil {
			return err
		}
		if err := ob.Put(outboxKey(rcv, seq), data); err != nil {
			return err
		}
	}
	return nil
}

// setFiring records an open breach or escalation for each receiver, for
// receivers that must keep re-sending it (Alertmanager).
func setFiring(tx *bolt.Tx, receivers []string, request, clockKey string, n lifecycle.Notice) error {
	b := tx.Bucket(bucketFiring)
	data, err := json.Marshal(n)
	if err != nil {
		return err
	}
	for _, rcv := range receivers {
		if err := b.Put(lp(firingPrefix(rcv, request, clockKey), n.StageKey), data); err != nil {
			return err
		}
	}
	return nil
}

// clearFiring forgets every open alert of a clock for each receiver.
func clearFiring(tx *bolt.Tx, receivers []string, request, clockKey string) error {
	c := tx.Bucket(bucketFiring).Cursor()
	for _, rcv := range receivers {
		prefix := firingPrefix(rcv, request, clockKey)
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
			if err := c.Delete(); err != nil {
				return err
			}
		}
	}
	return nil
}

func firingPrefix(receiver, request, clockKey string) []byte {
	return lp(lp(lp(nil, receiver), request), clockKey)
}

// tell adds receivers to those told of a clock's breach: they will hear
// that it is over.
func (r *record) tell(clockKey string, receivers []string) {
	if r.Told == nil {
		r.Told = map[string][]string{}
	}
	for _, rcv := range receivers {
		if !slices.Contains(r.Told[clockKey], rcv) {
			r.Told[clockKey] = append(r.Told[clockKey], rcv)
		}
	}
}

// escalations counts the escalation steps fired for a clock: a resolved
// notice carries it so that Alertmanager can end each escalation alert.
func (r *record) escalations(clockKey string) int {
	n := 0
	for _, k := range r.Fired[clockKey] {
		if strings.HasPrefix(k, string(lifecycle.StageEscalation)) {
			n++
		}
	}
	return n
}
