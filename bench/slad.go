package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slad-project/slad/daemon"
)

// clock is the daemon's clock: fixed, moved by hand.
type clock struct{ ns atomic.Int64 }

func newClock(t time.Time) *clock {
	c := &clock{}
	c.set(t)
	return c
}

func (c *clock) set(t time.Time)     { c.ns.Store(t.UnixNano()) }
func (c *clock) now() time.Time      { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) add(d time.Duration) { c.ns.Add(int64(d)) }

// logSink is the daemon's log: it counts the alerts the log receivers
// write (a drain is over when all have been; warnings and other stages
// below a breach are written at INFO) and keeps the errors, which would
// otherwise go unseen.
type logSink struct {
	alerts atomic.Int64
	mu     sync.Mutex
	errs   []string
	// rematched is the re-match the daemon logged as done: how many
	// requests it folded again, in what time (zero until then).
	rematched struct {
		requests int64
		took     time.Duration
	}
}

var _ slog.Handler = (*logSink)(nil)

func (h *logSink) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }

func (h *logSink) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "SLA alert" {
		h.alerts.Add(1)
		return nil
	}
	if r.Message == rematchedMessage {
		h.mu.Lock()
		r.Attrs(func(a slog.Attr) bool {
			switch a.Key {
			case "requests":
				h.rematched.requests = a.Value.Int64()
			case "took":
				h.rematched.took = a.Value.Duration()
			}
			return true
		})
		h.mu.Unlock()
		return nil
	}
	if r.Level >= slog.LevelError {
		var b strings.Builder
		b.WriteString(r.Message)
		r.Attrs(func(a slog.Attr) bool {
			fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
			return true
		})
		h.mu.Lock()
		if len(h.errs) < 10 {
			h.errs = append(h.errs, b.String())
		}
		h.mu.Unlock()
	}
	return nil
}

// rematchedMessage is what the daemon logs when a background re-match is
// done (daemon/rematch.go).
const rematchedMessage = "open requests re-matched to the changed configuration"

// rematchDone returns the requests the re-match folded again and the time
// it took, once the daemon logged it done; ok is false until then.
func (h *logSink) rematchDone() (requests int64, took time.Duration, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.rematched.requests, h.rematched.took, h.rematched.took > 0
}

func (h *logSink) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *logSink) WithGroup(string) slog.Handler      { return h }

// errors returns the errors slad logged, as one error, or nil.
func (h *logSink) err() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.errs) == 0 {
		return nil
	}
	return fmt.Errorf("slad logged errors: %s", strings.Join(h.errs, "; "))
}

// instance is one running slad.
type instance struct {
	d    *daemon.Daemon
	base string
	log  *logSink
}

// startSlad builds and starts slad on dir with the configuration file and
// the clock, and returns once /readyz answers 200, with the time that took
// from New on.
func startSlad(ctx context.Context, dir, cfgFile string, clk *clock, sink *logSink) (*instance, time.Duration, error) {
	begin := time.Now()
	d, err := daemon.New(daemon.Options{
		ConfigFile: cfgFile, DataDir: dir, Listen: "127.0.0.1:0",
		Logger: slog.New(sink), Now: clk.now, ShutdownTimeout: time.Minute,
	})
	if err != nil {
		return nil, 0, fmt.Errorf("start slad: %w", err)
	}
	in := &instance{d: d, base: "http://" + d.Addr().String(), log: sink}
	if err := d.Start(ctx); err != nil {
		return nil, 0, errors.Join(fmt.Errorf("start slad: %w", err), d.Stop(context.Background()))
	}
	if err := waitReady(ctx, in.base); err != nil {
		return nil, 0, errors.Join(err, in.stop())
	}
	return in, time.Since(begin), nil
}

// waitReady polls /readyz until it answers 200: whatever slad still does
// after Start returns (re-matching after the port opens, say) is part of
// its start-up.
func waitReady(ctx context.Context, base string) error {
	hc := &http.Client{Timeout: 10 * time.Second}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/readyz", nil)
		if err != nil {
			return err
		}
		resp, err := hc.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// stop stops slad and reports what it logged as errors.
func (in *instance) stop() error {
	return errors.Join(in.d.Stop(context.Background()), in.log.err())
}
