package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/sla"
)

// Alerts held for quiet hours (schema 10). The lifecycle decides that a
// notice waits until its receiver's notification hours open
// (lifecycle.Hold, alert/lifecycle/quiet.go); the store keeps it here,
// durably, until then:
//
//	quiet_held        seq → HeldAlert (JSON); seq is the outbox's sequence, so firing order
//	quiet_due         release unix second (8) | seq → nothing: what is due, read from the front
//	quiet_by_request  request key | lp(clock key) | lp(receiver) | seq → nothing: what is held of a clock
//
// ReleaseHeld moves what is due into the outbox, reading only the due
// entries; an Unhold drops or releases what is held of one clock.
var (
	bucketQuietHeld      = []byte("quiet_held")
	bucketQuietDue       = []byte("quiet_due")
	bucketQuietByRequest = []byte("quiet_by_request")
)

// HeldAlert is a notice held for a receiver until its notification hours
// open.
type HeldAlert struct {
	Seq      uint64           `json:"seq"`
	Receiver string           `json:"receiver"`
	ClockKey string           `json:"clock"`
	Since    time.Time        `json:"since"` // when it was held
	Until    time.Time        `json:"until"` // when it goes out
	Notice   lifecycle.Notice `json:"notice"`
}

// heldRecord is a HeldAlert as written: the notice already encoded once
// for all its receivers.
type heldRecord struct {
	Seq      uint64          `json:"seq"`
	Receiver string          `json:"receiver"`
	ClockKey string          `json:"clock"`
	Since    time.Time       `json:"since"`
	Until    time.Time       `json:"until"`
	Notice   json.RawMessage `json:"notice"`
}

// addQuietHolds migrates to schema 10: the buckets of held alerts and of
// the digests sent (digest.go).
func addQuietHolds(tx *bolt.Tx, _ *sla.Policy, _ time.Time) error {
	for _, b := range [][]byte{bucketQuietHeld, bucketQuietDue, bucketQuietByRequest, bucketDigests} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	return nil
}

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

func dueKey(until time.Time, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, uint64(max(until.Unix(), 0))), seq)
}

func heldClockPrefix(request Ref, clockKey string) []byte {
	return lp(requestKey(request), clockKey)
}

func heldByRequestKey(request Ref, clockKey, receiver string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(lp(heldClockPrefix(request, clockKey), receiver), seq)
}

// heldApply applies the Hold and Unhold effects of one list (firing.go's
// applyEffects): it remembers the receivers whose breach an Unhold dropped,
// so that the "resolved" that follows skips them and the request's state
// stops counting them as told (lifecycle.State.Untell).
type heldApply struct {
	untold map[string][]string // clock key → receivers told nothing
}

// told returns the receivers a Send or Hold effect reaches: a "resolved"
// skips those whose breach of the clock was dropped unsent.
func (h *heldApply) told(e *lifecycle.Effect) []string {
	skip := h.untold[e.ClockKey]
	if e.Notice.Stage != lifecycle.StageResolved || len(skip) == 0 {
		return e.Receivers
	}
	return slices.DeleteFunc(slices.Clone(e.Receivers), func(r string) bool { return slices.Contains(skip, r) })
}

// hold writes a Hold effect: the notice, encoded as notice, held for each
// receiver until e.Until.
func (h *heldApply) hold(tx *bolt.Tx, e *lifecycle.Effect, notice []byte, now time.Time, sum *pendingSums) error {
	request := Ref{Provider: e.Provider, ID: e.Request}
	for _, rcv := range h.told(e) {
		seq := sum.nextOutboxSeq(tx)
		r := heldRecord{Seq: seq, Receiver: rcv, ClockKey: e.ClockKey, Since: now.UTC(), Until: e.Until.UTC(), Notice: notice}
		if err := putHeld(tx, request, &r); err != nil {
			return err
		}
	}
	return nil
}

func putHeld(tx *bolt.Tx, request Ref, r *heldRecord) error {
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if err := tx.Bucket(bucketQuietHeld).Put(seqKey(r.Seq), data); err != nil {
		return err
	}
	if err := tx.Bucket(bucketQuietDue).Put(dueKey(r.Until, r.Seq), nil); err != nil {
		return err
	}
	if err := addHeldCount(tx, r.Receiver, 1); err != nil {
		return err
	}
	return tx.Bucket(bucketQuietByRequest).Put(heldByRequestKey(request, r.ClockKey, r.Receiver, r.Seq), nil)
}

