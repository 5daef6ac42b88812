package daemon

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
)

// Start puts the configuration in force in the store, then starts alert
// delivery, the evaluation schedule with one catch-up tick, the HTTP
// server, and, when the configuration's meaning changed while slad was down
// (or a re-match was left unfinished), the background re-match of open
// requests, and, once ready, the background read of the window sums
// (sums.go). It returns once slad serves and reports ready, without
// waiting for the re-match or the sums. Call Stop whatever Start returns.
func (d *Daemon) Start(_ context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case d.stopped:
		return errors.New("daemon: Start after Stop")
	case d.started:
		return errors.New("daemon: Start called twice")
	}
	d.reloadMu.Lock()
	err := d.adopt(d.config())
	d.reloadMu.Unlock()
	if err != nil {
		return err
	}
	d.started = true

	go func() {
		_ = d.alerts.Run(context.Background()) // ends with Stop's Shutdown
		close(d.alertsDone)
	}()
	d.cron.Start()
	// Catch up at once on what came due while slad was down, instead of
	// waiting for the first scheduled tick.
	d.catchUp.Go(d.evaluate)
	d.startRetention() // retention.go: a sweep now, then hourly
	d.serve()
	d.startRematch()
	d.startKeepingSums()

	cfg := d.config()
	if len(cfg.Tokens) == 0 && !d.web.hasUsers() {
		d.log.Warn("no API tokens are configured: anyone who can reach the listener may send events, reload the configuration and download backups; add tokens to the configuration to require them")
	}
	d.ready.Store(true)
	d.kickSums() // sums.go: read them now, before the first scrape
	d.log.Info("slad started", "listen", d.ln.Addr().String(), "config", d.opts.ConfigFile, "version", d.opts.Version,
		"slas", len(cfg.Policy.SLAs), "departments", len(cfg.Policy.Departments), "receivers", len(cfg.Receivers),
		"schedule", cfg.Global.EvaluationSchedule)
	return nil
}

// serve starts the HTTP server on the listener New bound, with the web
// configuration's TLS, headers and rate limit; its basic-auth users are
// checked by the API, per endpoint (see webconfig.go).
func (d *Daemon) serve() {
	serve := func() error { return d.srv.Serve(d.ln) }
	if d.web != nil {
		d.srv.Handler = d.web.handler(d.srv.Handler)
		serve = d.serveWeb
	}
	go func() {
		if err := serve(); !errors.Is(err, http.ErrServerClosed) {
			d.failed <- fmt.Errorf("serve: %w", err)
		}
	}()
	// First to stop: in-flight requests, a reload among them, finish
	// while everything they use still runs.
	d.onStop("stop HTTP server", func(ctx context.Context) error {
		err := d.srv.Shutdown(ctx)
		if err != nil && ctx.Err() != nil {
			// A request cut off now was stored whole or not at all, and its
			// sender, who got no answer, sends it again.
			_ = d.srv.Close() // ends the connections Shutdown left; the deadline says it all
			return leftover{"requests still in flight at the deadline were cut off; their senders send them again"}
		}
		if err != nil {
			return fmt.Errorf("stop HTTP server: %w", err)
		}
		return nil
	})
}

// Addr is the address slad listens on: the port the system chose when
// Options.Listen ends in ":0".
func (d *Daemon) Addr() net.Addr { return d.ln.Addr() }

// Failed receives the error that ended serving before Stop was called (a
// listener or TLS failure), at most once. The daemon goes on without its
// API; the caller should Stop it.
func (d *Daemon) Failed() <-chan error { return d.failed }

// Stop shuts slad down in reverse order of start-up, all of it within
// Options.ShutdownTimeout (or ctx's deadline, if sooner): the HTTP server
// finishes the requests in flight, the evaluation tick running finishes,
// every receiver finishes the send in flight, and the store closes. It
// returns every step's error, joined, except what a step cut short at the
// deadline left safe in the store for the next start (alerts still in the
// outbox): that is logged, and Stop succeeds. Calls after the first return
// the first's result.
func (d *Daemon) Stop(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stopped {
		return d.stopErr
	}
	d.stopped = true
	d.stopping.Store(true)
	d.log.Info("shutting down", "deadline", d.opts.ShutdownTimeout)
	d.ready.Store(false)
	d.stopErr = d.teardown(ctx)
	d.log.Info("slad stopped")
	return d.stopErr
}

// cleanup is one step of the teardown: the undo of one step of New or
// Start. It wraps its own error.
type cleanup struct {
	name string // for the debug log: which step a slow stop hangs on
	stop func(ctx context.Context) error
}

// onStop registers the undo of the step just done; teardown runs them last
// registered first, as defers would.
func (d *Daemon) onStop(name string, stop func(ctx context.Context) error) {
	d.cleanups = append(d.cleanups, cleanup{name, stop})
}

// teardown runs every registered undo, in reverse, under one deadline; a
// failing step does not keep the others from running. What a step left
// for the next start (a leftover) is logged, not returned.
func (d *Daemon) teardown(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, d.opts.ShutdownTimeout)
	defer cancel()
	var errs []error
	for _, c := range slices.Backward(d.cleanups) {
		d.log.Debug("stopping", "step", c.name)
		err := c.stop(ctx)
		if left, ok := errors.AsType[leftover](err); ok {
			d.log.Warn("stopped at the deadline, nothing lost", "step", c.name, "left", left.what)
			continue
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	d.cleanups = nil
	return errors.Join(errs...)
}
