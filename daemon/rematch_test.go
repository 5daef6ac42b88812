package daemon

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slad-project/slad/internal/testutil"
)

// openMany stores n open P1 incidents IT-00000… through the API, in
// batches of a thousand events.
func (in *instance) openMany(n int) {
	in.t.Helper()
	for first := 0; first < n; first += 1000 {
		var batch []map[string]any
		for i := first; i < min(first+1000, n); i++ {
			batch = append(batch, event(fmt.Sprintf("o%d", i), fmt.Sprintf("IT-%05d", i), "opened", "2026-11-24T08:00:00Z",
				"provider", "it", "customer", "sales", "priority", "P1", "category", "incident"))
		}
		if status, body := in.post(adminToken, batch...); status != 200 {
			in.t.Fatalf("post: %d %v", status, body)
		}
	}
}

// metric returns the value of an unlabelled metric, "" when absent.
func (in *instance) metric(name string) string {
	in.t.Helper()
	_, body := in.do("GET", "/metrics", "", "", nil)
	m := regexp.MustCompile(`(?m)^` + name + ` (\S+)$`).FindSubmatch(body)
	if m == nil {
		return ""
	}
	return string(m[1])
}

// waitRematched waits for the background re-match to end.
func (in *instance) waitRematched() {
	in.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for in.metric("slad_rematch_in_progress") != "0" {
		if time.Now().After(deadline) {
			in.t.Fatal("the background re-match did not end within a minute")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// editConfig rewrites the configuration file with old replaced.
func editConfig(t *testing.T, file, old, replacement string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("test config changed shape: no %q", old)
	}
	if err := os.WriteFile(file, []byte(strings.Replace(string(data), old, replacement, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestStartServesBeforeTheRematchOfManyOpenRequestsEnds: at a million
// open requests re-matching to a changed configuration takes minutes, and
// slad must not be down meanwhile. Start returns, serving and ready, while
// the re-match is held at its first chunk; a read of a request it has not
// reached already answers with the new target.
func TestStartServesBeforeTheRematchOfManyOpenRequestsEnds(t *testing.T) {
	const n = 5000 // ten chunks; the ordering, not the size, is under test
	dir := t.TempDir()
	clock := testutil.NewClock(testNow)
	cfgFile := copyConfig(t, dir)
	data := filepath.Join(dir, "data")
	in := start(t, cfgFile, data, clock.Now)
	in.openMany(n)
	if err := in.stop(); err != nil {
		t.Fatal(err)
	}
	editConfig(t, cfgFile, "resolution: {P1: 4h, P2: 1d}", "resolution: {P1: 2h, P2: 1d}")

	held, release := make(chan struct{}), make(chan struct{})
	var calls atomic.Int32
	hook := func(ctx context.Context) {
		if calls.Add(1) == 1 {
			close(held)
			select {
			case <-release:
			case <-ctx.Done():
			}
		}
	}
	in2 := startWith(t, Options{ConfigFile: cfgFile, DataDir: data, Now: clock.Now, rematchHook: hook})
	select {
	case <-held:
	case <-time.After(30 * time.Second):
		t.Fatal("the background re-match never began")
	}
	if status, body := in2.readyz(); status != 200 {
		t.Errorf("/readyz while the re-match is held: %d %s", status, body)
	}
	if got := in2.metric("slad_rematch_in_progress"); got != "1" {
		t.Errorf("slad_rematch_in_progress = %q while the re-match is held, want 1", got)
	}
	if got := in2.metric("slad_rematch_pending_requests"); got != "0" && got != fmt.Sprint(n) {
		t.Errorf("slad_rematch_pending_requests = %q before the first chunk, want %d (or 0 before it is counted)", got, n)
	}
	var r requestJSON
	in2.getJSON(fmt.Sprintf("/api/v1/requests/IT-%05d", n-1), &r)
	if c := r.clock("it-sales-incidents", "resolution"); c.TargetS != 7200 {
		t.Errorf("a read during the re-match answers with the old %ds target, want the new 7200", c.TargetS)
	}
	close(release)
	in2.waitRematched()
	if !strings.Contains(in2.logs.String(), fmt.Sprintf("open requests re-matched to the changed configuration\" requests=%d", n)) {
		t.Errorf("the log does not say %d requests were re-matched:\n%s", n, in2.logs)
	}
}

// TestAnEditThatChangesNothingRematchesNothing: comments, key order,
// descriptions and receivers do not change what a request matches; a
// restart with such an edit must not re-match every open request.
func TestAnEditThatChangesNothingRematchesNothing(t *testing.T) {
	dir := t.TempDir()
	clock := testutil.NewClock(testNow)
	cfgFile := copyConfig(t, dir)
	data := filepath.Join(dir, "data")
	in := start(t, cfgFile, data, clock.Now)
	in.openMany(3)
	if err := in.stop(); err != nil {
		t.Fatal(err)
	}
	editConfig(t, cfgFile, "global:", "# edited on Monday\nglobal:")
	editConfig(t, cfgFile, "    objective: 95%\n    window: 30d", "    window: 30d   # rolling\n    objective: 95%")
	editConfig(t, cfgFile, "IT answers and fixes incidents raised by Sales", "IT answers and fixes every incident Sales raises")
	editConfig(t, cfgFile, "  console: {type: log}", "  console: {type: log}\n  pager: {type: log}")

	var calls atomic.Int32
	in2 := startWith(t, Options{ConfigFile: cfgFile, DataDir: data, Now: clock.Now, rematchHook: func(context.Context) { calls.Add(1) }})
	if status, data := in2.do("POST", "/-/reload", adminToken, "", nil); status != 200 {
		t.Fatalf("reload: %d %s", status, data)
	}
	if err := in2.stop(); err != nil { // the pass, had one begun, has run its chunk or stopped
		t.Fatal(err)
	}
	if calls.Load() != 0 || strings.Contains(in2.logs.String(), "re-matching open requests") {
		t.Errorf("an edit that changes nothing re-matched open requests (%d chunks):\n%s", calls.Load(), in2.logs)
	}
}

// TestARematchStoppedHalfWayResumesAtTheNextStart: slad stopped (or
// crashed) in the middle of a re-match goes on at the next start after the
// last chunk it committed, instead of starting over.
func TestARematchStoppedHalfWayResumesAtTheNextStart(t *testing.T) {
	const n, chunk = 1200, 500 // store.rematchChunk
	dir := t.TempDir()
	clock := testutil.NewClock(testNow)
	cfgFile := copyConfig(t, dir)
	data := filepath.Join(dir, "data")
	in := start(t, cfgFile, data, clock.Now)
	in.openMany(n)
	if err := in.stop(); err != nil {
		t.Fatal(err)
	}
	editConfig(t, cfgFile, "resolution: {P1: 4h, P2: 1d}", "resolution: {P1: 2h, P2: 1d}")

	second := make(chan struct{})
	var calls atomic.Int32
	hook := func(ctx context.Context) {
		if calls.Add(1) == 2 { // the first chunk is committed
			close(second)
			<-ctx.Done()
		}
	}
	in2 := startWith(t, Options{ConfigFile: cfgFile, DataDir: data, Now: clock.Now, rematchHook: hook})
	select {
	case <-second:
	case <-time.After(30 * time.Second):
		t.Fatal("the first chunk of the re-match never ended")
	}
	if err := in2.stop(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(in2.logs.String(), fmt.Sprintf("re-matching stopped; the next start resumes it\" done=%d", chunk)) {
		t.Errorf("the stop does not say the re-match stopped after %d requests:\n%s", chunk, in2.logs)
	}

	in3 := start(t, cfgFile, data, clock.Now)
	in3.waitRematched()
	if !strings.Contains(in3.logs.String(), fmt.Sprintf("open requests re-matched to the changed configuration\" requests=%d", n-chunk)) {
		t.Errorf("the next start did not resume with the %d requests left:\n%s", n-chunk, in3.logs)
	}
	var r requestJSON
	in3.getJSON("/api/v1/requests/IT-00000", &r)
	if c := r.clock("it-sales-incidents", "resolution"); c.TargetS != 7200 {
		t.Errorf("the first request has a %ds target after the resumed re-match, want 7200", c.TargetS)
	}
}

// TestAReloadOfSomeSLAsRematchesOnlyTheRequestsItMayChange: an edit of
// what limits one SLA's clocks re-matches, in the background, only the
// open requests with a clock under it, and says so; one of what it
// matches, those too that it may take now; the first OLA added, those it
// may hold.
func TestAReloadOfSomeSLAsRematchesOnlyTheRequestsItMayChange(t *testing.T) {
	dir := t.TempDir()
	clock := testutil.NewClock(testNow)
	cfgFile := copyConfig(t, dir)
	in := start(t, cfgFile, filepath.Join(dir, "data"), clock.Now)
	in.openMany(3) // Sales' P1 incidents: it-sales-incidents and it-oncall
	for _, e := range []map[string]any{
		event("h", "HR-1", "opened", "2026-11-24T08:00:00Z", "provider", "it", "customer", "hr", "priority", "P1"), // HR's: it-oncall only
		event("p3", "IT-P3", "opened", "2026-11-24T08:00:00Z", "provider", "it", "customer", "sales", "priority", "P3", "category", "incident"),
	} {
		if status, body := in.post(adminToken, e); status != 200 {
			t.Fatalf("post: %d %v", status, body)
		}
	}
	reload := func() string {
		t.Helper()
		mark := len(in.logs.String())
		if status, body := in.do("POST", "/-/reload", adminToken, "", nil); status != 200 {
			t.Fatalf("reload: %d %s", status, body)
		}
		in.waitRematched()
		return in.logs.String()[mark:]
	}
	const narrowed = `folding again only those the edit may change: with a clock under the SLAs it changed, taken now by one whose selection it changed, or, when it changed the customer reasons, ever paused; `

	editConfig(t, cfgFile, "resolution: {P1: 4h, P2: 1d}", "resolution: {P1: 2h, P2: 1d}")
	if logs := reload(); !strings.Contains(logs, narrowed) || !strings.Contains(logs, `slas=1 first=[it-sales-incidents]`) {
		t.Errorf("the re-match after an edit of it-sales-incidents' target does not say it is narrowed to it:\n%s", logs)
	}
	var r requestJSON
	in.getJSON("/api/v1/requests/IT-00002", &r)
	if c := r.clock("it-sales-incidents", "resolution"); c.TargetS != 7200 {
		t.Errorf("after the re-match IT-00002 has a %ds resolution target, want the new 7200", c.TargetS)
	}

	editConfig(t, cfgFile, "match: {priority: [P1, P2], category: [incident]}", "match: {priority: [P1, P2, P3], category: [incident]}")
	if logs := reload(); !strings.Contains(logs, narrowed) || !strings.Contains(logs, `slas=1 first=[it-sales-incidents]`) {
		t.Errorf("the re-match after an edit of what it-sales-incidents matches does not say it is narrowed to it:\n%s", logs)
	}
	in.getJSON("/api/v1/requests/IT-P3", &r)
	if c := r.clock("it-sales-incidents", "response"); c.TargetS != 1800 {
		t.Errorf("after the re-match the P3 incident has a %ds response target under it-sales-incidents, want 1800", c.TargetS)
	}

	editConfig(t, cfgFile, "slas:\n", `slas:
  - id: sales-ola
    description: Sales hands IT's requests back within a day
    provider: sales
    customers: [it]
    measures: holding
    resolution: 1d
    objective: 90%
    window: 30d
`)
	if logs := reload(); !strings.Contains(logs, narrowed) || !strings.Contains(logs, `slas=1 first=[sales-ola]`) {
		t.Errorf("the re-match after the first OLA was added does not say it is narrowed to it:\n%s", logs)
	}
}
