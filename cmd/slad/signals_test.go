package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSignalsReloadAndStopTheBinary: SIGHUP reloads (a broken file is
// refused and the running configuration stays), SIGTERM stops cleanly.
func TestSignalsReloadAndStopTheBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped with -short")
	}
	dir := t.TempDir()
	bin := buildSlad(t, dir)
	cfg := writeCrashConfig(t, dir)
	cmd, url, logs := startSlad(t, bin, cfg, filepath.Join(dir, "data"))
	defer cmd.Process.Kill()

	scrape := func() string {
		resp, err := http.Get(url + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	waitMetric := func(line string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(scrape(), line) {
			if time.Now().After(deadline) {
				t.Fatalf("%q never appeared on /metrics\n%s", line, logs)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	good, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, cfg, strings.Replace(string(good), "response: 1h", "respnse: 1h", 1))
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitMetric("slad_config_last_reload_successful 0")
	if resp, err := http.Get(url + "/api/v1/slas/it-sales"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("the running SLA is gone after a broken reload: %v", err)
	}

	writeFile(t, cfg, strings.Replace(string(good), "response: 1h", "response: 2h", 1))
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitMetric("slad_config_last_reload_successful 1")
	resp, err := http.Get(url + "/api/v1/slas/it-sales")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"default": 7200`) {
		t.Errorf("the new target is not in force: %s", body)
	}

	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- waitSlad(cmd) }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("slad exited with %v after SIGTERM\n%s", err, logs)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("slad did not stop within 30s of SIGTERM")
	}
	if !strings.Contains(logs.String(), `msg="slad stopped"`) {
		t.Errorf("no clean stop in the log:\n%s", logs)
	}
}