// unhold applies an Unhold effect: what is held of the clock for its
// receivers (all when it names none) is dropped when its stage kind is in
// e.Drop, else released into the outbox now, in firing order.
func (h *heldApply) unhold(tx *bolt.Tx, e *lifecycle.Effect, now time.Time, sum *pendingSums) error {
	request := Ref{Provider: e.Provider, ID: e.Request}
	prefix := heldClockPrefix(request, e.ClockKey)
	var seqs []uint64
	c := tx.Bucket(bucketQuietByRequest).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		rcv, rest, ok := cutLP(k[len(prefix):])
		if !ok || len(rest) != 8 {
			return fmt.Errorf("held alert key %x is not a receiver's", k)
		}
		if len(e.Receivers) == 0 || slices.Contains(e.Receivers, rcv) {
			seqs = append(seqs, binary.BigEndian.Uint64(rest))
		}
	}
	slices.Sort(seqs)
	for _, seq := range seqs {
		r, err := takeHeld(tx, request, seq)
		if err != nil || r == nil {
			return err
		}
		var n lifecycle.Notice
		if err := json.Unmarshal(r.Notice, &n); err != nil {
			return fmt.Errorf("held alert %d: %w", seq, err)
		}
		if !slices.Contains(e.Drop, n.Stage) {
			if err := enqueue(tx, []string{r.Receiver}, &n, r.Notice, now, sum); err != nil {
				return err
			}
			continue
		}
		if first, ok := e.FirstTold[r.Receiver]; (ok && first == n.StageKey) || (e.FirstTold == nil && n.Stage == lifecycle.StageBreach) {
			if h.untold == nil {
				h.untold = map[string][]string{}
			}
			h.untold[e.ClockKey] = append(h.untold[e.ClockKey], r.Receiver)
		}
	}
	return nil
}

// takeHeld removes a held alert and its index entries and returns it; nil
// when it is no longer held.
func takeHeld(tx *bolt.Tx, request Ref, seq uint64) (*heldRecord, error) {
	b := tx.Bucket(bucketQuietHeld)
	v := b.Get(seqKey(seq))
	if v == nil {
		return nil, nil
	}
	var r heldRecord
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("held alert %d: %w", seq, err)
	}
	if request == (Ref{}) {
		var n struct {
			Provider  string `json:"provider"`
			RequestID string `json:"request_id"`
		}
		if err := json.Unmarshal(r.Notice, &n); err != nil {
			return nil, fmt.Errorf("held alert %d: %w", seq, err)
		}
		request = Ref{Provider: n.Provider, ID: n.RequestID}
	}
	r.Notice = bytes.Clone(r.Notice)
	if err := b.Delete(seqKey(seq)); err != nil {
		return nil, err
	}
	if err := tx.Bucket(bucketQuietDue).Delete(dueKey(r.Until, seq)); err != nil {
		return nil, err
	}
	if err := addHeldCount(tx, r.Receiver, -1); err != nil {
		return nil, err
	}
	return &r, tx.Bucket(bucketQuietByRequest).Delete(heldByRequestKey(request, r.ClockKey, r.Receiver, seq))
}

// ReleaseChunk bounds the held alerts one ReleaseHeld transaction moves.
const ReleaseChunk = 2000

// ReleaseHeld moves the held alerts due at now into the outbox, in the
// order they fired, and returns them. It reads only the due entries; more
// than ReleaseChunk due at once are released by the next calls. On a
// closed store its error matches ErrClosed.
func (s *Store) ReleaseHeld(now time.Time) ([]HeldAlert, error) {
	// Most ticks find nothing due: a read transaction tells, without the
	// fsync a write transaction would cost.
	if next, ok, err := s.NextRelease(); err != nil || !ok || next.After(now) {
		return nil, closedUnder(err)
	}
	var out []HeldAlert
	err := s.update(func(tx *bolt.Tx) error {
		out = out[:0]
		var seqs []uint64
		c := tx.Bucket(bucketQuietDue).Cursor()
		for k, _ := c.First(); k != nil && len(seqs) < ReleaseChunk; k, _ = c.Next() {
			if len(k) != 16 || int64(binary.BigEndian.Uint64(k)) > now.Unix() {
				break
			}
			seqs = append(seqs, binary.BigEndian.Uint64(k[8:]))
		}
		slices.Sort(seqs)
		sum := newPendingSums()
		for _, seq := range seqs {
			r, err := takeHeld(tx, Ref{}, seq)
			if err != nil {
				return err
			}
			if r == nil {
				continue
			}
			a, err := r.decode()
			if err != nil {
				return err
			}
			if err := enqueue(tx, []string{r.Receiver}, &a.Notice, r.Notice, now, sum); err != nil {
				return err
			}
			out = append(out, a)
		}
		return sum.flush(tx)
	})
	if err != nil {
		return nil, closedUnder(err)
	}
	if len(out) > 0 {
		s.signalOutbox()
	}
	return out, nil
}

