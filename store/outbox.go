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

// OutboxItem is one alert waiting to be delivered to one receiver.
type OutboxItem struct {
	Seq         uint64           `json:"seq"` // position in the receiver's queue
	Receiver    string           `json:"receiver"`
	Notice      lifecycle.Notice `json:"notice"`
	Created     time.Time        `json:"created"`
	Attempts    int              `json:"attempts"`
	NextAttempt time.Time        `json:"next_attempt"`
	LastError   string           `json:"last_error,omitempty"`
}

// LogEntry is the notification log's record of an alert that left the
// outbox: delivered, or given up on.
type LogEntry struct {
	Receiver  string    `json:"receiver"`
	NoticeID  string    `json:"notice_id"`
	Stage     string    `json:"stage"`
	Request   string    `json:"request"`
	Provider  string    `json:"provider,omitempty"` // the request's; absent before schema 5
	Delivered bool      `json:"delivered"`
	At        time.Time `json:"at"`
	Attempts  int       `json:"attempts"`
	Reason    string    `json:"reason,omitempty"`
}

// forEachOutbox calls fn for each pending alert of the receiver, in queue order.
func forEachOutbox(tx *bolt.Tx, receiver string, fn func(it OutboxItem) (more bool, err error)) error {
	prefix := outboxPrefix(receiver)
	c := tx.Bucket(bucketOutbox).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(k) == len(prefix)+8; k, v = c.Next() {
		var it OutboxItem
		if err := json.Unmarshal(v, &it); err != nil {
			return fmt.Errorf("outbox item %x: %w", k, err)
		}
		more, err := fn(it)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// DueAlerts returns up to limit alerts of the receiver, oldest first, as
// long as they are due at now. A receiver gets its alerts in the order they
// were raised: an alert waiting for a retry holds back the ones behind it,
// so a "resolved" never overtakes its breach.
func (s *Store) DueAlerts(receiver string, now time.Time, limit int) ([]OutboxItem, error) {
	var out []OutboxItem
	err := s.db.View(func(tx *bolt.Tx) error {
		return forEachOutbox(tx, receiver, func(it OutboxItem) (bool, error) {
			if it.NextAttempt.After(now) {
				return false, nil
			}
			out = append(out, it)
			return len(out) < limit, nil
		})
	})
	return out, err
}

// NextAlertAt returns when the receiver's next alert (the oldest pending)
// is due; ok is false when it has none.
func (s *Store) NextAlertAt(receiver string) (t time.Time, ok bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		return forEachOutbox(tx, receiver, func(it OutboxItem) (bool, error) {
			t, ok = it.NextAttempt, true
			return false, nil
		})
	})
	return t, ok, err
}

// Delivered removes the alert from the outbox and records the delivery in
// the notification log, in one transaction.
func (s *Store) Delivered(it OutboxItem, at time.Time) error {
	return s.finish(it, LogEntry{Delivered: true, At: at.UTC(), Attempts: it.Attempts + 1})
}

// GiveUp removes an alert that can no longer be delivered (too old, a
// permanent failure) and records why in the notification log.
func (s *Store) GiveUp(it OutboxItem, reason string) error {
	return s.finish(it, LogEntry{At: s.now().UTC(), Attempts: it.Attempts, Reason: reason})
}

func (s *Store) finish(it OutboxItem, e LogEntry) error {
	e.Receiver, e.NoticeID, e.Stage, e.Request, e.Provider = it.Receiver, it.Notice.ID, it.Notice.StageKey, it.Notice.RequestID, it.Notice.Provider
	return s.db.Update(func(tx *bolt.Tx) error {
		k := outboxKey(it.Receiver, it.Seq)
		if tx.Bucket(bucketOutbox).Get(k) == nil {
			return nil // already finished (dropped by a reload meanwhile)
		}
		if err := tx.Bucket(bucketOutbox).Delete(k); err != nil {
			return err
		}
		data, err := json.Marshal(e)
		if err != nil {
			return err
		}
		return tx.Bucket(bucketNotifyLog).Put(lp(outboxPrefix(it.Receiver), it.Notice.ID), data)
	})
}

// Retry records a failed attempt and when to try next.
func (s *Store) Retry(it OutboxItem, next time.Time, lastErr string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketOutbox)
		k := outboxKey(it.Receiver, it.Seq)
		if b.Get(k) == nil {
			return nil
		}
		it.Attempts++
		it.NextAttempt, it.LastError = next.UTC(), lastErr
		data, err := json.Marshal(it)
		if err != nil {
			return err
		}
		return b.Put(k, data)
	})
}

// DropReceiver removes every pending alert of a receiver that no longer
// exists and returns how many there were.
func (s *Store) DropReceiver(receiver string) (int, error) {
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		prefix := outboxPrefix(receiver)
		c := tx.Bucket(bucketOutbox).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(k) == len(prefix)+8; k, _ = c.Seek(prefix) {
			if err := c.Delete(); err != nil {
				return err
			}
			n++
		}
		fc := tx.Bucket(bucketFiring).Cursor()
		for k, _ := fc.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = fc.Seek(prefix) {
			if err := fc.Delete(); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

// PendingAlerts returns the number of pending alerts per receiver.
func (s *Store) PendingAlerts() (map[string]int, error) {
	out := map[string]int{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketOutbox).ForEach(func(k, _ []byte) error {
			n := int(binary.BigEndian.Uint16(k))
			out[string(k[2:2+n])]++
			return nil
		})
	})
	return out, err
}

// Firing returns the breach and escalation notices sent to the receiver
// whose request has not yet been resolved or cancelled: what an
// Alertmanager receiver re-posts so that Alertmanager does not resolve them
// on its own.
func (s *Store) Firing(receiver string) ([]lifecycle.Notice, error) {
	var out []lifecycle.Notice
	err := s.db.View(func(tx *bolt.Tx) error {
		prefix := outboxPrefix(receiver)
		c := tx.Bucket(bucketFiring).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var n lifecycle.Notice
			if err := json.Unmarshal(v, &n); err != nil {
				return err
			}
			out = append(out, n)
		}
		return nil
	})
	return out, err
}

// NotificationLog returns what became of the alerts of a request (for every
// receiver), as far as the log knows.
func (s *Store) NotificationLog(receiver, noticeID string) (LogEntry, bool, error) {
	var e LogEntry
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketNotifyLog).Get(lp(outboxPrefix(receiver), noticeID))
		if v == nil {
			return nil
		}
		ok = true
		return json.Unmarshal(v, &e)
	})
	return e, ok, err
}

// OutboxChanged returns a channel that is closed the next time alerts are
// added to the outbox, so that delivery workers need not poll. Every waiter
// is woken. Take the channel before reading the outbox, and take a new one
// after each wake-up, so that no addition is missed.
func (s *Store) OutboxChanged() <-chan struct{} {
	s.outboxMu.Lock()
	defer s.outboxMu.Unlock()
	return s.outboxChanged
}

func (s *Store) signalOutbox() {
	s.outboxMu.Lock()
	defer s.outboxMu.Unlock()
	close(s.outboxChanged)
	s.outboxChanged = make(chan struct{})
}
