package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/sla"
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
		it, err := loadOutboxItem(tx, k, v)
		if err != nil {
			return err
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

// Outcome kinds: what became of one attempt to deliver an outbox item.
const (
	// OutcomeDelivered: the receiver took the alert (2xx); it leaves the
	// outbox and the notification log records the delivery.
	OutcomeDelivered OutcomeKind = iota + 1
	// OutcomeRetry: the attempt failed and may succeed later; the item stays,
	// due again at Next.
	OutcomeRetry
	// OutcomeGiveUp: the alert can no longer be delivered (too old, a
	// permanent failure); it leaves the outbox and the log says why.
	OutcomeGiveUp
)

// OutcomeKind says what became of a delivery attempt.
type OutcomeKind int

// Outcome is what became of one attempt to deliver an outbox item, for
// [Store.Record].
type Outcome struct {
	Kind OutcomeKind
	Item OutboxItem // as DueAlerts returned it
	// At is when the attempt ended (the delivery's time in the log; for a
	// give-up, zero means the store's now).
	At time.Time
	// Next is when a retried item is due again.
	Next time.Time
	// Reason is a retry's last error, or why the alert was given up.
	Reason string
}

// Record writes the outcomes of several delivery attempts in one
// transaction (one fsync): delivered and given-up items leave the outbox
// and enter the notification log, retried ones get their next due time.
// The outcomes are applied in order, all or none. An item no longer
// pending (its receiver was dropped by a reload meanwhile) is skipped.
//
// Delivery workers send a batch of alerts, then record the batch: a crash
// after the receiver's 2xx and before Record commits sends that batch
// again after the restart (at least once), and never more than that batch.
func (s *Store) Record(outcomes []Outcome) error {
	if len(outcomes) == 0 {
		return nil
	}
	now := s.now().UTC()
	return s.update(func(tx *bolt.Tx) error {
		for _, o := range outcomes {
			if err := recordOutcome(tx, o, now); err != nil {
				return fmt.Errorf("outcome of alert %d for %q: %w", o.Item.Seq, o.Item.Receiver, err)
			}
		}
		return nil
	})
}

func recordOutcome(tx *bolt.Tx, o Outcome, now time.Time) error {
	it := o.Item
	b := tx.Bucket(bucketOutbox)
	k := outboxKey(it.Receiver, it.Seq)
	v := b.Get(k)
	if v == nil {
		return nil // already finished (dropped by a reload meanwhile)
	}
	stored, err := decodeOutboxEntry(v)
	if err != nil {
		return fmt.Errorf("outbox item %x: %w", k, err)
	}
	var e LogEntry
	switch o.Kind {
	case OutcomeRetry:
		stored.attempts = it.Attempts + 1
		stored.nextAttempt, stored.lastError = o.Next.UTC(), o.Reason
		return b.Put(k, stored.encode())
	case OutcomeDelivered:
		e = LogEntry{Delivered: true, At: o.At.UTC(), Attempts: it.Attempts + 1}
	case OutcomeGiveUp:
		e = LogEntry{At: o.At.UTC(), Attempts: it.Attempts, Reason: o.Reason}
		if o.At.IsZero() {
			e.At = now
		}
	default:
		return fmt.Errorf("unknown outcome kind %d", o.Kind)
	}
	e.Receiver, e.NoticeID, e.Stage, e.Request, e.Provider = it.Receiver, it.Notice.ID, it.Notice.StageKey, it.Notice.RequestID, it.Notice.Provider
	if err := b.Delete(k); err != nil {
		return err
	}
	if err := unrefNotice(tx, stored.notice); err != nil {
		return err
	}
	if err := addPending(tx, it.Receiver, -1); err != nil {
		return err
	}
	data, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketNotifyLog).Put(lp(outboxPrefix(it.Receiver), it.Notice.ID), data)
}