func (r *heldRecord) decode() (HeldAlert, error) {
	a := HeldAlert{Seq: r.Seq, Receiver: r.Receiver, ClockKey: r.ClockKey, Since: r.Since, Until: r.Until}
	if err := json.Unmarshal(r.Notice, &a.Notice); err != nil {
		return a, fmt.Errorf("held alert %d: %w", r.Seq, err)
	}
	return a, nil
}

// NextRelease returns when the next held alert is due; ok is false when
// none is held.
func (s *Store) NextRelease() (t time.Time, ok bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		k, _ := tx.Bucket(bucketQuietDue).Cursor().First()
		if len(k) == 16 {
			t, ok = time.Unix(int64(binary.BigEndian.Uint64(k)), 0).UTC(), true
		}
		return nil
	})
	return t, ok, err
}

// HeldAfter returns up to limit held alerts held after the one numbered
// seq, in the order they fired: the daemon logs each once, when it is
// held (and those held at start). On a closed store its error matches
// ErrClosed.
func (s *Store) HeldAfter(seq uint64, limit int) ([]HeldAlert, error) {
	var out []HeldAlert
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketQuietHeld).Cursor()
		for k, v := c.Seek(seqKey(seq + 1)); k != nil && len(out) < limit; k, v = c.Next() {
			a, err := decodeHeld(v)
			if err != nil {
				return err
			}
			out = append(out, a)
		}
		return nil
	})
	return out, closedUnder(err)
}

func decodeHeld(v []byte) (HeldAlert, error) {
	var r heldRecord
	if err := json.Unmarshal(v, &r); err != nil {
		return HeldAlert{}, err
	}
	return r.decode()
}

// maxHeldPerRequest bounds what HeldFor returns: a request has a few
// clocks, each a few stages, for a few receivers.
const maxHeldPerRequest = 100

// HeldFor returns the alerts held for a request, in the order they fired:
// the request page says when each goes out.
func (s *Store) HeldFor(request Ref) ([]HeldAlert, error) {
	var out []HeldAlert
	err := s.db.View(func(tx *bolt.Tx) error {
		prefix := requestKey(request)
		held := tx.Bucket(bucketQuietHeld)
		c := tx.Bucket(bucketQuietByRequest).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(out) < maxHeldPerRequest; k, _ = c.Next() {
			if len(k) < len(prefix)+8 {
				continue
			}
			v := held.Get(k[len(k)-8:])
			if v == nil {
				continue
			}
			a, err := decodeHeld(v)
			if err != nil {
				return err
			}
			out = append(out, a)
		}
		return nil
	})
	slices.SortFunc(out, func(a, b HeldAlert) int { return cmpUint(a.Seq, b.Seq) })
	return out, err
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Rehold puts the held alerts under the policy now in force (at start and
// after each reload): each is due at the first opening of its receiver's
// hours after it was held, which is at once when that has passed (slad was
// down then, or the new hours were open since) or when the alert need not
// wait any more (no hours, or its stage became urgent). The alerts of a
// receiver that no longer exists (known says which do) are dropped. It
// returns how many were moved and dropped. It reads every held alert:
// a reload's work, never a tick's.
func (s *Store) Rehold(p *sla.Policy, known func(receiver string) bool, now time.Time) (moved, dropped int, err error) {
	err = s.update(func(tx *bolt.Tx) error {
		moved, dropped = 0, 0
		var all []heldRecord
		if err := tx.Bucket(bucketQuietHeld).ForEach(func(_, v []byte) error {
			var r heldRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			r.Notice = bytes.Clone(r.Notice)
			all = append(all, r)
			return nil
		}); err != nil {
			return err
		}
		for i := range all {
			r := &all[i]
			a, err := r.decode()
			if err != nil {
				return err
			}
			request := Ref{Provider: a.Notice.Provider, ID: a.Notice.RequestID}
			if !known(r.Receiver) {
				if _, err := takeHeld(tx, request, r.Seq); err != nil {
					return err
				}
				dropped++
				continue
			}
			until, held := lifecycle.ReleaseAt(p, r.Receiver, &a.Notice, r.Since)
			if !held {
				until = r.Since
			}
			if until.Unix() == r.Until.Unix() {
				continue
			}
			if _, err := takeHeld(tx, request, r.Seq); err != nil {
				return err
			}
			r.Until = until.UTC()
			// The notice says when it goes out now: at its new release,
			// or at once (this reload, this start) if that has passed.
			a.Notice.HeldUntil = r.Until
			if r.Until.Before(now) {
				a.Notice.HeldUntil = now.UTC()
			}
			if r.Notice, err = json.Marshal(a.Notice); err != nil {
				return err
			}
			if err := putHeld(tx, request, r); err != nil {
				return err
			}
			moved++
		}
		return nil
	})
	return moved, dropped, err
}
