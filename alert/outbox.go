package alert

import (
	"time"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/store"
)

// Outbox is what delivery needs of the store: the durable queue of alerts
// per receiver and the notification log behind it. *store.Store implements
// it; see store/outbox.go for the contract of each method.
type Outbox interface {
	// DueAlerts returns up to limit alerts of the receiver in queue order,
	// stopping at the first one not due at now: alerts reach a receiver in
	// the order they were raised.
	DueAlerts(receiver string, now time.Time, limit int) ([]store.OutboxItem, error)
	// NextAlertAt returns when the receiver's oldest pending alert is due.
	NextAlertAt(receiver string) (t time.Time, ok bool, err error)
	// Record writes the outcomes of a batch of delivery attempts in one
	// transaction: delivered and given-up alerts leave the outbox for the
	// notification log, retried ones wait for their next attempt.
	Record(outcomes []store.Outcome) error
	// DropReceiver removes every pending alert of a receiver.
	DropReceiver(receiver string) (int, error)
	// PendingAlerts counts pending alerts per receiver.
	PendingAlerts() (map[string]int, error)
	// Firing returns the breach notices delivered to the receiver whose
	// request is still open.
	Firing(receiver string) ([]lifecycle.Notice, error)
	// OutboxChanged signals that alerts were added.
	OutboxChanged() <-chan struct{}
}

var _ Outbox = (*store.Store)(nil)
