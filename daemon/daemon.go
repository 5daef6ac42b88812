// Package daemon runs slad: it loads the configuration, opens the store,
// serves the HTTP API, evaluates deadlines on a cron schedule and delivers
// alerts.
//
// A Daemon has a life in four calls, as Alertmanager's app package does:
//
//   - New checks the configuration and builds every part (store open,
//     listener bound) without starting anything;
//   - Start puts the configuration in force, then starts alert delivery,
//     the evaluation schedule (with one catch-up tick at once), the HTTP
//     server, the background re-match of open requests (if the
//     configuration's meaning changed while slad was down) and the
//     background read of the window sums (sums.go), in that order;
//   - Reload loads the configuration file again: the one path behind
//     POST /-/reload and the SIGHUP the command forwards;
//   - Stop tears everything down in reverse order of start-up under one
//     deadline: HTTP server, evaluation, alert delivery, store.
//
// Signals are the command's business (cmd/slad), not the daemon's.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/robfig/cron/v3"

	"github.com/slad-project/slad/alert"
	"github.com/slad-project/slad/api"
	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/internal/buildinfo"
	"github.com/slad-project/slad/store"
)

// Defaults of Options, and of the flags of `slad serve`.
const (
	DefaultConfigFile      = "config.yaml"
	DefaultDataDir         = "./data"
	DefaultListen          = "localhost:9780"
	DefaultShutdownTimeout = 15 * time.Second
)

// Options configure New. Zero values take the defaults above.
type Options struct {
	ConfigFile    string // default DefaultConfigFile
	DataDir       string // default DefaultDataDir
	Listen        string // default DefaultListen; tests use 127.0.0.1:0 and Addr
	WebConfigFile string // exporter-toolkit web config: TLS, basic auth
	Logger        *slog.Logger
	// Now is the clock for ingest checks, evaluation and alerts (default
	// time.Now); tests move it by hand.
	Now func() time.Time
	// ShutdownTimeout bounds the whole of Stop (default
	// DefaultShutdownTimeout).
	ShutdownTimeout time.Duration
	// Version, Commit label the build in logs, the User-Agent and
	// slad_build_info (default: what internal/buildinfo resolves).
	Version, Commit string
	// AlertOptions tunes delivery (backoff, repost interval) for tests; the
	// outbox, logger, registerer, clock and version are filled in by New.
	AlertOptions alert.Options

	// rematchHook, for tests, runs before each chunk of the background
	// re-match; ctx ends at Stop.
	rematchHook func(ctx context.Context)
}

func (o *Options) defaults() {
	if o.ConfigFile == "" {
		o.ConfigFile = DefaultConfigFile
	}
	if o.DataDir == "" {
		o.DataDir = DefaultDataDir
	}
	if o.Listen == "" {
		o.Listen = DefaultListen
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = DefaultShutdownTimeout
	}
	o.Version, o.Commit = buildinfo.Resolve(o.Version, o.Commit)
}

// Daemon is one slad. Build it with New, run it with Start, and always
// call Stop.
type Daemon struct {
	opts    Options
	log     *slog.Logger
	cfg     atomic.Pointer[config.Config]
	store   *store.Store
	alerts  *alert.Dispatcher
	metrics *metrics
	api     *api.Server // digests are computed by it (digest.go)
	notes   notifyState // held alerts and digests (quiet.go, digest.go)
	ready   atomic.Bool

	// reloadMu lets one reload run at a time; closed, set under it by
	// Stop before the store closes, refuses reloads from then on.
	reloadMu sync.Mutex
	closed   bool

	cron     *cron.Cron
	cronID   cron.EntryID
	schedule string
	catchUp  sync.WaitGroup // the evaluation Start runs at once
	// ticking is held by the evaluation tick that runs (evaluate.go);
	// stopping is set when Stop begins, for a tick that waited for it.
	ticking  sync.Mutex
	stopping atomic.Bool
	// historyLeft says the last tick left imported history to settle or
	// announce for the next (store.EvalResult.HistoryLeft).
	historyLeft atomic.Bool
	// sumsQuarter is the quarter hour of the last tick (sums.go).
	sumsQuarter atomic.Int64

	ln         net.Listener
	web        *webConfig // nil without --web.config.file
	srv        *http.Server
	failed     chan error    // a serving error, see Failed
	alertsDone chan struct{} // closed when alert delivery's Run returns
	// rematchKick tells the background re-match that Adopt left open
	// requests stale (rematch.go); buffered, so telling never waits.
	rematchKick chan struct{}
	// sumsKick tells the background pass to read the window sums not
	// kept (sums.go); buffered, so telling never waits.
	sumsKick chan struct{}

	// mu serialises Start and Stop and guards what follows.
	mu       sync.Mutex
	started  bool
	stopped  bool
	stopErr  error
	cleanups []cleanup
}

