package daemon

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slad-project/slad/internal/testutil"
)

// TestARestartWithAChangedConfigurationRematchesOpenRequests: the usual
// deploy is edit, restart. Start must apply the edited configuration to
// open requests, or they keep the clocks, limits and deadlines of the old
// one until their next event — and GET ?explain=1 (which folds again with
// the configuration in force) contradicts the plain GET of the same
// request.
func TestARestartWithAChangedConfigurationRematchesOpenRequests(t *testing.T) {
	dir := t.TempDir()
	clock := testutil.NewClock(testNow)
	cfgFile := copyConfig(t, dir)
	data := filepath.Join(dir, "data")
	in := start(t, cfgFile, data, clock.Now)
	if status, body := in.post(adminToken,
		event("z1", "IT-9", "opened", "2026-11-24T08:00:00Z", "provider", "it", "customer", "sales", "priority", "P1", "category", "incident"),
	); status != 200 {
		t.Fatalf("post: %d %v", status, body)
	}
	if err := in.stop(); err != nil {
		t.Fatal(err)
	}
	cfg, err := os.ReadFile(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(cfg), "resolution: {P1: 4h, P2: 1d}", "resolution: {P1: 2h, P2: 1d}", 1)
	if changed == string(cfg) {
		t.Fatal("test config changed shape")
	}
	if err := os.WriteFile(cfgFile, []byte(changed), 0o600); err != nil {
		t.Fatal(err)
	}
	in2 := start(t, cfgFile, data, clock.Now)
	var plain, explained requestJSON
	in2.getJSON("/api/v1/requests/IT-9", &plain)
	in2.getJSON("/api/v1/requests/IT-9?explain=1", &explained)
	got := plain.clock("it-sales-incidents", "resolution").TargetS
	exp := explained.clock("it-sales-incidents", "resolution").TargetS
	if got != 7200 {
		t.Errorf("after a restart with P1 resolution 2h, the open request's clock still has target_seconds=%d (explain=1 says %d)", got, exp)
	}
}

func TestStopReleasesEverythingNewAndStartTook(t *testing.T) {
	cases := map[string]struct{ start bool }{
		"a daemon that never started frees its store and port": {false},
		"a started daemon frees its store and port":            {true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			opts := Options{ConfigFile: copyConfig(t, dir), DataDir: filepath.Join(dir, "data"), Listen: "127.0.0.1:0"}
			d, err := New(opts)
			if err != nil {
				t.Fatal(err)
			}
			if tc.start {
				if err := d.Start(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			addr := d.Addr().String()
			if err := d.Stop(context.Background()); err != nil {
				t.Fatalf("Stop: %v", err)
			}
			// The same data directory and port again: the store's lock and
			// the listener are gone.
			opts.Listen = addr
			again, err := New(opts)
			if err != nil {
				t.Fatalf("a new daemon on the same store and port: %v", err)
			}
			if err := again.Stop(context.Background()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestAStoppedDaemonRefusesToStartOrReload(t *testing.T) {
	dir := t.TempDir()
	in := start(t, copyConfig(t, dir), filepath.Join(dir, "data"), (testutil.NewClock(testNow)).Now)
	if err := in.d.Start(context.Background()); err == nil {
		t.Error("a second Start succeeded")
	}
	if err := in.stop(); err != nil {
		t.Fatal(err)
	}
	if err := in.stop(); err != nil {
		t.Errorf("a second Stop: %v, want the first's nil", err)
	}
	if err := in.d.Start(context.Background()); err == nil {
		t.Error("Start after Stop succeeded")
	}
	if err := in.d.Reload(context.Background()); err == nil {
		t.Error("Reload after Stop succeeded")
	}
	if _, err := http.Get(in.url + "/healthz"); err == nil {
		t.Error("the API still answers after Stop")
	}
	if logs := in.logs.String(); strings.Count(logs, `msg="slad stopped"`) != 1 {
		t.Errorf("want one \"slad stopped\" in the log:\n%s", logs)
	}
}
