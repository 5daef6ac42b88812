package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/alert/lifecycle"
)

// applyEffects writes what the alert lifecycle decided, in order: notices
// into the outbox, firing alerts into the firing bucket. notices holds
// each effect's notice encoded (encodeNotices, run beside the fold rather
// than in the writer); the outbox's sequence number and pending counts
// are kept in sum until it is flushed. It returns the number of outbox
// items written, and per clock the receivers told nothing of its breach
// after all (their first alert of it was dropped held: held.go), which
// the caller hands to the request's lifecycle.State (Untell) before it
// saves it.
func applyEffects(tx *bolt.Tx, effects []lifecycle.Effect, notices [][]byte, now time.Time, sum *pendingSums) (int, map[string][]string, error) {
	if len(notices) != len(effects) {
		return 0, nil, fmt.Errorf("%d alert effects with %d encoded notices", len(effects), len(notices))
	}
	var held heldApply // quiet hours (held.go)
	for i := range effects {
		e := &effects[i] // not a copy: one escaping per effect
		var err error
		switch e.Op {
		case lifecycle.Send:
			receivers := held.told(e)
			if e.Notice.Stage == lifecycle.StageResolved {
				receivers, err = enqueueAsFired(tx, receivers, e, now, sum)
			}
			if err == nil {
				err = enqueue(tx, receivers, e.Notice, notices[i], now, sum)
			}
		case lifecycle.Hold:
			err = held.hold(tx, e, notices[i], now, sum)
		case lifecycle.Unhold:
			err = held.unhold(tx, e, now, sum)
		case lifecycle.Fire:
			err = setFiring(sum.writer(tx), e.Receivers, Ref{Provider: e.Provider, ID: e.Request}, e.ClockKey, e.Notice.StageKey, notices[i], &sum.bodies)
		case lifecycle.Unfire:
			err = clearFiringOf(tx, &sum.bodies, e.Receivers, Ref{Provider: e.Provider, ID: e.Request}, e.ClockKey)
		default:
			err = fmt.Errorf("unknown alert effect %d", e.Op)
		}
		if err != nil {
			return 0, nil, err
		}
	}
	return lifecycle.Queued(effects), held.untold, nil
}

// encodeNotices encodes the notice of each effect that has one, once for
// all its receivers: a breach's Fire carries the notice of its Send, so
// it shares that one's bytes. A sent or firing notice is stored in the
// binary encoding (notice_codec.go); a held one is kept as JSON inside
// its held alert (held.go), and stored as such once released.
func encodeNotices(effects []lifecycle.Effect) ([][]byte, error) {
	out := make([][]byte, len(effects))
	for i := range effects {
		e := &effects[i] // not a copy: encodeNotice would make it escape
		if e.Op != lifecycle.Send && e.Op != lifecycle.Fire && e.Op != lifecycle.Hold {
			continue
		}
		held := e.Op == lifecycle.Hold
		if i > 0 && out[i-1] != nil && (effects[i-1].Op == lifecycle.Hold) == held && sameNotice(effects[i-1].Notice, e.Notice) {
			out[i] = out[i-1]
			continue
		}
		var data []byte
		var err error
		if held {
			data, err = json.Marshal(e.Notice)
		} else {
			data, err = encodeNotice(e.Notice)
		}
		if err != nil {
			return nil, fmt.Errorf("notice %s: %w", e.Notice.ID, err)
		}
		out[i] = data
	}
	return out, nil
}

// sameNotice reports whether two effects' notices say the same: most often
// they are one (a breach's Send and Fire share it).
func sameNotice(a, b *lifecycle.Notice) bool {
	return a == b || (a != nil && b != nil && *a == *b)
}

// enqueue writes a notice, encoded as notice, to the outbox of each
// receiver: the notice once (notice_bodies.go), an item per receiver that
// refers to it.
func enqueue(tx *bolt.Tx, receivers []string, n *lifecycle.Notice, notice []byte, now time.Time, sum *pendingSums) error {
	w := sum.writer(tx)
	ob := w.bucket(wOutbox)
	ob.b.FillPercent = outboxFill
	for _, rcv := range receivers {
		seq := sum.nextOutboxSeq(tx)
		e := outboxEntry{notice: sum.bodies.ref(tx, notice), created: now.UTC(), nextAttempt: now.UTC()}
		w.val = e.appendTo(w.val[:0])
		w.key = appendOutboxKey(w.key[:0], rcv, seq)
		if err := ob.put(w.key, w.keep(w.val)); err != nil {
			return err
		}
		if err := w.indexNotice(rcv, n); err != nil { // retention.go
			return err
		}
		sum.pending[rcv]++
	}
	return nil
}