// DropReceiver removes every pending alert of a receiver that no longer
// exists and returns how many there were.
func (s *Store) DropReceiver(receiver string) (int, error) {
	n := 0
	err := s.update(func(tx *bolt.Tx) error {
		prefix := outboxPrefix(receiver)
		// Keys are gathered first and deleted after: a cursor seeking
		// again after each delete walks the emptied leaves every time,
		// which made dropping 100,000 alerts take minutes.
		var keys [][]byte
		var notices []uint64 // the notices they refer to
		c := tx.Bucket(bucketOutbox).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(k) == len(prefix)+8; k, v = c.Next() {
			seq, err := noticeRef(fmt.Sprintf("outbox item %x", k), v)
			if err != nil {
				return err
			}
			keys, notices = append(keys, bytes.Clone(k)), append(notices, seq)
		}
		n = len(keys) // the outbox's; the firing bucket's follow
		fc := tx.Bucket(bucketFiring).Cursor()
		for k, v := fc.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = fc.Next() {
			seq, err := noticeRef(fmt.Sprintf("firing alert %x", k), v)
			if err != nil {
				return err
			}
			keys, notices = append(keys, bytes.Clone(k)), append(notices, seq)
		}
		for i, k := range keys {
			b := tx.Bucket(bucketOutbox)
			if i >= n {
				b = tx.Bucket(bucketFiring)
			}
			if err := b.Delete(k); err != nil {
				return err
			}
			if err := unrefNotice(tx, notices[i]); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketPending).Delete([]byte(receiver))
	})
	return n, err
}

// Pending alert counts (schema 9): the number of items each receiver has
// in the outbox, kept in the transactions that add and remove them, so that
// a scrape reads one key per receiver instead of the whole outbox.
//
//	outbox_pending  receiver → uint64
var bucketPending = []byte("outbox_pending")

// addPending adds d to the receiver's pending count; a count that reaches
// zero is removed, so that the bucket names only receivers with alerts.
func addPending(tx *bolt.Tx, receiver string, d int64) error {
	b := tx.Bucket(bucketPending)
	k := []byte(receiver)
	n := int64(getUint(b, k)) + d
	if n <= 0 {
		return b.Delete(k)
	}
	return putUint(b, k, uint64(n))
}

// countPending migrates to schema 9: it creates the pending counts and
// fills them from the outbox, once.
func countPending(tx *bolt.Tx, _ *sla.Policy, _ time.Time) error {
	if err := recreateIfExists(tx, bucketPending); err != nil {
		return err
	}
	counts := map[string]int64{}
	if err := tx.Bucket(bucketOutbox).ForEach(func(k, _ []byte) error {
		receiver, rest, ok := cutLP(k)
		if !ok || len(rest) != 8 {
			return fmt.Errorf("outbox key %x is not a receiver's item", k)
		}
		counts[receiver]++
		return nil
	}); err != nil {
		return err
	}
	for receiver, n := range counts {
		if err := addPending(tx, receiver, n); err != nil {
			return err
		}
	}
	return nil
}

func recreateIfExists(tx *bolt.Tx, name []byte) error {
	if tx.Bucket(name) != nil {
		if err := tx.DeleteBucket(name); err != nil {
			return err
		}
	}
	_, err := tx.CreateBucket(name)
	return err
}

// PendingAlerts returns the number of pending alerts per receiver: one key
// per receiver with alerts, never a scan of the outbox.
func (s *Store) PendingAlerts() (map[string]int, error) {
	out := map[string]int{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketPending).ForEach(func(k, v []byte) error {
			if len(v) == 8 {
				out[string(k)] = int(binary.BigEndian.Uint64(v))
			}
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
			seq, err := noticeRef(fmt.Sprintf("firing alert %x", k), v)
			if err != nil {
				return err
			}
			n, err := loadNotice(tx, seq)
			if err != nil {
				return fmt.Errorf("firing alert %x: %w", k, err)
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
