package alert

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/slad-project/slad/config"
)

// Errors of the Dispatcher's life cycle.
var (
	// ErrStopped is returned by Run and Update once the dispatcher has been
	// stopped; a dispatcher is not restarted, a new one is made.
	ErrStopped = errors.New("alert dispatcher stopped")
	// ErrRunning is returned by a second call of Run.
	ErrRunning = errors.New("alert dispatcher already running")
)

type state int

const (
	idle state = iota
	running
	stopping
	stopped
)

// Dispatcher delivers the outbox: one worker goroutine per receiver, so that
// a receiver that is down or slow delays no other. Update sets the
// receivers (before or while running), Run runs until its context ends, and
// Shutdown stops it under a deadline.
type Dispatcher struct {
	opts    Options
	log     *slog.Logger
	metrics *metrics
	client  *http.Client

	// hardCtx is the parent of every send; cancelled only when a shutdown
	// deadline passes, to abandon sends in flight.
	hardCtx    context.Context
	hardCancel context.CancelFunc

	updateMu sync.Mutex // one Update at a time

	mu    sync.Mutex
	state state
	ran   bool
	// configured: Update has succeeded once. Until then no receiver is
	// known, and no pending alert may be taken for an orphan.
	configured bool
	specs      map[string]config.Receiver
	notifiers  map[string]Notifier
	external   string
	workers    map[string]*worker
	// lanes holds, per receiver name, the done channel of the last task
	// (worker or drop) started for it: a new task waits for the previous
	// one, so no two ever send for the same receiver at once.
	lanes map[string]<-chan struct{}
	quit  chan struct{}

	wg       sync.WaitGroup
	done     chan struct{}
	doneOnce sync.Once
}

// NewDispatcher validates the options and registers the metrics. It starts
// nothing: call Update with the receivers, then Run.
func NewDispatcher(opts Options) (*Dispatcher, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, err
	}
	hardCtx, hardCancel := context.WithCancel(context.Background())
	return &Dispatcher{
		opts:       opts,
		log:        opts.Logger,
		metrics:    m,
		client:     NewHTTPClient(opts.Transport),
		hardCtx:    hardCtx,
		hardCancel: hardCancel,
		specs:      map[string]config.Receiver{},
		notifiers:  map[string]Notifier{},
		workers:    map[string]*worker{},
		lanes:      map[string]<-chan struct{}{},
		quit:       make(chan struct{}),
		done:       make(chan struct{}),
	}, nil
}

func (d *Dispatcher) notifierOptions(externalURL string) NotifierOptions {
	return NotifierOptions{
		ExternalURL:    externalURL,
		Version:        d.opts.Version,
		Client:         d.client,
		Logger:         d.log,
		Now:            d.opts.Now,
		RepostInterval: d.opts.RepostInterval,
	}
}

// withDefaults fills in what the configuration left at zero; the map key is
// the receiver's name.
func withDefaults(name string, r *config.Receiver) config.Receiver {
	spec := *r
	spec.Name = name
	setDefault(&spec.Timeout, config.DefaultReceiverTimeout)
	setDefault(&spec.GiveUpAfter, config.DefaultGiveUpAfter)
	return spec
}

// CheckReceivers reports what in the receivers would make Update fail,
// without changing anything, so that a reload can check every step before
// it touches live state.
func CheckReceivers(receivers map[string]*config.Receiver) error {
	_, _, err := buildNotifiers(receivers, NotifierOptions{}, nil)
	return err
}

// buildNotifiers builds a notifier for each receiver, with the defaults
// filled in, and returns them with the settings they were built from, by
// name. keep, when not nil, may hand back a notifier already built from
// the same settings. Every failure is reported, in the order of the names.
func buildNotifiers(receivers map[string]*config.Receiver, o NotifierOptions, keep func(name string, spec config.Receiver) (Notifier, bool)) (map[string]config.Receiver, map[string]Notifier, error) {
	specs := make(map[string]config.Receiver, len(receivers))
	built := make(map[string]Notifier, len(receivers))
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(receivers)) {
		r := receivers[name]
		if r == nil {
			errs = append(errs, fmt.Errorf("receiver %q: no settings", name))
			continue
		}
		spec := withDefaults(name, r)
		specs[name] = spec
		if keep != nil {
			if n, ok := keep(name, spec); ok {
				built[name] = n
				continue
			}
		}
		n, err := NewNotifier(&spec, o)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		built[name] = n
	}
	if len(errs) > 0 {
		return nil, nil, fmt.Errorf("alert receivers: %w", errors.Join(errs...))
	}
	return specs, built, nil
}

