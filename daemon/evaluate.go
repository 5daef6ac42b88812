package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/store"
)

// newCron builds the evaluation schedule; Start starts it.
func (d *Daemon) newCron(spec string) error {
	log := d.log.With("component", "cron")
	d.cron = cron.New(cron.WithLocation(time.UTC), cron.WithLogger(cronLogger{log}),
		cron.WithChain(cron.Recover(cronLogger{log}), cron.SkipIfStillRunning(cronLogger{log})))
	if err := d.scheduleEvaluation(spec); err != nil {
		return err
	}
	// cron's Stop is done when the running tick is; the catch-up tick of
	// Start is waited for too.
	d.onStop("stop evaluation", func(ctx context.Context) error {
		ticksDone := make(chan struct{})
		go func() {
			<-d.cron.Stop().Done()
			d.catchUp.Wait()
			close(ticksDone)
		}()
		select {
		case <-ticksDone:
			return nil
		case <-ctx.Done():
			// Closing the store waits for the tick's transaction.
			return leftover{"an evaluation tick was still running at the deadline; the database closes once it has committed"}
		}
	})
	return nil
}

// scheduleEvaluation (re)schedules the evaluation tick.
func (d *Daemon) scheduleEvaluation(spec string) error {
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

// evaluate is one tick: fire every stage that has come due. While commits
// fail (a full disk) it first tries a small one, so that readiness
// recovers as soon as space is freed, even when nothing is due.
//
// Ticks run one at a time. cron's SkipIfStillRunning holds back only
// cron's own ticks of one schedule: not the catch-up tick of Start, nor the
// ticks of a schedule a reload replaced. Two ticks at once read and decide
// the same due requests, the store's recheck keeping each alert single,
// not the work: the catch-up of a million open requests nine months due
// (12 million stages) ran beside the first scheduled tick, begun 30 s
// later, to its end, in 464 s with a heap of up to 3 GB; alone it took
// 388 s and 1.7 GB. A tick that finds another running waits for it, then
// finds little due, or nothing to do when slad began to stop meanwhile:
// the store may be closed by then.
func (d *Daemon) evaluate() {
	d.ticking.Lock()
	defer d.ticking.Unlock()
	if d.stopping.Load() {
		return
	}
	if _, err := d.store.CommitError(); err != nil {
		if err := d.store.ProbeCommit(); err != nil {
			d.log.Error("evaluation skipped: the database still cannot commit", "err", err)
			return
		}
		d.log.Info("the database commits again")
	}
	start := time.Now()
	now := d.opts.Now()
	// Held alerts first, so that they go out before what fires now.
	d.releaseHeld(now) // quiet.go
	res, err := d.store.Evaluate(now)
	d.metrics.evalDuration.Observe(time.Since(start).Seconds())
	// What the tick held, now that it has committed (even in part).
	d.logHeld() // quiet.go
	switch {
	case errors.Is(err, store.ErrClosed):
		// A stop that could not wait for a long tick closed the store
		// under it, as its step warned: nothing is lost.
		d.log.Info("evaluation tick cut short by the stop; what it committed stays, and the next start's tick decides the rest")
		return
	case err != nil:
		d.log.Error("evaluation failed", "err", err)
		return
	}
	d.metrics.evalLastSuccess.Set(float64(now.UnixNano()) / 1e9)
	switch {
	case res.Fired > 0 || res.Skipped > 0:
		d.log.Info("evaluation fired alerts", "requests", res.Requests, "fired", res.Fired, "skipped_stale", res.Skipped, "queued", res.Queued)
	case res.Requests > 0: // they only settled, or came due again later
		d.log.Debug("evaluation fired no alert", "requests", res.Requests)
	}
	switch was := d.historyLeft.Swap(res.HistoryLeft); {
	case res.HistoryLeft && !was:
		d.log.Info("imported history settles, and the catch-up alerts of its old breaches go out, over the next ticks: a bounded number of requests and alerts a tick, after every live alert due", "per_tick", store.DefaultHistoryPerTick)
	case !res.HistoryLeft && was:
		d.log.Info("imported history settled and announced")
	}
	d.sendDigests(now) // digest.go
	if q := quarterHour(now); d.sumsQuarter.Swap(q) != q {
		d.kickSums() // sums.go: the windows may have moved
	}
}

// cronLogger adapts slog to cron.Logger.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug(msg, kv...) }

func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error(msg, append([]any{"err", err}, kv...)...)
}
