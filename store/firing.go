package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/alert/lifecycle"
)

// applyEffects writes what the alert lifecycle decided, in order: notices
// into the outbox, firing alerts into the firing bucket. notices holds
// each effect's notice as JSON (encodeNotices, run beside the fold rather
// than in the writer); the outbox's sequence number and pending counts
// are kept in sum until it is flushed. It returns the number of outbox
// items written.
func applyEffects(tx *bolt.Tx, effects []lifecycle.Effect, notices [][]byte, now time.Time, sum *pendingSums) (int, error) {
	if len(notices) != len(effects) {
		return 0, fmt.Errorf("%d alert effects with %d encoded notices", len(effects), len(notices))
	}
	var held heldApply // quiet hours (held.go)
	for i, e := range effects {
		var err error
		switch e.Op {
		case lifecycle.Send:
			err = enqueue(tx, held.told(&e), &e.Notice, notices[i], now, sum)
		case lifecycle.Hold:
			err = held.hold(tx, &e, notices[i], now, sum)
		case lifecycle.Unhold:
			err = held.unhold(tx, &e, now, sum)
		case lifecycle.Fire:
			err = setFiring(tx, e.Receivers, Ref{Provider: e.Provider, ID: e.Request}, e.ClockKey, e.Notice.StageKey, notices[i])
		case lifecycle.Unfire:
			err = clearFiring(tx, e.Receivers, Ref{Provider: e.Provider, ID: e.Request}, e.ClockKey)
		default:
			err = fmt.Errorf("unknown alert effect %d", e.Op)
		}
		if err != nil {
			return 0, err
		}
	}
	return lifecycle.Queued(effects), nil
}

// encodeNotices encodes the notice of each effect that has one, once for
// all its receivers: a breach's Fire carries the notice of its Send, so
// it shares that one's bytes.
func encodeNotices(effects []lifecycle.Effect) ([][]byte, error) {
	out := make([][]byte, len(effects))
	for i, e := range effects {
		if e.Op != lifecycle.Send && e.Op != lifecycle.Fire && e.Op != lifecycle.Hold {
			continue
		}
		if i > 0 && out[i-1] != nil && effects[i-1].Notice == e.Notice {
			out[i] = out[i-1]
			continue
		}
		data, err := json.Marshal(e.Notice)
		if err != nil {
			return nil, fmt.Errorf("notice %s: %w", e.Notice.ID, err)
		}
		out[i] = data
	}
	return out, nil
}

// enqueue writes a notice, encoded as notice, to the outbox of each
// receiver.
func enqueue(tx *bolt.Tx, receivers []string, n *lifecycle.Notice, notice []byte, now time.Time, sum *pendingSums) error {
	ob := tx.Bucket(bucketOutbox)
	ob.FillPercent = outboxFill
	for _, rcv := range receivers {
		seq := sum.nextOutboxSeq(tx)
		data, err := encodeNewItem(seq, rcv, notice, now)
		if err != nil {
			return err
		}
		if err := ob.Put(outboxKey(rcv, seq), data); err != nil {
			return err
		}
		if err := indexNotice(tx, rcv, n); err != nil { // retention.go
			return err
		}
		sum.pending[rcv]++
	}
	return nil
}

// outboxFill is how full the outbox's pages are packed when they split
// (bbolt's default is half). Each receiver's items are appended (their
// sequence numbers only grow) and leave from the front, so a page once
// full stays so: half-full pages would write twice the bytes per alert.
const outboxFill = 0.9

// encodeNewItem is the JSON of a new OutboxItem (created and due at now,
// no attempt yet) whose notice is encoded already: the bytes
// json.Marshal(OutboxItem{…}) gives, without encoding the notice again
// for each receiver.
func encodeNewItem(seq uint64, receiver string, notice []byte, now time.Time) ([]byte, error) {
	rcv, err := json.Marshal(receiver)
	if err != nil {
		return nil, err
	}
	at, err := now.UTC().MarshalJSON()
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, len(notice)+len(rcv)+2*len(at)+80)
	b = strconv.AppendUint(append(b, `{"seq":`...), seq, 10)
	b = append(append(b, `,"receiver":`...), rcv...)
	b = append(append(b, `,"notice":`...), notice...)
	b = append(append(b, `,"created":`...), at...)
	b = append(append(b, `,"attempts":0,"next_attempt":`...), at...)
	return append(b, '}'), nil
}

// setFiring records an open breach or escalation for each receiver, for
// receivers that must keep re-sending it (Alertmanager).
func setFiring(tx *bolt.Tx, receivers []string, request Ref, clockKey, stageKey string, notice []byte) error {
	b := tx.Bucket(bucketFiring)
	for _, rcv := range receivers {
		if err := b.Put(lp(firingPrefix(rcv, request, clockKey), stageKey), notice); err != nil {
			return err
		}
	}
	return nil
}

// clearFiring forgets every open alert of a clock for each receiver.
func clearFiring(tx *bolt.Tx, receivers []string, request Ref, clockKey string) error {
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

func firingPrefix(receiver string, request Ref, clockKey string) []byte {
	return lp(append(lp(nil, receiver), requestKey(request)...), clockKey)
}