// Update sets the receivers and the external URL used in links. Every
// notifier is built first; if any fails, Update returns the errors and
// changes nothing. Then: new receivers start; a receiver whose settings (or
// the external URL) changed restarts with them, pending alerts included,
// once its current send is over; a removed receiver stops and its pending
// alerts are dropped from the outbox. Alerts pending for receivers that are
// not configured at all (removed while slad was down) are dropped too.
func (d *Dispatcher) Update(receivers map[string]*config.Receiver, externalURL string) error {
	d.updateMu.Lock()
	defer d.updateMu.Unlock()
	externalURL = strings.TrimRight(externalURL, "/")

	d.mu.Lock()
	oldSpecs, oldNotifiers, oldExternal := d.specs, d.notifiers, d.external
	d.mu.Unlock()

	// A receiver whose settings did not change keeps its notifier.
	unchanged := func(name string, spec config.Receiver) (Notifier, bool) {
		old, ok := oldSpecs[name]
		return oldNotifiers[name], ok && old == spec && oldExternal == externalURL
	}
	specs, built, err := buildNotifiers(receivers, d.notifierOptions(externalURL), unchanged)
	if err != nil {
		return err
	}

	d.mu.Lock()
	if d.state >= stopping {
		d.mu.Unlock()
		return ErrStopped
	}
	for _, name := range slices.Sorted(maps.Keys(d.specs)) {
		if _, ok := specs[name]; ok {
			continue
		}
		d.log.Info("alert receiver removed; dropping its pending alerts", "receiver", name)
		if w := d.workers[name]; w != nil {
			w.halt()
			delete(d.workers, name)
		}
		d.metrics.forget(name)
		d.dropLocked(name)
	}
	for _, name := range slices.Sorted(maps.Keys(specs)) {
		old, had := d.specs[name]
		if had && old == specs[name] && d.external == externalURL {
			continue
		}
		d.metrics.init(name, specs[name].Type != config.ReceiverAlertmanager)
		if d.state != running {
			continue
		}
		if w := d.workers[name]; w != nil {
			d.log.Info("alert receiver changed; restarting its delivery", "receiver", name)
			w.halt()
			delete(d.workers, name)
		} else {
			d.log.Info("alert receiver added", "receiver", name, "type", specs[name].Type)
		}
		d.startLocked(specs[name], built[name])
	}
	d.specs, d.notifiers, d.external = specs, built, externalURL
	d.configured = true
	isRunning := d.state == running
	d.mu.Unlock()

	if isRunning {
		d.dropOrphans()
	}
	return nil
}

// startLocked starts a worker in the receiver's lane.
func (d *Dispatcher) startLocked(spec config.Receiver, n Notifier) {
	w := newWorker(d, spec, n, d.lanes[spec.Name])
	d.workers[spec.Name] = w
	d.lanes[spec.Name] = w.done
	d.wg.Go(w.run)
}

// dropLocked removes a receiver's pending alerts once the last task in its
// lane is over, so that a send in flight is recorded before the drop.
func (d *Dispatcher) dropLocked(name string) {
	prev := d.lanes[name]
	done := make(chan struct{})
	d.lanes[name] = done
	d.wg.Go(func() {
		defer close(done)
		if prev != nil {
			<-prev
		}
		d.mu.Lock()
		if _, ok := d.specs[name]; !ok {
			// The last send may have counted after Update forgot the series.
			d.metrics.forget(name)
		}
		d.mu.Unlock()
		n, err := d.opts.Outbox.DropReceiver(name)
		if err != nil {
			d.log.Error("could not drop the pending alerts of a removed receiver", "receiver", name, "err", err)
			return
		}
		if n > 0 {
			d.log.Warn("dropped the pending alerts of a removed receiver", "receiver", name, "alerts", n)
		}
	})
}

