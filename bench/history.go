package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/store"
)

// history loads -history requests of 60 days of history (histories.go)
// onto the generated 1,000-SLA configuration, as an import would send
// them, and measures what the slas scenario's fresh requests cannot show:
// the import's rate, the tick an hour later that settles the imported
// history, and the pages with that history counted.
//
// slad's clock stands at epoch during the import, so slad first hears of
// every clock then; a clock that stopped (or breached) more than
// lifecycle.HistoryAge before that settles HistoryAge after it, when a
// tick looks at it again. The clock is moved past that while slad is
// down, and that tick is timed on the store alone, as the storm's is; then
// slad starts at the new time, delivers what the tick queued, and the
// pages are read.
func (r *runner) history(ctx context.Context) error {
	dir := filepath.Join(r.root, "history")
	gen := generated{departments: r.o.departments}
	cfg, err := writeConfig(dir, "config.yaml", gen.config())
	if err != nil {
		return err
	}
	dataDir := filepath.Join(dir, "data")
	clk := newClock(epoch)
	scen := fmt.Sprintf("%s, %s of history", slasName(gen), grouped(float64(r.o.history)))
	saved := false
	if r.o.imported != "" {
		if saved, err = loadImport(r.o, dataDir); err != nil {
			return err
		}
	}
	if saved {
		r.logf("the import saved in %s, copied (its rate is not measured) ...", r.o.imported)
	} else if err := r.runImport(ctx, gen, scen, cfg, dataDir, clk); err != nil {
		return err
	}

	clk.add(lifecycle.HistoryAge + time.Minute)
	r.logf("the ticks an hour after the import ...")
	first, all, err := historyTicks(cfg, dataDir, clk, r.o.tickProfile)
	if err != nil {
		return err
	}
	r.logf("the first tick took %s: %s", seconds(first.took), first.faults)
	for _, rw := range historyRows(scen, first, all) {
		r.add(rw)
	}

	sink := &logSink{}
	in, _, err := startSlad(ctx, dataDir, cfg, clk, sink)
	if err != nil {
		return err
	}
	r.logf("delivering %d alerts ...", all.res.Queued)
	err = r.waitAlerts(ctx, sink, int64(all.res.Queued))
	if err == nil {
		err = r.readPages(ctx, in, scen, historyPages())
	}
	return errors.Join(err, in.stop())
}

// runImport starts slad on an empty data directory, imports the history
// and stops it; with -imported, it saves the import there.
func (r *runner) runImport(ctx context.Context, gen generated, scen, cfg, dataDir string, clk *clock) error {
	in, _, err := startSlad(ctx, dataDir, cfg, clk, &logSink{})
	if err != nil {
		return err
	}
	r.logf("importing %d requests of %.0f days of history ...", r.o.history, historySpan.Hours()/24)
	err = r.importHistory(ctx, in, gen, scen)
	if err = errors.Join(err, in.stop()); err != nil || r.o.imported == "" {
		return err
	}
	r.logf("saving the import in %s ...", r.o.imported)
	return saveImport(r.o, dataDir)
}

// importHistory sends the history as slad import does: in bodies of
// historyPerBody requests (about 5,000 events), one after the other, each
// encoded as it is sent; and adds the rate's row.
func (r *runner) importHistory(ctx context.Context, in *instance, gen generated, scen string) error {
	n := (r.o.history + historyPerBody - 1) / historyPerBody
	var events atomic.Int64
	body := func(i int) ([]byte, int) {
		b, k := gen.historyBody("h", i*historyPerBody, min((i+1)*historyPerBody, r.o.history))
		events.Add(int64(k))
		return b, k
	}
	l := newLoader(1)
	defer l.close()
	elapsed, err := l.batches(ctx, in.base, 1, n, body)
	if err != nil {
		return err
	}
	rate := float64(events.Load()) / elapsed.Seconds()
	r.add(row{
		scenario: scen, what: fmt.Sprintf("import as slad import sends it, ~5,000-event NDJSON one after the other (%.1f events a request)", float64(events.Load())/float64(r.o.history)),
		measured: fmt.Sprintf("%s (%s events in %s)", perSecond(rate), grouped(float64(events.Load())), seconds(elapsed)),
		base:     "storage " + perSecond(r.storageRate), ratio: percent(ratio(rate, r.storageRate)),
	})
	return nil
}

// historyRows are the rows of the ticks an hour after the import: the
// first, which takes of the imported history (closed requests to settle,
// the catch-up alerts of open requests breached long ago, their grace
// hour over) up to store.DefaultHistoryPerTick requests and alerts,
// against the storm's target; then all of them until the import is
// settled and announced, without a target.
func historyRows(scen string, first, all tickRun) []row {
	rw := row{scenario: scen, what: fmt.Sprintf("the first tick an hour after the import (its history, settling and catch-up alerts, up to %s requests and alerts a tick)", grouped(store.DefaultHistoryPerTick)), target: "≤ 2 s"}
	rw.measured = fmt.Sprintf("%s for %s due (%s alerts queued)", seconds(first.took), grouped(float64(first.res.Requests)), grouped(float64(first.res.Queued)))
	rw.pass = first.took <= targetTick
	total := row{scenario: scen, what: "the ticks until the import is settled and announced, one after the other"}
	total.measured = fmt.Sprintf("%s over %d ticks (the longest %s) for %s due, %s alerts queued", seconds(all.took), all.ticks, seconds(all.longest), grouped(float64(all.res.Requests)), grouped(float64(all.res.Queued)))
	if all.res.Requests > 0 {
		total.measured += fmt.Sprintf(" (%s per 100,000)", seconds(time.Duration(float64(all.took)*100_000/float64(all.res.Requests))))
	}
	return []row{rw, total}
}

// historyPages are the pages the history scenario reads: those of the
// slas scenario, /metrics also as Prometheus scrapes it (gzip), the
// report's first page (100 SLAs) and a department's scorecard page. The
// scorecard, a department's figures per customer, has the status page's
// budget (issue 11: per-customer figures within the same budgets).
func historyPages() []page {
	gzip := http.Header{"Accept-Encoding": {"gzip"}}
	fast := fasterThan(targetPage)
	return []page{
		{path: "/metrics", target: "< 100 ms", pass: fast},
		{path: "/metrics", what: "GET /metrics, gzip (as Prometheus scrapes)", header: gzip, target: "< 100 ms", pass: fast},
		{path: "/api/v1/slas", target: "< 100 ms", pass: fast},
		{path: "/", target: "< 1 MB, < 100 ms", pass: smallAndFast},
		{path: "/api/v1/report", what: "GET /api/v1/report, its first page (100 SLAs)"},
		{path: "/departments/d01", what: "GET /departments/d01 (a service desk's scorecard page)", target: "< 1 MB, < 100 ms", pass: smallAndFast},
	}
}