// New checks the configuration and builds slad: it opens the store and
// binds the listener, but starts nothing. A bad configuration is returned
// as a *config.Errors. If New fails, whatever it had built is closed again.
func New(opts Options) (*Daemon, error) {
	opts.defaults()
	d := &Daemon{opts: opts, log: opts.Logger, failed: make(chan error, 1), alertsDone: make(chan struct{}), rematchKick: make(chan struct{}, 1), sumsKick: make(chan struct{}, 1)}
	if err := d.setup(); err != nil {
		if terr := d.teardown(context.Background()); terr != nil {
			err = errors.Join(err, terr)
		}
		return nil, err
	}
	return d, nil
}

// setup builds the parts in the order Start runs them; each registers its
// undo with onStop.
func (d *Daemon) setup() error {
	cfg, err := loadConfig(d.opts.ConfigFile)
	if err != nil {
		return err
	}
	for _, w := range cfg.Warnings {
		d.log.Warn("configuration warning", "problem", w.String())
	}
	d.cfg.Store(cfg)
	if f := d.opts.WebConfigFile; f != "" {
		wc, err := openWebConfig(f, d.log.With("component", "web"))
		if err != nil {
			return fmt.Errorf("web config %s: %w", f, err)
		}
		d.web = wc
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	d.metrics = newMetrics(reg, d.opts.Version, d.opts.Commit)
	if err := d.openStore(cfg); err != nil {
		return err
	}
	if err := d.newAlerts(cfg, reg); err != nil {
		return err
	}
	// Served by the API's own writer, not gathered through reg: see
	// api.Options.Metrics.
	figures := api.NewCollector(d.store, d.config, d.opts.Now, d.log.With("component", "metrics"))
	d.metrics.reloaded(true, d.opts.Now())
	if err := d.newCron(cfg.Global.EvaluationSchedule); err != nil {
		return err
	}
	return d.newServer(reg, figures)
}

// loadConfig is config.Load with a sentence for the commonest mistake.
func loadConfig(file string) (*config.Config, error) {
	cfg, err := config.Load(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("the configuration file %s does not exist: give its path with --config (to try slad, --config config.example.yaml)", file)
	}
	return cfg, err
}

func (d *Daemon) openStore(cfg *config.Config) error {
	st, err := store.Open(store.Options{Dir: d.opts.DataDir, Logger: d.log.With("component", "store"), Now: d.opts.Now, Policy: cfg.Policy, Observer: newCommitMetrics(d.metrics.reg)})
	if err != nil {
		return err
	}
	d.store = st
	d.log.Info("store open", "path", st.Path())
	d.metrics.watchCommits(st)
	d.metrics.watchRematch(st)
	d.onStop("close store", func(context.Context) error {
		if err := st.Close(); err != nil {
			return fmt.Errorf("close store: %w", err)
		}
		return nil
	})
	// Runs before the store closes: a reload running now finishes first,
	// and none starts after.
	d.onStop("refuse reloads", func(context.Context) error {
		d.reloadMu.Lock()
		defer d.reloadMu.Unlock()
		d.closed = true
		return nil
	})
	return nil
}

func (d *Daemon) newAlerts(cfg *config.Config, reg prometheus.Registerer) error {
	ao := d.opts.AlertOptions
	ao.Outbox, ao.Logger, ao.Registerer, ao.Now, ao.Version = d.store, d.log.With("component", "alert"), reg, d.opts.Now, d.opts.Version
	disp, err := alert.NewDispatcher(ao)
	if err != nil {
		return err
	}
	d.alerts = disp
	// Shutdown lets every receiver finish the send in flight; whatever is
	// left stays in the outbox for the next start.
	d.onStop("stop alert delivery", func(ctx context.Context) error {
		err := disp.Shutdown(ctx)
		if d.started {
			<-d.alertsDone
		}
		if err != nil && ctx.Err() != nil {
			return d.alertsLeft()
		}
		return err
	})
	if err := disp.Update(cfg.Receivers, cfg.Global.ExternalURL); err != nil {
		return fmt.Errorf("start alert delivery: %w", err)
	}
	return nil
}

func (d *Daemon) newServer(reg *prometheus.Registry, figures *api.Collector) error {
	handler, err := api.New(api.Options{
		Logger: d.log.With("component", "api"), Store: d.store, Config: d.config,
		Reload: d.Reload, Plan: d.Plan, Ready: d.readiness, Gatherer: reg, Registerer: reg, Metrics: figures, Now: d.opts.Now,
		Users: d.apiUsers(),
	})
	if err != nil {
		return err
	}
	d.api = handler
	ln, err := net.Listen("tcp", d.opts.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", d.opts.Listen, err)
	}
	d.ln = ln
	// Once serving, the HTTP server's Shutdown has closed it already.
	d.onStop("close listener", func(context.Context) error {
		if err := ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			return fmt.Errorf("close listener: %w", err)
		}
		return nil
	})
	d.srv = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(d.log.Handler(), slog.LevelWarn),
	}
	return nil
}

func (d *Daemon) config() *config.Config { return d.cfg.Load() }
