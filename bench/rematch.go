package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/slad-project/slad/api/client"
	"github.com/slad-project/slad/api/wire"
)

// editedSLA is the SLA the bench edits, twice: the first generated SLA,
// whose "*" customers make it match a share of every department's
// requests.
const editedSLA = "d00-c0-v0"

// The edits: its response target (what limits its clocks: the re-match
// folds only the requests with a clock under it, sla.PolicyMeaning), then
// what it matches (it folds those too that the SLA now takes), then an
// OLA added, the configuration's first, over every other department's
// requests (it folds those handed to its party: none of the bench's).
const (
	responseGenerated = "    response: 4h\n"
	responseEdited    = "    response: 3h\n"
	matchGenerated    = "    match: {category: [c0]}\n"
	matchEdited       = "    match: {category: [c0, c1]}\n"
)

// rematchAfterEdit edits one SLA's response target and has the running
// slad plan it (a dry run) and reload it, then plans an edit of what the
// SLA matches and restarts slad on it, then adds an OLA and restarts
// again: the plans, the background re-match after each, and the
// start-up; it leaves slad stopped on the edited config.
func (r *runner) rematchAfterEdit(ctx context.Context, cfg, dataDir, scen string) error {
	sink := &logSink{}
	in, _, err := startSlad(ctx, dataDir, cfg, newClock(epoch), sink)
	if err != nil {
		return err
	}
	err = r.planAndReload(ctx, in, sink, cfg, scen)
	if err == nil {
		err = editOneSLA(cfg, matchGenerated, matchEdited)
	}
	if err == nil {
		r.logf("plan of an edit of what %s matches ...", editedSLA)
		err = r.planRow(ctx, in, cfg, scen, "plan of an edit of what that SLA matches, category [c0] → [c0, c1]")
	}
	if err = errors.Join(err, in.stop()); err != nil {
		return err
	}
	r.logf("restart after an edit of what %s matches ...", editedSLA)
	if err := r.restartRematch(ctx, dataDir, cfg, scen, "background re-match after that restart (every open request read; those under that SLA, or that it takes now, folded again)", true); err != nil {
		return err
	}
	if err := addOLA(cfg); err != nil {
		return err
	}
	r.logf("restart after an OLA was added ...")
	return r.restartRematch(ctx, dataDir, cfg, scen, "background re-match after a restart with an OLA added, of department 0 over every other's requests (every open request read, those it may hold folded again)", false)
}

// restartRematch starts slad on cfg and measures the background re-match
// that follows in a row saying what, and start-up to ready too if
// startup; it leaves slad stopped.
func (r *runner) restartRematch(ctx context.Context, dataDir, cfg, scen, what string, startup bool) error {
	sink := &logSink{}
	in, took, err := startSlad(ctx, dataDir, cfg, newClock(epoch), sink)
	if err != nil {
		return err
	}
	if startup {
		r.add(row{scenario: scen, what: "start-up to ready, after an edit of what one SLA matches", measured: seconds(took), target: "< 2 s", pass: took < targetStartup})
	}
	r.logf("re-matching the open requests in the background ...")
	requests, rematch, err := waitRematch(ctx, sink)
	if err = errors.Join(err, in.stop()); err != nil {
		return err
	}
	r.add(row{scenario: scen, what: what, measured: fmt.Sprintf("%s (%s requests in %s)", perSecond(float64(requests)/rematch.Seconds()), grouped(float64(requests)), seconds(rematch))})
	return nil
}

// planRow has the running slad in plan cfg and adds a row saying what.
func (r *runner) planRow(ctx context.Context, in *instance, cfg, scen, what string) error {
	took, plan, err := dryRun(ctx, in.base, cfg)
	if err != nil {
		return err
	}
	r.add(row{
		scenario: scen, what: what,
		measured: fmt.Sprintf("%s (%s examined, %s would change)", seconds(took), grouped(float64(plan.Requests.Examined)), grouped(float64(plan.Requests.Changed))),
	})
	return nil
}

// addOLA appends to the generated configuration file an OLA of the
// first department over every other's requests it holds.
func addOLA(file string) error {
	f, err := os.OpenFile(file, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(`  - id: d00-ola
    description: department 0 hands back the requests other departments hand it within two days
    provider: d00
    customers: ["*"]
    measures: holding
    calendar: office
    resolution: 16h
    objective: 90%
    window: 30d
`)
	return errors.Join(err, f.Close())
}

// planAndReload edits the configuration of the running slad in, has it
// plan the edit and reload it, and measures both and the re-match.
func (r *runner) planAndReload(ctx context.Context, in *instance, sink *logSink, cfg, scen string) error {
	if err := editOneSLA(cfg, responseGenerated, responseEdited); err != nil {
		return err
	}
	r.logf("plan of an edit of %s's response target ...", editedSLA)
	if err := r.planRow(ctx, in, cfg, scen, "plan of that edit (POST /-/reload?dry_run=1, as slad plan sends it: nothing written)"); err != nil {
		return err
	}
	r.logf("reload of that edit ...")
	l := newLoader(1)
	defer l.close()
	if err := l.post(ctx, in.base+"/-/reload", "", nil); err != nil {
		return fmt.Errorf("reload: %w", err)
	}
	requests, rematch, err := waitRematch(ctx, sink)
	if err != nil {
		return err
	}
	r.add(row{
		scenario: scen, what: "background re-match after its reload (every open request read, those with a clock under that SLA folded again)",
		measured: fmt.Sprintf("%s (%s requests in %s)", perSecond(float64(requests)/rematch.Seconds()), grouped(float64(requests)), seconds(rematch)),
	})
	return nil
}

// editOneSLA changes a line of editedSLA in the generated configuration
// file to another.
func editOneSLA(file, from, to string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	text := string(data)
	at := strings.Index(text, "  - id: "+editedSLA+"\n")
	if at < 0 {
		return fmt.Errorf("edit %s: no SLA %s", file, editedSLA)
	}
	i := strings.Index(text[at:], from)
	if i < 0 {
		return fmt.Errorf("edit %s: SLA %s has no %q", file, editedSLA, strings.TrimSpace(from))
	}
	i += at
	text = text[:i] + to + text[i+len(from):]
	return os.WriteFile(file, []byte(text), 0o600)
}

// waitRematch waits until the daemon logs its re-match done.
func waitRematch(ctx context.Context, sink *logSink) (int64, time.Duration, error) {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		if n, took, ok := sink.rematchDone(); ok {
			return n, took, nil
		}
		select {
		case <-ctx.Done():
			return 0, 0, fmt.Errorf("re-match: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// dryRun has slad plan the configuration file cfg through its own client,
// as slad plan does, and returns the time it took and the plan.
func dryRun(ctx context.Context, base, cfg string) (time.Duration, wire.Plan, error) {
	data, err := os.ReadFile(cfg)
	if err != nil {
		return 0, wire.Plan{}, err
	}
	c, err := client.New(base, client.Options{UserAgent: "slad-bench"})
	if err != nil {
		return 0, wire.Plan{}, err
	}
	begin := time.Now()
	plan, err := c.Plan(ctx, data, filepath.Base(cfg), 0)
	took := time.Since(begin)
	if err != nil {
		return 0, plan, err
	}
	if !plan.Rematch {
		return 0, plan, fmt.Errorf("plan: the edit of %s re-matches nothing", editedSLA)
	}
	return took, plan, nil
}
