package store

import (
	"errors"
	"time"

	"github.com/slad-project/slad/sla"
)

// OutboxItem is one alert waiting to be delivered to one receiver.
type OutboxItem struct {
	Seq         uint64     `json:"seq"` // position in the receiver's queue
	Receiver    string     `json:"receiver"`
	Notice      sla.Notice `json:"notice"`
	Created     time.Time  `json:"created"`
	Attempts    int        `json:"attempts"`
	NextAttempt time.Time  `json:"next_attempt"`
	LastError   string     `json:"last_error,omitempty"`
}

var errTODO = errors.New("not implemented yet")

// DueAlerts returns up to limit alerts of the receiver whose next attempt is
// at or before now, oldest first.
func (s *Store) DueAlerts(receiver string, now time.Time, limit int) ([]OutboxItem, error) {
	return nil, errTODO
}

// NextAlertAt returns when the receiver's earliest pending alert is next due;
// ok is false when it has none.
func (s *Store) NextAlertAt(receiver string) (t time.Time, ok bool, err error) {
	return time.Time{}, false, errTODO
}

// Delivered removes the alert from the outbox and records the delivery in
// the notification log, in one transaction.
func (s *Store) Delivered(it OutboxItem, at time.Time) error { return errTODO }

// Retry records a failed attempt and when to try next.
func (s *Store) Retry(it OutboxItem, next time.Time, lastErr string) error { return errTODO }

// GiveUp removes an alert that can no longer be delivered (too old, a
// permanent failure) and records why in the notification log.
func (s *Store) GiveUp(it OutboxItem, reason string) error { return errTODO }

// DropReceiver removes every pending alert of a receiver that no longer
// exists and returns how many there were.
func (s *Store) DropReceiver(receiver string) (int, error) { return 0, errTODO }

// PendingAlerts returns the number of pending alerts per receiver.
func (s *Store) PendingAlerts() (map[string]int, error) { return nil, errTODO }

// Firing returns the breach notices sent to the receiver whose request has
// not yet been resolved or cancelled: what an Alertmanager receiver re-posts
// so that Alertmanager does not resolve them on its own.
func (s *Store) Firing(receiver string) ([]sla.Notice, error) { return nil, errTODO }

// OutboxChanged returns a channel that receives a value whenever alerts are
// added to the outbox, so that delivery workers need not poll.
func (s *Store) OutboxChanged() <-chan struct{} { return s.outboxChanged }
