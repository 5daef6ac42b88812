package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/store"
)

// storm opens -storm requests whose resolution target is an hour, lets
// the hour pass while slad is down, and measures the tick that finds them
// all due, the delivery of their alerts to a log receiver, and the status
// page with them all breached.
//
// The tick runs on the store alone (store.Open and Evaluate, what the
// daemon's tick calls), so that it is timed apart from delivery; then slad
// starts and delivers the outbox the tick filled.
func (r *runner) storm(ctx context.Context) error {
	dir := filepath.Join(r.root, "storm")
	cfgFile, err := writeConfig(dir, "config.yaml", stormConfig())
	if err != nil {
		return err
	}
	dataDir := filepath.Join(dir, "data")
	clk := newClock(epoch)
	in, _, err := startSlad(ctx, dataDir, cfgFile, clk, &logSink{})
	if err != nil {
		return err
	}
	r.logf("opening %d requests ...", r.o.storm)
	_, err = r.ingest(ctx, in, "s", stormShapes, 0, r.o.storm, false)
	if err = errors.Join(err, in.stop()); err != nil {
		return err
	}
	scen := fmt.Sprintf("storm, %s breach", grouped(float64(r.o.storm)))

	// Every request opened in the minute before epoch: an hour and a
	// minute later all have breached, and none long enough ago to be
	// history.
	clk.add(time.Hour + time.Minute)
	r.logf("the tick ...")
	took, res, err := tick(cfgFile, dataDir, clk)
	if err != nil {
		return err
	}
	queued := res.Queued
	if queued == 0 {
		return errors.New("tick: nothing was due; the storm's requests did not breach")
	}
	r.add(row{
		scenario: scen, what: fmt.Sprintf("tick with %s due", grouped(float64(r.o.storm))),
		measured: fmt.Sprintf("%s (%s alerts queued)", seconds(took), grouped(float64(queued))),
		target:   "≤ 2 s", pass: took <= targetTick,
	})

	r.logf("delivering %d alerts ...", queued)
	sink := &logSink{}
	begin := time.Now()
	in, _, err = startSlad(ctx, dataDir, cfgFile, clk, sink)
	if err != nil {
		return err
	}
	err = r.waitAlerts(ctx, sink, int64(queued))
	drained := time.Since(begin)
	if err != nil {
		return errors.Join(err, in.stop())
	}
	rate := float64(queued) / drained.Seconds()
	r.add(row{
		scenario: scen, what: "outbox delivery to a log receiver",
		measured: fmt.Sprintf("%s (%s)", perSecond(rate), seconds(drained)),
		target:   "≥ 5,000/s", pass: rate >= targetDrain,
	})

	r.logf("the status page ...")
	l := newLoader(1)
	took, n, err := l.get(ctx, in.base+"/", nil, r.o.reps)
	l.close()
	if err = errors.Join(err, in.stop()); err != nil {
		return err
	}
	r.add(row{
		scenario: scen, what: "status page (GET /) with every request breached",
		measured: fmt.Sprintf("%s, %s", ms(took), size(n)),
		target:   "< 1 MB, < 1 s", pass: n < targetStatusBytes && took < targetStatusTime,
	})
	return nil
}

// tick opens the store as the daemon would and times one evaluation at the
// clock's time.
func tick(cfgFile, dataDir string, clk *clock) (time.Duration, store.EvalResult, error) {
	cfg, err := config.Load(cfgFile)
	if err != nil {
		return 0, store.EvalResult{}, err
	}
	st, err := store.Open(store.Options{Dir: dataDir, Policy: cfg.Policy, Now: clk.now})
	if err != nil {
		return 0, store.EvalResult{}, err
	}
	flushPageCache()
	begin := time.Now()
	res, err := st.Evaluate(clk.now())
	took := time.Since(begin)
	if err = errors.Join(err, st.Close()); err != nil {
		return 0, store.EvalResult{}, fmt.Errorf("tick: %w", err)
	}
	return took, res, nil
}

// tickRun is what ticks did: how long they took (and the longest), how
// many there were and what they did, added up.
type tickRun struct {
	took, longest time.Duration
	ticks         int
	res           store.EvalResult
	// The first tick's page faults and heap growth, for the progress
	// lines: what a slower run of the same tick paid for.
	faults faults
}

// historyTicks ticks the store at the clock's time, as tick does, until
// no imported history is left to settle or announce
// (store.EvalResult.HistoryLeft), and returns the first tick and all of
// them; with a profile file, it writes a CPU profile of the first tick
// there.
func historyTicks(cfgFile, dataDir string, clk *clock, profile string) (first, all tickRun, err error) {
	cfg, err := config.Load(cfgFile)
	if err != nil {
		return first, all, err
	}
	st, err := store.Open(store.Options{Dir: dataDir, Policy: cfg.Policy, Now: clk.now})
	if err != nil {
		return first, all, err
	}
	flushPageCache()
	stopProfile := func() {}
	if profile != "" {
		if stopProfile, err = startCPUProfile(profile); err != nil {
			return first, all, errors.Join(err, st.Close())
		}
	}
	for left := true; left && err == nil; {
		var f faults
		measured := func() {}
		if all.ticks == 0 {
			measured = measureFaults(&f)
		}
		begin := time.Now()
		var res store.EvalResult
		res, err = st.Evaluate(clk.now())
		took := time.Since(begin)
		if all.ticks == 0 {
			stopProfile()
			measured()
			first = tickRun{took: took, ticks: 1, res: res, faults: f}
		}
		all.took += took
		all.longest = max(all.longest, took)
		all.ticks++
		all.res.Requests += res.Requests
		all.res.Queued += res.Queued
		left = res.HistoryLeft
	}
	if err = errors.Join(err, st.Close()); err != nil {
		return first, all, fmt.Errorf("tick: %w", err)
	}
	return first, all, nil
}

// waitAlerts waits until the log receiver has written want alerts, and
// says how far it is every 10 seconds.
func (r *runner) waitAlerts(ctx context.Context, sink *logSink, want int64) error {
	t := time.NewTicker(time.Millisecond)
	defer t.Stop()
	next := time.Now().Add(10 * time.Second)
	for sink.alerts.Load() < want {
		select {
		case <-ctx.Done():
			return fmt.Errorf("delivery: %d of %d alerts written: %w", sink.alerts.Load(), want, ctx.Err())
		case now := <-t.C:
			if now.After(next) {
				r.logf("%d of %d alerts delivered", sink.alerts.Load(), want)
				next = now.Add(10 * time.Second)
			}
		}
	}
	return nil
}
