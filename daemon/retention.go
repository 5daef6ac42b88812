package daemon

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// retentionEvery is how often the retention sweep runs after the one at
// start-up. Requests become due for removal one by one as they pass the
// retention period, so an hourly sweep finds few each time.
const retentionEvery = time.Hour

// startRetention runs the retention sweep once now and then every
// retentionEvery, in the background: it removes the requests closed
// longer than global.retention ago (read at each sweep, so a reload
// applies to the next), in the store's small transactions, and counts
// them in slad_retention_removed_total. Stop ends it before the store
// closes.
func (d *Daemon) startRetention() {
	removed := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "slad_retention_removed_total",
		Help: "Requests removed, with their events and alert log, because they closed longer than global.retention ago.",
	})
	d.metrics.reg.MustRegister(removed)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		// After the catch-up tick: what came due while slad was down (a
		// closed request's stops settling) is counted before its request
		// can go. What the tick left in the history lane, the sweep
		// leaves for a later one (Store.RemoveClosed). A stop does not
		// wait for the catch-up here: after a long downtime it may run
		// for minutes.
		caughtUp := make(chan struct{})
		go func() {
			d.catchUp.Wait()
			close(caughtUp)
		}()
		select {
		case <-caughtUp:
		case <-ctx.Done():
			return
		}
		tick := time.NewTicker(retentionEvery)
		defer tick.Stop()
		for {
			d.sweep(ctx, removed)
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	d.onStop("stop retention sweep", func(stopCtx context.Context) error {
		cancel() // a sweep stops between two of its transactions
		select {
		case <-done:
			return nil
		case <-stopCtx.Done():
			// A step before used the deadline up (a long catch-up tick):
			// what a sweep did is committed, and the next start sweeps
			// again.
			return leftover{"the retention sweep had not stopped at the deadline; the next start sweeps again"}
		}
	})
}

// sweep removes what has passed the retention period, once.
func (d *Daemon) sweep(ctx context.Context, removed prometheus.Counter) {
	retention := d.config().Global.Retention
	cutoff := d.opts.Now().Add(-retention)
	began := time.Now()
	n, err := d.store.RemoveClosed(ctx, cutoff)
	removed.Add(float64(n))
	switch {
	case errors.Is(err, context.Canceled):
	case err != nil:
		d.log.Error("retention sweep failed; the next one tries again", "removed", n, "err", err)
	case n > 0:
		d.log.Info("retention sweep removed closed requests", "removed", n, "closed_before", cutoff.UTC(), "retention", retention, "took", time.Since(began))
	default:
		d.log.Debug("retention sweep found nothing to remove", "closed_before", cutoff.UTC())
	}
}
