package daemon

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slad-project/slad/internal/testutil"
)

// Evaluation ticks run one at a time: the catch-up tick of Start is not
// cron's job, and the first scheduled tick must not run beside it (nor a
// tick of a schedule a reload replaced). Two at once read and decide the
// same due requests, each tick counting them.
func TestEvaluationTicksRunOneAtATime(t *testing.T) {
	dir := t.TempDir()
	cfg := writeTickConfig(t, dir)
	clock := testutil.NewClock(lifeStart)
	in := start(t, cfg, filepath.Join(dir, "data"), clock.Now)
	const n = 3000 // two chunks of the store's tick
	events := make([]map[string]any, n)
	for i := range events {
		events[i] = event(fmt.Sprint("o", i), fmt.Sprint("IT-", i), "opened", lifeStart.Format(time.RFC3339), "provider", "it", "customer", "sales")
	}
	if status, body := in.post("", events...); status != 200 {
		t.Fatalf("open %d requests: %d %v", n, status, body)
	}
	in.d.catchUp.Wait()

	clock.Set(lifeStart.Add(2 * time.Hour)) // every response breached
	var ticks sync.WaitGroup
	for range 2 {
		ticks.Go(in.d.evaluate)
	}
	ticks.Wait()
	looked := 0
	for _, m := range regexp.MustCompile(`msg="evaluation fired (?:alerts|no alert)" requests=(\d+)`).FindAllStringSubmatch(in.logs.String(), -1) {
		k, _ := strconv.Atoi(m[1])
		looked += k
	}
	if looked != n {
		t.Errorf("two ticks started together looked at %d due requests in all, want each of the %d once", looked, n)
	}
}

// A tick that waited for another while slad stopped does nothing when its
// turn comes: the store is closed by then.
func TestATickThatWaitedThroughAStopDoesNothing(t *testing.T) {
	dir := t.TempDir()
	in := start(t, writeTickConfig(t, dir), filepath.Join(dir, "data"), testutil.NewClock(lifeStart).Now)
	in.d.catchUp.Wait()
	in.d.ticking.Lock() // a tick that runs
	waited := make(chan struct{})
	go func() {
		defer close(waited)
		in.d.evaluate()
	}()
	if err := in.stop(); err != nil {
		t.Fatal(err)
	}
	in.d.ticking.Unlock()
	<-waited
	logs := in.logs.String()
	stopped := strings.Index(logs, `msg="slad stopped"`)
	if stopped < 0 {
		t.Fatalf("the daemon never said it stopped:\n%s", logs)
	}
	if after := logs[stopped:]; strings.Contains(after, "level=ERROR") || strings.Contains(after, "level=WARN") {
		t.Errorf("the tick that waited through the stop ran on the closed store:\n%s", after)
	}
}

// A tick that a stop's deadline cut short, the store closed under it, ends
// with a line that says so, not with errors: nothing is lost, and the
// stop step warned of it.
func TestATickTheStoreClosedUnderEndsWithoutAnError(t *testing.T) {
	dir := t.TempDir()
	clock := testutil.NewClock(lifeStart)
	in := start(t, writeTickConfig(t, dir), filepath.Join(dir, "data"), clock.Now)
	if status, body := in.post("", event("o1", "IT-1", "opened", lifeStart.Format(time.RFC3339), "provider", "it", "customer", "sales")); status != 200 {
		t.Fatalf("open a request: %d %v", status, body)
	}
	in.d.catchUp.Wait()
	clock.Set(lifeStart.Add(2 * time.Hour)) // its response breached: the tick has work
	if err := in.d.store.Close(); err != nil {
		t.Fatal(err)
	}
	mark := len(in.logs.String())
	in.d.evaluate()
	logs := in.logs.String()[mark:]
	if strings.Contains(logs, "level=ERROR") || strings.Contains(logs, "level=WARN") {
		t.Errorf("a tick on a store closed under it logged errors:\n%s", logs)
	}
	if !strings.Contains(logs, "evaluation tick cut short by the stop") {
		t.Errorf("the tick did not say the stop cut it short:\n%s", logs)
	}
}

// writeTickConfig writes a configuration of one SLA, IT's 1h response to
// Sales, alerts to slad's log, scheduled ticks a day apart: the tests run
// the ticks.
func writeTickConfig(t *testing.T, dir string) string {
	t.Helper()
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte(`
global:
  evaluation_schedule: "@every 24h"
  timezone: UTC
departments:
  it: {notify: [console]}
  sales: {}
receivers:
  console: {type: log}
slas:
  - id: it-sales
    description: IT answers Sales within the hour
    provider: it
    customers: [sales]
    response: 1h
    objective: 95%
    window: 30d
`), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg
}
