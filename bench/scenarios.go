package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/slad-project/slad/store"
)

// Targets of issue 11, on a 2-core machine.
const (
	targetSingleRatio  = 0.5
	targetSingleP99    = 5 * time.Millisecond
	targetBatchRatio   = 0.5
	targetSLAsRatio    = 0.4
	targetBytesPerOpen = 1200
	targetStartup      = 2 * time.Second
	targetTick         = 2 * time.Second
	targetDrain        = 5000.0
	targetPage         = 100 * time.Millisecond
	targetStatusBytes  = 1_000_000
	targetStatusTime   = time.Second
)

// example measures ingest with config.example.yaml: single events from
// many clients against min(fsync, HTTP), batches against storage.
func (r *runner) example(ctx context.Context) error {
	cfg := filepath.Join(r.o.repo, "config.example.yaml")
	r.logf("single-event ingest for %s ...", r.o.duration)
	in, _, err := startSlad(ctx, filepath.Join(r.root, "example-single"), cfg, newClock(epoch), &logSink{})
	if err != nil {
		return err
	}
	l := newLoader(r.o.clients)
	res, err := l.single(ctx, in.base+"/api/v1/events", r.o.clients, r.o.duration, "e", exampleShapes)
	var cm commits
	if err == nil {
		cm, err = l.readCommits(ctx, in.base)
	}
	l.close()
	if err = errors.Join(err, in.stop()); err != nil {
		return err
	}
	ceiling := min(r.fsyncRate, r.httpRate)
	got := ratio(res.rate(), ceiling)
	r.add(row{
		scenario: "example", what: fmt.Sprintf("single-event durable ingest, %d clients", r.o.clients),
		measured: fmt.Sprintf("%s, p50 %s, p99 %s", perSecond(res.rate()), ms(res.p50), ms(res.p99)),
		base:     "min(fsync, HTTP) " + perSecond(ceiling), ratio: percent(got),
		target: "≥ 50%, p99 ≤ 5 ms", pass: got >= targetSingleRatio && res.p99 <= targetSingleP99,
	})
	r.add(row{
		scenario: "example", what: "single-event ingest: its group commits, from slad's metrics",
		measured: fmt.Sprintf("%.1f events a commit, mean commit %s", cm.perGroup, ms(cm.mean)),
	})

	r.logf("batch ingest of %d events ...", r.o.events)
	empty := filepath.Join(r.root, "example-empty")
	in, _, err = startSlad(ctx, empty, cfg, newClock(epoch), &logSink{})
	if err != nil {
		return err
	}
	if err := in.stop(); err != nil {
		return err
	}
	batchDir := filepath.Join(r.root, "example-batch")
	in, _, err = startSlad(ctx, batchDir, cfg, newClock(epoch), &logSink{})
	if err != nil {
		return err
	}
	rate, err := r.ingest(ctx, in, "b", exampleShapes, 0, r.o.events, true)
	if err = errors.Join(err, in.stop()); err != nil {
		return err
	}
	got = ratio(rate, r.storageRate)
	r.add(row{
		scenario: "example", what: "batch ingest, 1,000-event NDJSON",
		measured: perSecond(rate), base: "storage " + perSecond(r.storageRate), ratio: percent(got),
		target: "≥ 50%", pass: got >= targetBatchRatio,
	})
	return r.ownKeys(empty, batchDir, rate)
}

