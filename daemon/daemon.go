// Package daemon runs slad: it loads the configuration, opens the store,
// serves the HTTP API, evaluates deadlines on a cron schedule, delivers
// alerts, reloads on SIGHUP and POST /-/reload, and shuts all of it down in
// reverse order under one deadline.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/exporter-toolkit/web"
	"github.com/robfig/cron/v3"

	"github.com/slad-project/slad/alert"
	"github.com/slad-project/slad/api"
	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/store"
)

// Options configure Run. Zero values take the defaults of DESIGN.md.
type Options struct {
	ConfigFile    string // default config.yaml
	DataDir       string // default ./data
	Listen        string // default localhost:9780
	WebConfigFile string // exporter-toolkit web config: TLS, basic auth
	Logger        *slog.Logger
	// Now is the clock for ingest checks, evaluation and alerts (default
	// time.Now); tests move it by hand.
	Now func() time.Time
	// ShutdownTimeout bounds the whole shutdown (default 15s).
	ShutdownTimeout time.Duration
	// Listening, when set, is called with the bound address once the API
	// accepts connections (tests listen on 127.0.0.1:0).
	Listening func(addr net.Addr)
	// Version, Commit label the build in logs, the User-Agent and
	// slad_build_info.
	Version, Commit string
	// AlertOptions tunes delivery (backoff, repost interval) for tests; the
	// outbox, logger, registerer, clock and version are filled in by Run.
	AlertOptions alert.Options
}

func (o *Options) defaults() {
	if o.ConfigFile == "" {
		o.ConfigFile = "config.yaml"
	}
	if o.DataDir == "" {
		o.DataDir = "data"
	}
	if o.Listen == "" {
		o.Listen = "localhost:9780"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = 15 * time.Second
	}
	if o.Version == "" {
		o.Version = "dev"
	}
}

// daemon is one running slad.
type daemon struct {
	opts    Options
	log     *slog.Logger
	cfg     atomic.Pointer[config.Config]
	store   *store.Store
	alerts  *alert.Dispatcher
	metrics *metrics
	ready   atomic.Bool

	reloadMu sync.Mutex // one reload at a time
	cron     *cron.Cron
	cronID   cron.EntryID
	schedule string
}

// Run runs slad until ctx is done, then shuts down gracefully. A bad
// configuration is returned as a *config.Errors before anything starts.
func Run(ctx context.Context, opts Options) (err error) {
	opts.defaults()
	log := opts.Logger
	// Catch SIGHUP before anything starts: its default action ends the
	// process, and a reload may be sent as soon as slad says it is up.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	cfg, err := config.Load(opts.ConfigFile)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("the configuration file %s does not exist: give its path with --config (to try slad, --config config.example.yaml)", opts.ConfigFile)
	}
	if err != nil {
		return err
	}
	for _, w := range cfg.Warnings {
		log.Warn("configuration warning", "problem", w.String())
	}
	d := &daemon{opts: opts, log: log}
	d.cfg.Store(cfg)

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	d.metrics = newMetrics(reg, opts.Version, opts.Commit)

	d.store, err = store.Open(store.Options{Dir: opts.DataDir, Logger: log.With("component", "store"), Now: opts.Now, Policy: cfg.Policy})
	if err != nil {
		return err
	}
	log.Info("store open", "path", d.store.Path())
	if err := d.rematchIfChanged(ctx, cfg); err != nil {
		d.store.Close()
		return err
	}
	// From here on, every step has its undo in shutdown, in reverse order.
	defer func() {
		if cerr := d.store.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("close store: %w", cerr))
		}
	}()

	ao := opts.AlertOptions
	ao.Outbox, ao.Logger, ao.Registerer, ao.Now, ao.Version = d.store, log.With("component", "alert"), reg, opts.Now, opts.Version
	if d.alerts, err = alert.NewDispatcher(ao); err != nil {
		return err
	}
	if err := d.alerts.Update(cfg.Receivers, cfg.Global.ExternalURL); err != nil {
		return fmt.Errorf("start alert delivery: %w", err)
	}
	reg.MustRegister(api.NewCollector(d.store, d.config, opts.Now, log.With("component", "metrics")))
	d.metrics.reloaded(true, opts.Now())

	handler, err := api.New(api.Options{
		Logger: log.With("component", "api"), Store: d.store, Config: d.config,
		Reload: d.reload, Ready: d.ready.Load, Gatherer: reg, Registerer: reg, Now: opts.Now,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", opts.Listen, err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if opts.WebConfigFile != "" {
		if err := web.Validate(opts.WebConfigFile); err != nil {
			ln.Close()
			return fmt.Errorf("web config %s: %w", opts.WebConfigFile, err)
		}
	}
	systemd := false
	serveErr := make(chan error, 1)
	go func() {
		serveErr <- web.Serve(ln, srv, &web.FlagConfig{
			WebListenAddresses: &[]string{opts.Listen}, WebSystemdSocket: &systemd, WebConfigFile: &opts.WebConfigFile,
		}, log.With("component", "web"))
	}()

	alertsDone := make(chan error, 1)
	go func() { alertsDone <- d.alerts.Run(context.Background()) }()

	d.cron = cron.New(cron.WithLocation(time.UTC), cron.WithLogger(cronLogger{log.With("component", "cron")}),
		cron.WithChain(cron.Recover(cronLogger{log}), cron.SkipIfStillRunning(cronLogger{log})))
	if err := d.scheduleEvaluation(cfg.Global.EvaluationSchedule); err != nil {
		ln.Close()
		return err
	}
	d.cron.Start()
	// Catch up at once on what came due while slad was down, instead of
	// waiting for the first scheduled tick.
	var catchUp sync.WaitGroup
	catchUp.Go(d.evaluate)

	if len(cfg.Tokens) == 0 {
		log.Warn("no API tokens are configured: anyone who can reach the listener may send events, reload the configuration and download backups; add tokens to the configuration to require them")
	}
	d.ready.Store(true)
	log.Info("slad started", "listen", ln.Addr().String(), "config", opts.ConfigFile, "version", opts.Version,
		"slas", len(cfg.Policy.SLAs), "departments", len(cfg.Policy.Departments), "receivers", len(cfg.Receivers),
		"schedule", cfg.Global.EvaluationSchedule)
	if opts.Listening != nil {
		opts.Listening(ln.Addr())
	}

	var runErr error
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-hup:
			log.Info("SIGHUP received: reloading the configuration")
			_ = d.reload(context.Background())
		case err := <-serveErr:
			if !errors.Is(err, http.ErrServerClosed) {
				runErr = fmt.Errorf("serve: %w", err)
			}
			break loop
		}
	}

	// Shutdown: reverse order of start, one deadline for all of it.
	log.Info("shutting down", "deadline", opts.ShutdownTimeout)
	d.ready.Store(false)
	sctx, cancel := context.WithTimeout(context.Background(), opts.ShutdownTimeout)
	defer cancel()
	var errs []error
	if err := srv.Shutdown(sctx); err != nil {
		errs = append(errs, fmt.Errorf("stop HTTP server: %w", err))
	}
	ticksDone := make(chan struct{})
	go func() {
		<-d.cron.Stop().Done()
		catchUp.Wait()
		close(ticksDone)
	}()
	select {
	case <-ticksDone:
	case <-sctx.Done():
		errs = append(errs, errors.New("stop evaluation: a tick was still running at the deadline"))
	}
	if err := d.alerts.Shutdown(sctx); err != nil {
		errs = append(errs, err)
	}
	<-alertsDone
	if runErr != nil {
		errs = append([]error{runErr}, errs...)
	}
	err = errors.Join(errs...)
	log.Info("slad stopped")
	return err
}

