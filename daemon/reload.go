package daemon

import (
	"context"
	"errors"
	"fmt"

	"github.com/slad-project/slad/alert"
	"github.com/slad-project/slad/config"
)

// errStopped refuses a reload once Stop is closing the store.
var errStopped = errors.New("slad is shutting down")

// Reload loads the configuration file again; POST /-/reload and SIGHUP
// both come here. Everything that can fail is done before anything live
// changes: a bad file leaves the running configuration in force and
// returns *config.Errors. A good one is swapped in; when its meaning
// differs, open requests are re-matched to it in the background, each one
// on demand until the pass reaches it (see rematch.go), so no request is
// read, ticked or folded under the old rules whatever the caller does.
func (d *Daemon) Reload(_ context.Context) error {
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
	if err := d.adopt(cfg); err != nil {
		d.log.Error("configuration reloaded, but the re-match of open requests could not be recorded; a restart re-matches them from the start", "err", err)
	}
	d.cfg.Store(cfg)
	d.kickSums() // sums.go: those kept were the old configuration's
	if err := d.alerts.Update(cfg.Receivers, cfg.Global.ExternalURL); err != nil {
		d.log.Error("alert receivers not updated", "err", err)
	}
	if err := d.scheduleEvaluation(cfg.Global.EvaluationSchedule); err != nil {
		d.log.Error("evaluation schedule not updated", "err", err)
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
	if err := checkConfig(cfg); err != nil {
		d.log.Error("configuration not reloaded", "err", err)
		return nil, err
	}
	for _, w := range cfg.Warnings {
		d.log.Warn("configuration warning", "problem", w.String())
	}
	return cfg, nil
}

// checkConfig checks what config.Load leaves to the daemon: the evaluation
// schedule and the receivers. A reload and a plan of one check alike.
func checkConfig(cfg *config.Config) error {
	if _, err := config.ParseSchedule(cfg.Global.EvaluationSchedule); err != nil {
		return err
	}
	if err := alert.CheckReceivers(cfg.Receivers); err != nil {
		return fmt.Errorf("a receiver cannot be built: %w", err)
	}
	return nil
}