// ownKeys measures bare bbolt puts of every key slad wrote in the example's
// batch ingest (in batchDir; empty holds the store before it), and puts
// slad's batch rate beside them: how far the storage ceiling, which puts
// one key an event, is within reach of bare puts of slad's own writes.
func (r *runner) ownKeys(empty, batchDir string, rate float64) error {
	r.logf("bare puts of the keys slad wrote ...")
	own, perEvent, buckets, err := ownKeysCeiling(filepath.Join(empty, store.FileName), filepath.Join(batchDir, store.FileName), filepath.Join(r.root, "ceiling-own-keys"), r.o.events)
	if err != nil {
		return fmt.Errorf("bare puts of slad's keys: %w", err)
	}
	r.logf("keys slad wrote for %d events, by bucket: %s", r.o.events, buckets)
	r.add(row{
		scenario: "ceiling", what: fmt.Sprintf("bare bbolt puts of every key slad wrote for them (%.1f an event), 1,000 events a transaction", perEvent),
		measured: perSecond(own), base: "storage " + perSecond(r.storageRate), ratio: percent(ratio(own, r.storageRate)),
	})
	r.add(row{
		scenario: "example", what: "batch ingest, as a share of bare puts of its own keys",
		measured: perSecond(rate), base: "own keys " + perSecond(own), ratio: percent(ratio(rate, own)),
	})
	return nil
}

// slas measures the generated 1,000-SLA configuration: its batch ingest
// against a one-SLA configuration's, then, with the open requests loaded,
// the bytes per open request, start-up and the pages.
func (r *runner) slas(ctx context.Context) error {
	dir := filepath.Join(r.root, "slas")
	gen := generated{departments: r.o.departments}
	oneCfg, err := writeConfig(filepath.Join(r.root, "one-sla"), "config.yaml", gen.oneSLAConfig())
	if err != nil {
		return err
	}
	r.logf("batch ingest of %d events, 1 SLA ...", r.o.events)
	in, _, err := startSlad(ctx, filepath.Join(r.root, "one-sla", "data"), oneCfg, newClock(epoch), &logSink{})
	if err != nil {
		return err
	}
	oneRate, err := r.ingest(ctx, in, "b", gen.oneSLAShapes, 0, r.o.events, true)
	if err = errors.Join(err, in.stop()); err != nil {
		return err
	}
	r.add(row{
		scenario: "1 SLA", what: "batch ingest, 1,000-event NDJSON (2 clocks a request)",
		measured: perSecond(oneRate), base: "storage " + perSecond(r.storageRate), ratio: percent(ratio(oneRate, r.storageRate)),
	})

	cfg, err := writeConfig(dir, "config.yaml", gen.config())
	if err != nil {
		return err
	}
	r.logf("batch ingest of %d events, %s ...", r.o.events, slasName(gen))
	in, _, err = startSlad(ctx, filepath.Join(dir, "data"), cfg, newClock(epoch), &logSink{})
	if err != nil {
		return err
	}
	rate, err := r.ingest(ctx, in, "b", gen.shapes, 0, r.o.events, true)
	if err != nil {
		return errors.Join(err, in.stop())
	}
	got := ratio(rate, oneRate)
	r.add(row{
		scenario: slasName(gen), what: fmt.Sprintf("batch ingest, 1,000-event NDJSON (%d clocks a request)", clocksPerMatch),
		measured: perSecond(rate), base: "1 SLA " + perSecond(oneRate), ratio: percent(got),
		target: "≥ 40%", pass: got >= targetSLAsRatio,
	})
	return r.openRequests(ctx, in, cfg, gen)
}

