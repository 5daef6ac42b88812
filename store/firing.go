package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/alert/lifecycle"
)

// applyEffects writes what the alert lifecycle decided, in order: notices
// into the outbox, firing alerts into the firing bucket. It returns the
// number of outbox items written.
func applyEffects(tx *bolt.Tx, effects []lifecycle.Effect, now time.Time) (int, error) {
	for _, e := range effects {
		var err error
		switch e.Op {
		case lifecycle.Send:
			err = enqueue(tx, e.Receivers, e.Notice, now)
		case lifecycle.Fire:
			err = setFiring(tx, e.Receivers, Ref{Provider: e.Provider, ID: e.Request}, e.ClockKey, e.Notice)
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
		if err := indexNotice(tx, rcv, &n); err != nil { // retention.go
			return err
		}
		if err := addPending(tx, rcv, 1); err != nil {
			return err
		}
	}
	return nil
}

// setFiring records an open breach or escalation for each receiver, for
// receivers that must keep re-sending it (Alertmanager).
func setFiring(tx *bolt.Tx, receivers []string, request Ref, clockKey string, n lifecycle.Notice) error {
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
