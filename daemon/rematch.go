package daemon

import (
	"context"
	"fmt"
	"time"

	"github.com/slad-project/slad/config"
)

// Re-matching open requests to a changed configuration runs in the
// background, after slad serves: at a million open requests it takes
// minutes, and until it reaches a request the store re-matches that one on
// demand (an event, a tick, a read; see store/rematch.go). Only a change
// of meaning starts one (config.PolicyFingerprint).

// rematchLogEvery is how often a long re-match logs its progress.
const rematchLogEvery = 10 * time.Second

// rematchRetry is the wait before a failed re-match chunk (a full disk) is
// tried again.
const rematchRetry = 10 * time.Second

// adopt puts cfg's policy in force in the store and, when open requests
// were matched under other rules, has the background pass re-match them.
func (d *Daemon) adopt(cfg *config.Config) error {
	pending, err := d.store.Adopt(cfg.Policy, cfg.Fingerprint)
	if pending {
		select {
		case d.rematchKick <- struct{}{}:
		default: // the pass is already told; it re-reads where to go on
		}
	}
	if err != nil {
		return fmt.Errorf("adopt the configuration: %w", err)
	}
	d.rehold(cfg) // quiet.go: held alerts under the hours now in force
	return nil
}

// startRematch runs the background pass until Stop: it waits for adopt's
// signal and re-matches until no open request is stale. It stops before
// the HTTP server: requests still in flight re-match what they touch on
// demand, and the next start resumes the pass.
func (d *Daemon) startRematch() {
	d.onKick("stop re-matching", d.rematchKick, d.rematch)
}

// onKick runs pass in the background each time kick is told, one pass at
// a time, until Stop, which cancels the pass's context and waits for it
// to return (as the step named stop) before the steps registered earlier,
// such as closing the store.
func (d *Daemon) onKick(stop string, kick <-chan struct{}, pass func(context.Context)) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case <-kick:
				pass(ctx)
			}
		}
	}()
	d.onStop(stop, func(context.Context) error {
		cancel()
		<-done
		return nil
	})
}

// rematch re-matches every stale open request, a chunk at a time, logging
// progress; ctx ends it between chunks (each chunk is committed whole, and
// the next start resumes after the last one).
func (d *Daemon) rematch(ctx context.Context) {
	began := d.store.RematchProgress()
	if !began.Active {
		return // a signal the pass already answered
	}
	start := time.Now()
	logged := start
	if began.Narrowed {
		// An edit of what some SLAs limit or select: the requests it
		// cannot change are read, not folded again
		// (store/rematch_narrow.go).
		d.log.Info("re-matching open requests to the changed configuration in the background, folding again only those the edit may change: with a clock under the SLAs it changed, taken now by one whose selection it changed, or, when it changed the customer reasons, ever paused; until it reaches a request, that request is re-matched when an event, a tick or a read touches it", "slas", len(began.Only), "first", began.Only[:min(len(began.Only), 5)], "customer_reasons", began.Reasons)
	} else {
		d.log.Info("re-matching open requests to the changed configuration in the background; until it reaches a request, that request is re-matched when an event, a tick or a read touches it")
	}
	for {
		if d.opts.rematchHook != nil {
			d.opts.rematchHook(ctx)
		}
		if ctx.Err() != nil {
			st := d.store.RematchProgress()
			d.log.Info("re-matching stopped; the next start resumes it", "done", st.Done, "pending", st.Pending)
			return
		}
		st, err := d.store.RematchStep()
		switch {
		case err != nil:
			d.log.Error("re-matching open requests failed; retrying", "err", err, "retry_in", rematchRetry)
			select {
			case <-ctx.Done():
			case <-time.After(rematchRetry):
			}
		case !st.Active:
			d.log.Info("open requests re-matched to the changed configuration", "requests", st.Done, "took", time.Since(start).Round(time.Millisecond))
			return
		case time.Since(logged) >= rematchLogEvery:
			logged = time.Now()
			d.log.Info("re-matching open requests", "done", st.Done, "pending", st.Pending)
		}
	}
}