// openRequests loads the 1,000-SLA store up to -open requests and measures
// what grows with them.
func (r *runner) openRequests(ctx context.Context, in *instance, cfg string, gen generated) error {
	open := max(r.o.open, r.o.events)
	if open > r.o.events {
		r.logf("loading %d more open requests ...", open-r.o.events)
		rate, err := r.ingest(ctx, in, "b", gen.shapes, r.o.events, open, false)
		if err != nil {
			return errors.Join(err, in.stop())
		}
		r.logf("loaded at %s", perSecond(rate))
	}
	if err := in.stop(); err != nil {
		return err
	}
	scen := fmt.Sprintf("%s, %s open", slasName(gen), grouped(float64(open)))
	dataDir := filepath.Join(filepath.Dir(cfg), "data")
	st, err := os.Stat(filepath.Join(dataDir, store.FileName))
	if err != nil {
		return err
	}
	per := float64(st.Size()) / float64(open)
	r.add(row{
		scenario: scen, what: fmt.Sprintf("bytes on disk per open request (%d clocks)", clocksPerMatch),
		measured: grouped(per) + " B", base: "file " + size(st.Size()), target: "≤ 1,200 B", pass: per <= targetBytesPerOpen,
	})
	where, err := whereBytesGo(filepath.Join(dataDir, store.FileName), open)
	if err != nil {
		return err
	}
	r.logf("%s", where)

	r.logf("restart ...")
	in, took, err := startSlad(ctx, dataDir, cfg, newClock(epoch), &logSink{})
	if err != nil {
		return err
	}
	r.add(row{scenario: scen, what: "start-up to ready, after a restart", measured: seconds(took), target: "< 2 s", pass: took < targetStartup})
	err = r.pages(ctx, in, scen)
	if err = errors.Join(err, in.stop()); err != nil {
		return err
	}

	if err := appendComment(cfg); err != nil {
		return err
	}
	r.logf("restart after a comment-only edit ...")
	in, took, err = startSlad(ctx, dataDir, cfg, newClock(epoch), &logSink{})
	if err != nil {
		return err
	}
	r.add(row{scenario: scen, what: "start-up to ready, after a comment-only config edit", measured: seconds(took), target: "< 2 s", pass: took < targetStartup})
	if err := in.stop(); err != nil {
		return err
	}
	if err := r.rematchAfterEdit(ctx, cfg, dataDir, scen); err != nil {
		return err
	}
	return r.stormAmidOpen(cfg, dataDir, scen, open)
}

// pages reads /metrics, /api/v1/slas and the status page, and a
// department's view of it and its scorecard: its figures per customer,
// which have the status page's budget (issue 11).
func (r *runner) pages(ctx context.Context, in *instance, scen string) error {
	return r.readPages(ctx, in, scen, []page{
		{path: "/metrics", target: "< 100 ms", pass: fasterThan(targetPage)},
		{path: "/api/v1/slas", target: "< 100 ms", pass: fasterThan(targetPage)},
		{path: "/", target: "< 100 ms", pass: fasterThan(targetPage)},
		{path: "/?department=d01", what: "GET /?department=d01 (a service desk's view of the status page)", target: "< 1 MB, < 100 ms", pass: smallAndFast},
		{path: "/departments/d01", what: "GET /departments/d01 (its scorecard page)", target: "< 1 MB, < 100 ms", pass: smallAndFast},
	})
}

// page is a GET a scenario measures, and its target.
type page struct {
	path   string
	what   string // the row's text; default "GET " and the path
	header http.Header
	target string                                 // empty: none
	pass   func(took time.Duration, n int64) bool // nil without a target
}

// smallAndFast is the pass of a page with the status page's budget: under
// 1 MB and 100 ms.
func smallAndFast(took time.Duration, n int64) bool {
	return n < targetStatusBytes && took < targetPage
}

// fasterThan is the pass of a page whose target is a time alone.
func fasterThan(d time.Duration) func(time.Duration, int64) bool {
	return func(took time.Duration, _ int64) bool { return took < d }
}

// readPages reads each page r.o.reps times and adds a row of its median
// time and its size.
func (r *runner) readPages(ctx context.Context, in *instance, scen string, pages []page) error {
	l := newLoader(1)
	defer l.close()
	for _, p := range pages {
		what := cmp.Or(p.what, "GET "+p.path)
		r.logf("%s, %d times ...", what, r.o.reps)
		took, n, err := l.get(ctx, in.base+p.path, p.header, r.o.reps)
		if err != nil {
			return err
		}
		rw := row{scenario: scen, what: what, measured: fmt.Sprintf("%s, %s", ms(took), size(n)), target: p.target}
		if p.pass != nil {
			rw.pass = p.pass(took, n)
		}
		r.add(rw)
	}
	return nil
}

// slasName names the generated configuration's scenario by its size.
func slasName(g generated) string { return grouped(float64(g.slas())) + " SLAs" }

// appendComment edits the configuration without changing its meaning.
func appendComment(file string) error {
	f, err := os.OpenFile(file, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString("# A comment-only edit: the configuration means what it meant.\n")
	return errors.Join(err, f.Close())
}