// dropOrphans drops the alerts pending for receivers that are not
// configured and have no task running.
func (d *Dispatcher) dropOrphans() {
	pending, err := d.opts.Outbox.PendingAlerts()
	if err != nil {
		d.log.Warn("could not list pending alerts", "err", err)
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.state != running || !d.configured {
		return
	}
	for _, name := range slices.Sorted(maps.Keys(pending)) {
		if _, ok := d.specs[name]; ok || pending[name] == 0 || busy(d.lanes[name]) {
			continue
		}
		d.log.Warn("alerts are pending for a receiver that is not configured; dropping them", "receiver", name, "alerts", pending[name])
		d.dropLocked(name)
	}
}

func busy(done <-chan struct{}) bool {
	if done == nil {
		return false
	}
	select {
	case <-done:
		return false
	default:
		return true
	}
}

// Run starts a worker per receiver and delivers until ctx ends or Shutdown
// is called; then every worker finishes the send it has in flight (bounded
// by the receiver's timeout, or cut short by Shutdown's deadline) and Run
// returns. Nothing is marked delivered that the receiver did not answer
// with 2xx: what is left stays in the outbox for the next start.
func (d *Dispatcher) Run(ctx context.Context) error {
	d.mu.Lock()
	switch d.state {
	case running:
		d.mu.Unlock()
		return ErrRunning
	case stopping, stopped:
		d.mu.Unlock()
		return ErrStopped
	}
	d.state, d.ran = running, true
	for _, name := range slices.Sorted(maps.Keys(d.specs)) {
		d.startLocked(d.specs[name], d.notifiers[name])
	}
	d.wg.Go(d.fanOut)
	n := len(d.specs)
	d.mu.Unlock()

	d.log.Info("alert delivery started", "receivers", n)
	d.dropOrphans()
	select {
	case <-ctx.Done():
	case <-d.quit:
	}
	d.beginStop()
	d.wg.Wait()
	d.finish()
	d.log.Info("alert delivery stopped")
	return nil
}

// Shutdown stops delivery and waits for the workers: each finishes its send
// in flight. If ctx ends first, sends in flight are abandoned (and retried
// after the next start) and Shutdown returns ctx's error once the workers
// are gone.
func (d *Dispatcher) Shutdown(ctx context.Context) error {
	if !d.beginStop() {
		// Run never started (or never will): nobody else waits.
		go func() {
			d.wg.Wait()
			d.finish()
		}()
	}
	select {
	case <-d.done:
		return nil
	case <-ctx.Done():
		d.hardCancel()
		<-d.done
		return fmt.Errorf("stop alert delivery: %w", ctx.Err())
	}
}

// beginStop tells every worker to stop after its current send; it reports
// whether Run has been started, and so will wait for them.
func (d *Dispatcher) beginStop() (ran bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.state == idle || d.state == running {
		d.state = stopping
		close(d.quit)
		for _, w := range d.workers {
			w.halt()
		}
	}
	return d.ran
}

func (d *Dispatcher) finish() {
	d.doneOnce.Do(func() {
		d.hardCancel()
		d.client.CloseIdleConnections()
		d.mu.Lock()
		d.state = stopped
		d.mu.Unlock()
		close(d.done)
	})
}

// fanOut passes the store's one "outbox changed" signal on to every worker.
func (d *Dispatcher) fanOut() {
	var closed <-chan struct{}
	for {
		ch := d.opts.Outbox.OutboxChanged()
		if ch == nil || ch == closed {
			// No signal to wait for: workers fall back to polling.
			<-d.quit
			return
		}
		select {
		case <-d.quit:
			return
		case _, ok := <-ch:
			d.mu.Lock()
			for _, w := range d.workers {
				w.poke()
			}
			d.mu.Unlock()
			if !ok {
				closed = ch
			}
		}
	}
}
