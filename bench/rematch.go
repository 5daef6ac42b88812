package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/slad-project/slad/api/wire"
)

// editedSLA is the SLA the bench edits, twice: the first generated SLA,
// whose "*" customers make it match a share of every department's
// requests.
const editedSLA = "d00-c0-v0"

// The edits: its response target (what limits its clocks: the re-match
// folds only the requests with a clock under it, sla.PolicyMeaning), then
// what it matches (every open request is folded again).
const (
	responseGenerated = "    response: 4h\n"
	responseEdited    = "    response: 3h\n"
	matchGenerated    = "    match: {category: [c0]}\n"
	matchEdited       = "    match: {category: [c0, c1]}\n"
)

// rematchAfterEdit edits one SLA's response target and has the running
// slad plan it (a dry run) and reload it, then edits what the SLA matches
// and restarts slad on it: the plan, the background re-match after each,
// and the start-up; it leaves slad stopped on the edited config.
func (r *runner) rematchAfterEdit(ctx context.Context, cfg, dataDir, scen string) error {
	sink := &logSink{}
	in, _, err := startSlad(ctx, dataDir, cfg, newClock(epoch), sink)
	if err != nil {
		return err
	}
	err = r.planAndReload(ctx, in, sink, cfg, scen)
	if err = errors.Join(err, in.stop()); err != nil {
		return err
	}
	if err := editOneSLA(cfg, matchGenerated, matchEdited); err != nil {
		return err
	}
	r.logf("restart after an edit of what %s matches ...", editedSLA)
	sink = &logSink{}
	in, took, err := startSlad(ctx, dataDir, cfg, newClock(epoch), sink)
	if err != nil {
		return err
	}
	r.add(row{scenario: scen, what: "start-up to ready, after an edit of what one SLA matches", measured: seconds(took), target: "< 2 s", pass: took < targetStartup})
	r.logf("re-matching the open requests in the background ...")
	requests, rematch, err := waitRematch(ctx, sink)
	if err = errors.Join(err, in.stop()); err != nil {
		return err
	}
	r.add(row{
		scenario: scen, what: "background re-match after that restart (every open request folded again)",
		measured: fmt.Sprintf("%s (%s requests in %s)", perSecond(float64(requests)/rematch.Seconds()), grouped(float64(requests)), seconds(rematch)),
	})
	return nil
}

// planAndReload edits the configuration of the running slad in, has it
// plan the edit and reload it, and measures both and the re-match.
func (r *runner) planAndReload(ctx context.Context, in *instance, sink *logSink, cfg, scen string) error {
	if err := editOneSLA(cfg, responseGenerated, responseEdited); err != nil {
		return err
	}
	r.logf("plan of an edit of %s's response target ...", editedSLA)
	took, n, plan, err := dryRun(ctx, in.base)
	if err != nil {
		return err
	}
	r.add(row{
		scenario: scen, what: "plan of that edit (POST /-/reload?dry_run=1: nothing written)",
		measured: fmt.Sprintf("%s, %s (%s examined, %s would change)", seconds(took), size(n), grouped(float64(plan.Requests.Examined)), grouped(float64(plan.Requests.Changed))),
	})
	r.logf("reload of that edit ...")
	if _, err := post(ctx, in.base+"/-/reload"); err != nil {
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

// dryRun asks slad for the plan of a reload of its configuration file, and
// returns the time it took, the answer's size and the plan.
func dryRun(ctx context.Context, base string) (time.Duration, int64, wire.Plan, error) {
	var plan wire.Plan
	begin := time.Now()
	body, err := post(ctx, base+"/-/reload?dry_run=1")
	took := time.Since(begin)
	if err != nil {
		return 0, 0, plan, fmt.Errorf("plan: %w", err)
	}
	if err := json.Unmarshal(body, &plan); err != nil {
		return 0, 0, plan, fmt.Errorf("plan: %w", err)
	}
	if !plan.Rematch {
		return 0, 0, plan, fmt.Errorf("plan: the edit of %s re-matches nothing", editedSLA)
	}
	return took, int64(len(body)), plan, nil
}

// post POSTs nothing to url and returns the body of a 200 answer.
func post(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
	if err != nil {
		return nil, err
	}
	// The server gives an answer two minutes (its write timeout).
	resp, err := (&http.Client{Timeout: 3 * time.Minute}).Do(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	if err = errors.Join(err, resp.Body.Close()); err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", resp.Status, body)
	}
	return body, nil
}
