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

// editedSLA is the SLA whose response target the bench edits, and the
// edit: the first generated SLA, whose "*" customers make it match a
// share of every department's requests.
const (
	editedSLA      = "d00-c0-v0"
	editedResponse = "    response: 4h\n"
	editedTo       = "    response: 3h\n"
)

// rematchAfterEdit edits one SLA's response target, has the running slad
// plan it (a dry run), restarts slad on it and measures the start-up and
// the background re-match of every open request that follows; it leaves
// slad stopped on the edited config.
func (r *runner) rematchAfterEdit(ctx context.Context, cfg, dataDir, scen string) error {
	in, _, err := startSlad(ctx, dataDir, cfg, newClock(epoch), &logSink{})
	if err != nil {
		return err
	}
	if err := editOneSLA(cfg); err != nil {
		return errors.Join(err, in.stop())
	}
	r.logf("plan of an edit of %s's response target ...", editedSLA)
	took, n, plan, err := dryRun(ctx, in.base)
	if err = errors.Join(err, in.stop()); err != nil {
		return err
	}
	r.add(row{
		scenario: scen, what: "plan of that edit (POST /-/reload?dry_run=1: every open request folded again, nothing written)",
		measured: fmt.Sprintf("%s, %s (%s examined, %s would change)", seconds(took), size(n), grouped(float64(plan.Requests.Examined)), grouped(float64(plan.Requests.Changed))),
	})
	r.logf("restart after the edit ...")
	sink := &logSink{}
	in, took, err = startSlad(ctx, dataDir, cfg, newClock(epoch), sink)
	if err != nil {
		return err
	}
	r.add(row{scenario: scen, what: "start-up to ready, after an edit of one SLA's target", measured: seconds(took), target: "< 2 s", pass: took < targetStartup})
	r.logf("re-matching the open requests in the background ...")
	requests, rematch, err := waitRematch(ctx, sink)
	if err = errors.Join(err, in.stop()); err != nil {
		return err
	}
	r.add(row{
		scenario: scen, what: "background re-match after that edit (every open request folded again)",
		measured: fmt.Sprintf("%s (%s requests in %s)", perSecond(float64(requests)/rematch.Seconds()), grouped(float64(requests)), seconds(rematch)),
	})
	return nil
}

// editOneSLA changes editedSLA's response target in the generated
// configuration file.
func editOneSLA(file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	text := string(data)
	at := strings.Index(text, "  - id: "+editedSLA+"\n")
	if at < 0 {
		return fmt.Errorf("edit %s: no SLA %s", file, editedSLA)
	}
	i := strings.Index(text[at:], editedResponse)
	if i < 0 {
		return fmt.Errorf("edit %s: SLA %s has no %q", file, editedSLA, strings.TrimSpace(editedResponse))
	}
	i += at
	text = text[:i] + editedTo + text[i+len(editedResponse):]
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
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/-/reload?dry_run=1", nil)
	if err != nil {
		return 0, 0, plan, err
	}
	begin := time.Now()
	// The server gives a plan two minutes (its write timeout).
	resp, err := (&http.Client{Timeout: 3 * time.Minute}).Do(req)
	if err != nil {
		return 0, 0, plan, fmt.Errorf("plan: %w", err)
	}
	body, err := io.ReadAll(resp.Body)
	took := time.Since(begin)
	if err = errors.Join(err, resp.Body.Close()); err != nil {
		return 0, 0, plan, fmt.Errorf("plan: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return 0, 0, plan, fmt.Errorf("plan: %s: %s", resp.Status, body)
	}
	if err := json.Unmarshal(body, &plan); err != nil {
		return 0, 0, plan, fmt.Errorf("plan: %w", err)
	}
	if !plan.Rematch {
		return 0, 0, plan, fmt.Errorf("plan: the edit of %s re-matches nothing", editedSLA)
	}
	return took, int64(len(body)), plan, nil
}
