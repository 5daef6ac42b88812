package daemon

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/slad-project/slad/alert"
	"github.com/slad-project/slad/config"
)

// errStopped refuses a reload once Stop is closing the store.
var errStopped = errors.New("slad is shutting down")

// Reload loads the configuration file again; POST /-/reload and SIGHUP
// both come here. Everything that can fail is done before anything live
// changes: a bad file leaves the running configuration in force and
// returns *config.Errors. A good one is swapped in and open requests are
// re-matched to it, even if ctx ends meanwhile (the HTTP caller hung up),
// so that no request is left under the old rules.
func (d *Daemon) Reload(ctx context.Context) error {
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	if d.closed {
		return errStopped
	}
	cfg, err := d.loadNext()
	if err != nil {
		d.metrics.reloaded(false, d.opts.Now())
		return err
	}
	// Swap: policy first (new events fold with it), then the rest.
	d.store.SetPolicy(cfg.Policy)
	d.cfg.Store(cfg)
	if err := d.alerts.Update(cfg.Receivers, cfg.Global.ExternalURL); err != nil {
		d.log.Error("alert receivers not updated", "err", err)
	}
	if err := d.scheduleEvaluation(cfg.Global.EvaluationSchedule); err != nil {
		d.log.Error("evaluation schedule not updated", "err", err)
	}
	if err := d.rematchIfChanged(context.WithoutCancel(ctx), cfg); err != nil {
		d.log.Error("configuration reloaded, but re-matching open requests failed; the next reload or restart retries", "err", err)
	}
	d.metrics.reloaded(true, d.opts.Now())
	d.log.Info("configuration reloaded", "slas", len(cfg.Policy.SLAs), "receivers", len(cfg.Receivers))
	return nil
}

// loadNext loads the configuration file and checks what config.Load
// leaves to the daemon (the schedule, the receivers), logging every
// problem.
func (d *Daemon) loadNext() (*config.Config, error) {
	cfg, err := config.Load(d.opts.ConfigFile)
	if err != nil {
		var cerr *config.Errors
		if errors.As(err, &cerr) {
			for _, p := range cerr.Problems {
				d.log.Error("configuration not reloaded", "problem", p.String())
			}
		} else {
			d.log.Error("configuration not reloaded", "err", err)
		}
		return nil, err
	}
	if _, err := config.ParseSchedule(cfg.Global.EvaluationSchedule); err != nil {
		d.log.Error("configuration not reloaded", "err", err)
		return nil, err
	}
	if err := alert.CheckReceivers(cfg.Receivers); err != nil {
		d.log.Error("configuration not reloaded: a receiver cannot be built", "err", err)
		return nil, err
	}
	for _, w := range cfg.Warnings {
		d.log.Warn("configuration warning", "problem", w.String())
	}
	return cfg, nil
}

// rematchIfChanged folds open requests again when the configuration
// differs from the one they were matched under — after a reload, or a
// restart with an edited file — and records the one now in force. A crash
// half-way leaves the old fingerprint, so the next start finishes the job.
func (d *Daemon) rematchIfChanged(ctx context.Context, cfg *config.Config) error {
	have, err := d.store.PolicyFingerprint()
	if err != nil {
		return fmt.Errorf("read the configuration fingerprint: %w", err)
	}
	if have == cfg.Fingerprint {
		return nil
	}
	start := time.Now()
	n, err := d.store.Rematch(ctx)
	if err != nil {
		return fmt.Errorf("re-match open requests (%d done): %w", n, err)
	}
	if err := d.store.SetPolicyFingerprint(cfg.Fingerprint); err != nil {
		return fmt.Errorf("record the configuration fingerprint: %w", err)
	}
	if have != "" {
		d.log.Info("open requests re-matched to the changed configuration", "requests", n, "took", time.Since(start))
	}
	return nil
}
