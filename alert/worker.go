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
	for !w.stopped() {
		processed := 0
		if !w.d.opts.Now().Before(pauseUntil) {
			pauseUntil, processed = w.drain()
		}
		if w.stopped() {
			return
		}
		if reposter != nil && !w.d.opts.Now().Before(nextRepost) {
			w.repost(reposter)
			nextRepost = w.d.opts.Now().Add(w.d.opts.RepostInterval)
		}
		timer := time.NewTimer(w.nextWait(pauseUntil, nextRepost, reposter != nil, processed))
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

// drain sends the due alerts, oldest first, until none is due, the worker is
// told to stop, or the receiver fails in a way worth pausing for; then it
// returns when the pause ends (zero for no pause) and how many it sent.
func (w *worker) drain() (pauseUntil time.Time, processed int) {
	for !w.stopped() {
		items, err := w.d.opts.Outbox.DueAlerts(w.spec.Name, w.d.opts.Now(), w.d.opts.BatchSize)
		if err != nil {
			w.log.Error("could not read due alerts", "err", err)
			return w.d.opts.Now().Add(w.d.opts.BaseBackoff), processed
		}
		for _, it := range items {
			if w.stopped() {
				return time.Time{}, processed
			}
			processed++
			if pause := w.deliver(it); !pause.IsZero() {
				return pause, processed
			}
		}
		if len(items) < w.d.opts.BatchSize {
			break
		}
	}
	return time.Time{}, processed
}

// deliver sends one alert and records the outcome in the store. It returns
// a non-zero time when the worker should pause the receiver until then: it
// failed in a way that will likely fail the next alert too (down, timing
// out, rate-limiting), or the store could not record the outcome.
func (w *worker) deliver(it store.OutboxItem) (pauseUntil time.Time) {
	n := it.Notice
	attempt := it.Attempts + 1
	ctx, cancel := context.WithTimeout(w.d.hardCtx, w.spec.Timeout)
	retry, err := w.notifier.Notify(ctx, n)
	cancel()
	now := w.d.opts.Now()
	log := w.log.With("alert_id", n.ID, "stage", n.Stage, "sla", n.SLAID, "request", n.RequestID, "attempt", attempt)
	storeFailed := func(what string, err error) time.Time {
		log.Error("could not record "+what+" in the store", "err", err)
		return now.Add(w.d.opts.BaseBackoff)
	}

	if err == nil {
		w.fails = 0
		if err := w.d.opts.Outbox.Delivered(it, now); err != nil {
			// The receiver has it; the outbox does not know. It will be sent
			// again, which webhook-id lets receivers recognise.
			return storeFailed("a delivery", err)
		}
		w.d.metrics.count(w.spec.Name, n.Stage, ResultSuccess)
		if attempt > 1 {
			log.Info("alert delivered after failed attempts")
		} else {
			log.Debug("alert delivered")
		}
		return time.Time{}
	}

	if !retry {
		log.Error("receiver rejected the alert; giving up on it", "err", err)
		if err := w.d.opts.Outbox.GiveUp(it, "rejected by the receiver: "+err.Error()); err != nil {
			return storeFailed("a give-up", err)
		}
		w.d.metrics.count(w.spec.Name, n.Stage, ResultFailed)
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
	if !now.Before(giveUpAt) {
		reason := fmt.Sprintf("undeliverable for %s (%d attempts); last error: %v", sla.FormatDuration(now.Sub(created)), attempt, err)
		log.Error("giving up on an alert the receiver did not take in time", "give_up_after", w.spec.GiveUpAfter, "err", err)
		if err := w.d.opts.Outbox.GiveUp(it, reason); err != nil {
			return storeFailed("a give-up", err)
		}
		w.d.metrics.count(w.spec.Name, n.Stage, ResultDropped)
	} else {
		// The last try falls on the give-up time, but never before the
		// receiver's Retry-After.
		next := earliest(now.Add(w.d.backoff(attempt)), giveUpAt)
		if ra := now.Add(wait); next.Before(ra) {
			next = ra
		}
		if err := w.d.opts.Outbox.Retry(it, next, err.Error()); err != nil {
			return storeFailed("a failed attempt", err)
		}
		w.d.metrics.count(w.spec.Name, n.Stage, ResultRetry)
		log.Warn("alert delivery failed; will retry", "retry_in", next.Sub(now).Round(time.Millisecond), "err", err)
	}
	return now.Add(max(w.d.backoff(w.fails), wait))
}

// repost sends the firing breaches again to a receiver that forgets them.
func (w *worker) repost(r Reposter) {
	firing, err := w.d.opts.Outbox.Firing(w.spec.Name)
	if err != nil {
		w.log.Warn("could not read firing breaches to re-post", "err", err)
		return
	}
	if len(firing) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(w.d.hardCtx, w.spec.Timeout)
	defer cancel()
	if _, err := r.Repost(ctx, firing); err != nil {
		w.log.Warn("could not re-post firing breaches", "alerts", len(firing), "err", err)
		return
	}
	w.log.Debug("re-posted firing breaches", "alerts", len(firing))
}
