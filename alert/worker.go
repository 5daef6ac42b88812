package alert

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/store"
)

// minWait keeps a worker from spinning when the store says an alert is due
// that it does not hand out.
const minWait = 10 * time.Millisecond

// worker delivers the alerts of one receiver.
type worker struct {
	d        *Dispatcher
	spec     config.Receiver
	notifier Notifier
	log      *slog.Logger

	// after is the previous task in the receiver's lane; nil if none.
	after    <-chan struct{}
	stop     chan struct{}
	stopOnce sync.Once
	wake     chan struct{}
	done     chan struct{}

	// fails counts retryable failures in a row: the receiver's own backoff.
	fails int
}

func newWorker(d *Dispatcher, spec config.Receiver, n Notifier, after <-chan struct{}) *worker {
	return &worker{
		d:        d,
		spec:     spec,
		notifier: n,
		log:      d.log.With("receiver", spec.Name),
		after:    after,
		stop:     make(chan struct{}),
		wake:     make(chan struct{}, 1),
		done:     make(chan struct{}),
	}
}

// halt asks the worker to stop once its current send is over.
func (w *worker) halt() { w.stopOnce.Do(func() { close(w.stop) }) }

// poke tells the worker the outbox changed; it never blocks.
func (w *worker) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *worker) stopped() bool {
	select {
	case <-w.stop:
		return true
	default:
		return false
	}
}