func (d *daemon) config() *config.Config { return d.cfg.Load() }

// scheduleEvaluation (re)schedules the evaluation tick.
func (d *daemon) scheduleEvaluation(spec string) error {
	if spec == d.schedule && d.cronID != 0 {
		return nil
	}
	sched, err := config.ParseSchedule(spec)
	if err != nil {
		return fmt.Errorf("evaluation schedule %q: %w", spec, err)
	}
	id := d.cron.Schedule(sched, cron.FuncJob(d.evaluate))
	if d.cronID != 0 {
		d.cron.Remove(d.cronID)
	}
	d.cronID, d.schedule = id, spec
	return nil
}

// evaluate is one tick: fire every stage that has come due.
func (d *daemon) evaluate() {
	start := time.Now()
	now := d.opts.Now()
	res, err := d.store.Evaluate(now)
	d.metrics.evalDuration.Observe(time.Since(start).Seconds())
	if err != nil {
		d.log.Error("evaluation failed", "err", err)
		return
	}
	d.metrics.evalLastSuccess.Set(float64(now.UnixNano()) / 1e9)
	if res.Fired > 0 || res.Skipped > 0 {
		d.log.Info("evaluation fired alerts", "requests", res.Requests, "fired", res.Fired, "skipped_stale", res.Skipped, "queued", res.Queued)
	}
}

// reload loads the configuration file again. Everything that can fail is
// done before anything live changes; a bad file leaves the running
// configuration in force and returns *config.Errors.
func (d *daemon) reload(ctx context.Context) error {
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	cfg, err := config.Load(d.opts.ConfigFile)
	if err != nil {
		d.metrics.reloaded(false, d.opts.Now())
		var cerr *config.Errors
		if errors.As(err, &cerr) {
			for _, p := range cerr.Problems {
				d.log.Error("configuration not reloaded", "problem", p.String())
			}
		} else {
			d.log.Error("configuration not reloaded", "err", err)
		}
		return err
	}
	if _, err := config.ParseSchedule(cfg.Global.EvaluationSchedule); err != nil {
		d.metrics.reloaded(false, d.opts.Now())
		d.log.Error("configuration not reloaded", "err", err)
		return err
	}
	if err := alert.CheckReceivers(cfg.Receivers); err != nil {
		d.metrics.reloaded(false, d.opts.Now())
		d.log.Error("configuration not reloaded: a receiver cannot be built", "err", err)
		return err
	}
	for _, w := range cfg.Warnings {
		d.log.Warn("configuration warning", "problem", w.String())
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
	// The caller of POST /-/reload may hang up; the new rules must still
	// reach every open request.
	if err := d.rematchIfChanged(context.WithoutCancel(ctx), cfg); err != nil {
		d.log.Error("configuration reloaded, but re-matching open requests failed; the next reload or restart retries", "err", err)
	}
	d.metrics.reloaded(true, d.opts.Now())
	d.log.Info("configuration reloaded", "slas", len(cfg.Policy.SLAs), "receivers", len(cfg.Receivers))
	return nil
}

// rematchIfChanged folds open requests again when the configuration
// differs from the one they were matched under — after a reload, or a
// restart with an edited file — and records the one now in force. A crash
// half-way leaves the old fingerprint, so the next start finishes the job.
func (d *daemon) rematchIfChanged(ctx context.Context, cfg *config.Config) error {
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

// cronLogger adapts slog to cron.Logger.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug(msg, kv...) }

func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error(msg, append([]any{"err", err}, kv...)...)
}
