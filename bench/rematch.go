package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// editedSLA is the SLA whose response target the bench edits, and the
// edit: the first generated SLA, whose "*" customers make it match a
// share of every department's requests.
const (
	editedSLA      = "d00-c0-v0"
	editedResponse = "    response: 4h\n"
	editedTo       = "    response: 3h\n"
)

// rematchAfterEdit edits one SLA's response target, restarts slad on it
// and measures the start-up and the background re-match of every open
// request that follows; it leaves slad stopped on the edited config.
func (r *runner) rematchAfterEdit(ctx context.Context, cfg, dataDir, scen string) error {
	if err := editOneSLA(cfg); err != nil {
		return err
	}
	r.logf("restart after an edit of %s's response target ...", editedSLA)
	sink := &logSink{}
	in, took, err := startSlad(ctx, dataDir, cfg, newClock(epoch), sink)
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