func (w *worker) run() {
	defer close(w.done)
	if w.after != nil {
		<-w.after
	}
	reposter, _ := w.notifier.(Reposter)
	var pauseUntil, nextRepost time.Time
	// reposting: breaches may be firing, so a re-post is due at
	// nextRepost. At the start the store may hold some (a restart, a
	// receiver added): they go first, before what is queued. Once a
	// re-post finds none, none fires until a delivery posts one, and the
	// first re-post is due an interval after that post, not at once.
	reposting := reposter != nil
	for !w.stopped() {
		// Re-posts are timed from when the work that posts began: a slow
		// post does not put the next one off by its length, past the
		// endsAt it gave.
		now := w.d.opts.Now()
		if reposting && !now.Before(nextRepost) {
			reposting = w.repost(reposter)
			nextRepost = now.Add(w.d.opts.RepostInterval)
		}
		processed := 0
		if !w.d.opts.Now().Before(pauseUntil) {
			pauseUntil, processed = w.drain()
		}
		if w.stopped() {
			return
		}
		if reposter != nil && !reposting && processed > 0 {
			reposting, nextRepost = true, now.Add(w.d.opts.RepostInterval)
		}
		timer := time.NewTimer(w.nextWait(pauseUntil, nextRepost, reposting, processed))
		select {
		case <-w.stop:
		case <-w.wake:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// nextWait is how long to sleep: until the receiver's pause ends or its next
// alert is due, the next re-post, or the poll interval, whichever is first.
func (w *worker) nextWait(pauseUntil, nextRepost time.Time, repost bool, processed int) time.Duration {
	now := w.d.opts.Now()
	wake := now.Add(w.d.opts.PollInterval)
	if repost && nextRepost.Before(wake) {
		wake = nextRepost
	}
	floor := minWait
	if now.Before(pauseUntil) {
		wake = earliest(wake, pauseUntil)
	} else {
		next, ok, err := w.d.opts.Outbox.NextAlertAt(w.spec.Name)
		switch {
		case err != nil:
			w.log.Warn("could not read the next alert's due time", "err", err)
			wake = earliest(wake, now.Add(w.d.opts.BaseBackoff))
		case ok:
			wake = earliest(wake, next)
			if processed == 0 && !next.After(now) {
				// Due but not handed out: do not spin on it.
				floor = min(time.Second, w.d.opts.PollInterval)
			}
		}
	}
	return max(wake.Sub(now), floor)
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// recordEvery bounds how long the outcomes of a batch wait for their
// transaction while its sends go on: a slow receiver's batch is recorded
// in parts, so what a crash would send again stays small in time as well
// as in number.
const recordEvery = time.Second

// drain sends the due alerts, oldest first, until none is due, the worker is
// told to stop, or the receiver fails in a way worth pausing for; then it
// returns when the pause ends (zero for no pause) and how many it sent.
func (w *worker) drain() (pauseUntil time.Time, processed int) {
	size := w.batchSize()
	for !w.stopped() {
		items, err := w.d.opts.Outbox.DueAlerts(w.spec.Name, w.d.opts.Now(), size)
		if err != nil {
			w.log.Error("could not read due alerts", "err", err)
			return w.d.opts.Now().Add(w.d.opts.BaseBackoff), processed
		}
		pause, sent := w.deliverBatch(items)
		processed += sent
		if !pause.IsZero() || sent < len(items) || len(items) < size {
			return pause, processed
		}
	}
	return time.Time{}, processed
}

// batchSize is how many alerts the worker sends before it records their
// outcomes. A log receiver has no network to wait for: its batches are
// large, so that the transaction (an fsync) per batch is what bounds it.
func (w *worker) batchSize() int {
	if w.spec.Type == config.ReceiverLog {
		return w.d.opts.LogBatchSize
	}
	return w.d.opts.BatchSize
}

// deliverBatch sends the items in queue order and records their outcomes
// in the store in one transaction (or one per recordEvery), not one per
// alert. It stops early when told to, or when the receiver fails in a way
// worth pausing for: the alerts behind that one wait, so none overtakes
// it. It returns the pause and how many items it sent.
//
// Once-only delivery across crashes: an alert leaves the outbox only in
// the transaction that records its 2xx. A crash (or a failed commit)
// before that transaction sends the alerts of the unrecorded batch again,
// never more than one batch; receivers drop the repeats by their notice
// id. The outcomes that were recorded are never sent again.
func (w *worker) deliverBatch(items []store.OutboxItem) (pauseUntil time.Time, sent int) {
	var b batch
	for _, it := range items {
		if w.stopped() {
			break
		}
		sent++
		pauseUntil = w.deliver(it, &b)
		if !pauseUntil.IsZero() {
			break
		}
		if w.d.opts.Now().Sub(b.since) >= recordEvery {
			if p := w.record(&b); !p.IsZero() {
				return p, sent
			}
		}
	}
	if p := w.record(&b); !p.IsZero() {
		return p, sent
	}
	return pauseUntil, sent
}

// batch is a worker's delivery outcomes not yet recorded, and what to
// report of each once they are.
type batch struct {
	outcomes []store.Outcome
	reports  []func()
	since    time.Time // when the first unrecorded outcome came
}

func (b *batch) add(o store.Outcome, report func()) {
	if len(b.outcomes) == 0 {
		b.since = o.At
	}
	b.outcomes = append(b.outcomes, o)
	b.reports = append(b.reports, report)
}

// record writes the batch's outcomes in one transaction, then counts and
// logs them. When the store fails, nothing of the batch is counted, its
// alerts stay pending (a delivered one goes out again: webhook-id lets
// receivers recognise it), and the worker pauses.
func (w *worker) record(b *batch) (pauseUntil time.Time) {
	if len(b.outcomes) == 0 {
		return time.Time{}
	}
	defer func() { *b = batch{} }()
	if err := w.d.opts.Outbox.Record(b.outcomes); err != nil {
		w.log.Error("could not record the outcome of delivery attempts in the store; they will be sent again", "alerts", len(b.outcomes), "err", err)
		return w.d.opts.Now().Add(w.d.opts.BaseBackoff)
	}
	for _, report := range b.reports {
		report()
	}
	return time.Time{}
}

// deliver sends one alert and adds its outcome to the batch. It returns a
// non-zero time when the worker should pause the receiver until then: it
// failed in a way that will likely fail the next alert too (down, timing
// out, rate-limiting).
func (w *worker) deliver(it store.OutboxItem, b *batch) (pauseUntil time.Time) {
	n := it.Notice
	attempt := it.Attempts + 1
	ctx, cancel := context.WithTimeout(w.d.hardCtx, w.spec.Timeout)
	retry, err := w.notifier.Notify(ctx, n)
	cancel()
	now := w.d.opts.Now()
	log := func() *slog.Logger {
		return w.log.With("alert_id", n.ID, "stage", n.Stage, "sla", n.SLAID, "request", n.RequestID, "attempt", attempt)
	}

	if err == nil {
		w.fails = 0
		b.add(store.Outcome{Kind: store.OutcomeDelivered, Item: it, At: now}, func() {
			w.d.metrics.count(w.spec.Name, n.Stage, ResultSuccess)
			if attempt > 1 {
				log().Info("alert delivered after failed attempts")
			} else if w.log.Enabled(context.Background(), slog.LevelDebug) {
				log().Debug("alert delivered")
			}
		})
		return time.Time{}
	}

	if !retry {
		log().Error("receiver rejected the alert; giving up on it", "err", err)
		b.add(store.Outcome{Kind: store.OutcomeGiveUp, Item: it, At: now, Reason: "rejected by the receiver: " + err.Error()}, func() {
			w.d.metrics.count(w.spec.Name, n.Stage, ResultFailed)
		})
		return time.Time{}
	}

	w.fails++
	var wait time.Duration
	var se *StatusError
	if errors.As(err, &se) {
		wait = se.RetryAfter
	}
	created := it.Created
	if created.IsZero() {
		created = n.FiredAt
	}
	giveUpAt := created.Add(w.spec.GiveUpAfter)
	// The receiver rests for its own backoff (failures in a row, of any
	// alert) or its Retry-After, whichever is longer.
	pauseUntil = now.Add(max(w.d.backoff(w.fails), wait))
	if !now.Before(giveUpAt) {
		reason := fmt.Sprintf("undeliverable for %s (%d attempts); last error: %v", sla.FormatDuration(now.Sub(created)), attempt, err)
		log().Error("giving up on an alert the receiver did not take in time", "give_up_after", w.spec.GiveUpAfter, "err", err)
		b.add(store.Outcome{Kind: store.OutcomeGiveUp, Item: it, At: now, Reason: reason}, func() {
			w.d.metrics.count(w.spec.Name, n.Stage, ResultDropped)
		})
		return pauseUntil
	}
	// The last try falls on the give-up time, but never before the
	// receiver's Retry-After: the receiver's rest is cut to it too, or the
	// alert would wait past its give-up time. The alert is tried when the
	// rest ends, if its own backoff ends before: that is the time stored
	// and logged.
	ra := now.Add(wait)
	pauseUntil = latest(earliest(pauseUntil, giveUpAt), ra)
	next := latest(earliest(now.Add(w.d.backoff(attempt)), giveUpAt), pauseUntil)
	b.add(store.Outcome{Kind: store.OutcomeRetry, Item: it, At: now, Next: next, Reason: err.Error()}, func() {
		w.d.metrics.count(w.spec.Name, n.Stage, ResultRetry)
		log().Warn("alert delivery failed; will retry", "retry_in", next.Sub(now).Round(time.Millisecond), "err", err)
	})
	return pauseUntil
}

// repost sends the firing breaches again to a receiver that forgets them,
// and reports whether any may be firing: false only when none was.
func (w *worker) repost(r Reposter) (firing bool) {
	breaches, err := w.d.opts.Outbox.Firing(w.spec.Name)
	if err != nil {
		w.log.Warn("could not read firing breaches to re-post", "err", err)
		return true
	}
	if len(breaches) == 0 {
		return false
	}
	ctx, cancel := context.WithTimeout(w.d.hardCtx, w.spec.Timeout)
	defer cancel()
	if _, err := r.Repost(ctx, breaches); err != nil {
		w.log.Warn("could not re-post firing breaches", "alerts", len(breaches), "err", err)
		return true
	}
	w.log.Debug("re-posted firing breaches", "alerts", len(breaches))
	return true
}
