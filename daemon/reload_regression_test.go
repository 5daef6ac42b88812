package daemon

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/robfig/cron/v3"

	"github.com/slad-project/slad/alert"
	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/store"
)

// Regression (found in review):  POST /-/reload passes the HTTP request's context to
// reload, and reload passes it to Rematch. When the client goes away (curl
// --max-time, a proxy timeout) Rematch stops part way: the new policy is in
// force, some open requests keep the old clocks, and reload still returns
// nil, logs "configuration reloaded" and sets
// slad_config_last_reload_successful to 1.
func TestAReloadWhoseCallerGoesAwayStillRematchesEveryOpenRequest(t *testing.T) {
	dir := t.TempDir()
	cfgFile := copyConfig(t, dir)
	cfg, err := config.Load(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	clock := &testClock{t: testNow}
	st, err := store.Open(store.Options{Dir: filepath.Join(dir, "data"), Policy: cfg.Policy, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	at := testNow.Add(-time.Hour)
	if _, err := st.Append(context.Background(), []sla.Event{{ID: "o", Request: "IT-9", Type: sla.Opened, At: at,
		Provider: "it", Customer: "sales", Priority: "P1", Category: "incident"}}); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	disp, err := alert.NewDispatcher(alert.Options{Outbox: st, Logger: log, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	d := &daemon{opts: Options{ConfigFile: cfgFile, Now: clock.Now, Logger: log}, log: log, store: st, alerts: disp,
		metrics: newMetrics(prometheus.NewRegistry(), "test", "test"), cron: cron.New()}
	d.cfg.Store(cfg)

	data, _ := os.ReadFile(cfgFile)
	os.WriteFile(cfgFile, []byte(strings.Replace(string(data), "resolution: {P1: 4h, P2: 1d}", "resolution: {P1: 2h, P2: 1d}", 1)), 0o600)
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the HTTP client hung up
	reloadErr := d.reload(ctx)
	v, err := st.Request("IT-9")
	if err != nil {
		t.Fatal(err)
	}
	if c := v.Request.Clock("it-sales-incidents", sla.Resolution); c.Limit != 2*time.Hour {
		t.Errorf("reload returned %v and reports success, but the open request still has a %s limit (the new policy says 2h)", reloadErr, c.Limit)
	}
}
