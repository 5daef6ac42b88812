package alert

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/store"
)

// fakeOutbox is an in-memory outbox that keeps the contract of
// store/outbox.go: per-receiver queues ordered by Seq, due by NextAttempt,
// removal on Delivered and GiveUp, and the breaches firing that Firing
// reads, kept as notices are queued.
// It also notes calls that break the contract (acting on an alert that is
// no longer pending) so that tests can fail on them.
type fakeOutbox struct {
	mu         sync.Mutex
	seq        uint64
	pending    map[string][]store.OutboxItem
	delivered  []store.OutboxItem
	givenUp    []givenUp
	retries    []retried
	drops      map[string]int // receiver → DropReceiver calls
	firing     map[string][]lifecycle.Notice
	violations []string
	changed    chan struct{}
	// records holds the size of each Record call; failRecords makes that
	// many calls fail (a full disk) before they work again.
	records     []int
	failRecords int
}

type givenUp struct {
	item   store.OutboxItem
	reason string
}

type retried struct {
	item    store.OutboxItem
	next    time.Time
	lastErr string
	at      time.Time
}

var _ Outbox = (*fakeOutbox)(nil)

func newFakeOutbox() *fakeOutbox {
	return &fakeOutbox{
		pending: map[string][]store.OutboxItem{},
		drops:   map[string]int{},
		firing:  map[string][]lifecycle.Notice{},
		changed: make(chan struct{}, 1),
	}
}

// add queues a notice for a receiver, due now, and signals the change as the
// store does after its transaction commits.
func (f *fakeOutbox) add(receiver string, n lifecycle.Notice) {
	f.mu.Lock()
	f.seq++
	now := time.Now()
	f.pending[receiver] = append(f.pending[receiver], store.OutboxItem{
		Seq: f.seq, Receiver: receiver, Notice: n, Created: now, NextAttempt: now,
	})
	// As the store's tick does: a breach fires, and a resolved one ends,
	// when its notice is queued, before it is delivered.
	switch n.Stage {
	case lifecycle.StageBreach:
		f.firing[receiver] = append(f.firing[receiver], n)
	case lifecycle.StageResolved:
		f.firing[receiver] = slices.DeleteFunc(f.firing[receiver], func(b lifecycle.Notice) bool {
			return b.RequestID == n.RequestID && b.SLAID == n.SLAID && b.Target == n.Target
		})
	}
	f.mu.Unlock()
	select {
	case f.changed <- struct{}{}:
	default:
	}
}

func (f *fakeOutbox) DueAlerts(receiver string, now time.Time, limit int) ([]store.OutboxItem, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []store.OutboxItem
	// As the store does: in queue order, stopping at the first alert not
	// yet due, so that a retry holds back the alerts behind it.
	for _, it := range f.pending[receiver] {
		if len(out) == limit || it.NextAttempt.After(now) {
			break
		}
		out = append(out, it)
	}
	return out, nil
}

func (f *fakeOutbox) NextAlertAt(receiver string) (time.Time, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	items := f.pending[receiver]
	if len(items) == 0 {
		return time.Time{}, false, nil
	}
	return items[0].NextAttempt, true, nil // the head of the queue
}

// take removes an item from its queue; the caller holds f.mu.
func (f *fakeOutbox) take(it store.OutboxItem, op string) (store.OutboxItem, bool) {
	items := f.pending[it.Receiver]
	i := slices.IndexFunc(items, func(p store.OutboxItem) bool { return p.Seq == it.Seq })
	if i < 0 {
		f.violations = append(f.violations, fmt.Sprintf("%s of alert %d (%s) for %q, which is not pending", op, it.Seq, it.Notice.ID, it.Receiver))
		return store.OutboxItem{}, false
	}
	p := items[i]
	f.pending[it.Receiver] = slices.Delete(items, i, i+1)
	return p, true
}

// Record applies the outcomes in order, all or none, as the store does in
// one transaction; an outcome for an alert no longer pending is a
// contract violation (the store would skip it).
func (f *fakeOutbox) Record(outcomes []store.Outcome) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.records = append(f.records, len(outcomes))
	if f.failRecords > 0 {
		f.failRecords--
		return errors.New("disk full")
	}
	for _, o := range outcomes {
		switch o.Kind {
		case store.OutcomeDelivered:
			f.delivered1(o.Item)
		case store.OutcomeRetry:
			f.retry1(o.Item, o.Next, o.Reason)
		case store.OutcomeGiveUp:
			if p, ok := f.take(o.Item, "GiveUp"); ok {
				f.givenUp = append(f.givenUp, givenUp{item: p, reason: o.Reason})
			}
		default:
			f.violations = append(f.violations, fmt.Sprintf("outcome of unknown kind %d", o.Kind))
		}
	}
	return nil
}

// delivered1 records a delivery; the caller holds f.mu.
func (f *fakeOutbox) delivered1(it store.OutboxItem) {
	p, ok := f.take(it, "Delivered")
	if !ok {
		return
	}
	f.delivered = append(f.delivered, p)
}

// retry1 records a failed attempt; the caller holds f.mu.
func (f *fakeOutbox) retry1(it store.OutboxItem, next time.Time, lastErr string) {
	items := f.pending[it.Receiver]
	i := slices.IndexFunc(items, func(p store.OutboxItem) bool { return p.Seq == it.Seq })
	if i < 0 {
		f.violations = append(f.violations, fmt.Sprintf("Retry of alert %d for %q, which is not pending", it.Seq, it.Receiver))
		return
	}
	items[i].Attempts++
	items[i].NextAttempt = next
	items[i].LastError = lastErr
	f.retries = append(f.retries, retried{item: items[i], next: next, lastErr: lastErr, at: time.Now()})
}

func (f *fakeOutbox) DropReceiver(receiver string) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := len(f.pending[receiver])
	delete(f.pending, receiver)
	f.drops[receiver]++
	return n, nil
}

func (f *fakeOutbox) PendingAlerts() (map[string]int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]int{}
	for r, items := range f.pending {
		if len(items) > 0 {
			out[r] = len(items)
		}
	}
	return out, nil
}

func (f *fakeOutbox) Firing(receiver string) ([]lifecycle.Notice, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.firing[receiver]), nil
}

func (f *fakeOutbox) OutboxChanged() <-chan struct{} { return f.changed }

// snapshot helpers, safe to call while workers run.

func (f *fakeOutbox) pendingCount(receiver string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.pending[receiver])
}

func (f *fakeOutbox) deliveredTo(receiver string) []store.OutboxItem {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []store.OutboxItem
	for _, it := range f.delivered {
		if it.Receiver == receiver {
			out = append(out, it)
		}
	}
	return out
}

func (f *fakeOutbox) givenUpFor(receiver string) []givenUp {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []givenUp
	for _, g := range f.givenUp {
		if g.item.Receiver == receiver {
			out = append(out, g)
		}
	}
	return out
}

func (f *fakeOutbox) retriesFor(receiver string) []retried {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []retried
	for _, r := range f.retries {
		if r.item.Receiver == receiver {
			out = append(out, r)
		}
	}
	return out
}

func (f *fakeOutbox) dropCalls(receiver string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.drops[receiver]
}

// recordCalls returns the size of each Record call so far.
func (f *fakeOutbox) recordCalls() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.records)
}

func (f *fakeOutbox) contractViolations() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.violations)
}