// enqueueAsFired queues the resolved notice of e, for each receiver for
// whom its breach is firing as another alert, as the end of that alert
// (lifecycle.Notice.AsFired): a reload that removed an OLA (the notice
// cannot name its party any more) or changed what an SLA measures would
// otherwise end an alert that is not firing, and Alertmanager would keep
// the one firing until its endsAt lapsed. It returns the other receivers,
// whose firing alert (if any) the notice ends as it is.
func enqueueAsFired(tx *bolt.Tx, receivers []string, e *lifecycle.Effect, now time.Time, sum *pendingSums) ([]string, error) {
	w := sum.writer(tx)
	c := w.bucket(wFiring).b.Cursor()
	var rest []string // nil until a receiver's notice is queued apart
	for i, rcv := range receivers {
		w.key = appendFiringPrefix(w.key[:0], rcv, Ref{Provider: e.Provider, ID: e.Request}, e.ClockKey)
		fired, err := firstFiring(tx, c, w.key, &sum.bodies)
		if err != nil {
			return nil, err
		}
		if fired == nil || e.Notice.EndsAlertOf(fired) {
			if rest != nil {
				rest = append(rest, rcv)
			}
			continue
		}
		n := e.Notice.AsFired(fired)
		encoded, err := encodeNotice(&n)
		if err != nil {
			return nil, fmt.Errorf("notice %s: %w", n.ID, err)
		}
		if err := enqueue(tx, []string{rcv}, &n, encoded, now, sum); err != nil {
			return nil, err
		}
		if rest == nil {
			rest = append(make([]string, 0, len(receivers)), receivers[:i]...)
		}
	}
	if rest == nil {
		return receivers, nil
	}
	return rest, nil
}

// firstFiring returns the first notice firing under prefix (a receiver's
// firing alerts of a clock: its breach and escalation steps, which name
// the same customer and party), or nil when none is.
func firstFiring(tx *bolt.Tx, c *bolt.Cursor, prefix []byte, bodies *pendingBodies) (*lifecycle.Notice, error) {
	k, v := c.Seek(prefix)
	if k == nil || !bytes.HasPrefix(k, prefix) {
		return nil, nil
	}
	seq, err := noticeRef(fmt.Sprintf("firing alert %x", k), v)
	if err != nil {
		return nil, err
	}
	data, err := bodies.data(tx, seq)
	if err != nil {
		return nil, err
	}
	n, err := decodeNotice(data)
	if err != nil {
		return nil, fmt.Errorf("firing alert %x: notice %d: %w", k, seq, err)
	}
	return &n, nil
}

// outboxFill is how full the outbox's pages are packed when they split
// (bbolt's default is half). Each receiver's items are appended (their
// sequence numbers only grow) and leave from the front, so a page once
// full stays so: half-full pages would write twice the bytes per alert.
const outboxFill = 0.9

// setFiring records an open breach or escalation for each receiver, for
// receivers that must keep re-sending it (Alertmanager): the notice,
// encoded as notice, once in bodies, an entry per receiver that refers to
// it.
func setFiring(w *txWriter, receivers []string, request Ref, clockKey, stageKey string, notice []byte, bodies *pendingBodies) error {
	b := w.bucket(wFiring)
	for _, rcv := range receivers {
		w.key = lp(appendFiringPrefix(w.key[:0], rcv, request, clockKey), stageKey)
		if v := b.get(w.key); v != nil { // fired again (a new cycle): the old notice goes
			if err := unrefFiring(w.tx, bodies, w.key, v); err != nil {
				return err
			}
		}
		w.val = binary.BigEndian.AppendUint64(w.val[:0], bodies.ref(w.tx, notice))
		if err := b.put(w.key, w.keep(w.val)); err != nil {
			return err
		}
	}
	return nil
}

// clearFiring forgets every open alert of a clock for each receiver.
func clearFiring(tx *bolt.Tx, receivers []string, request Ref, clockKey string) error {
	return clearFiringOf(tx, nil, receivers, request, clockKey)
}

// clearFiringOf is clearFiring in a commit that writes bodies.
func clearFiringOf(tx *bolt.Tx, bodies *pendingBodies, receivers []string, request Ref, clockKey string) error {
	c := tx.Bucket(bucketFiring).Cursor()
	for _, rcv := range receivers {
		prefix := firingPrefix(rcv, request, clockKey)
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Seek(prefix) {
			if err := unrefFiring(tx, bodies, k, v); err != nil {
				return err
			}
			if err := c.Delete(); err != nil {
				return err
			}
		}
	}
	return nil
}

// unrefFiring takes back the reference of the firing entry k (value v) to
// its notice.
func unrefFiring(tx *bolt.Tx, bodies *pendingBodies, k, v []byte) error {
	seq, err := noticeRef(fmt.Sprintf("firing alert %x", k), v)
	if err != nil {
		return err
	}
	return bodies.unref(tx, seq)
}

func firingPrefix(receiver string, request Ref, clockKey string) []byte {
	return appendFiringPrefix(nil, receiver, request, clockKey)
}

// appendFiringPrefix appends firingPrefix(receiver, request, clockKey) to b.
func appendFiringPrefix(b []byte, receiver string, request Ref, clockKey string) []byte {
	return lp(appendRequestKey(lp(b, receiver), request), clockKey)
}
