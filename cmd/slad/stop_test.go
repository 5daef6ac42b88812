package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// When a receiver hangs, the 15 s shutdown deadline cuts its delivery
// short with the alert safe in the outbox; slad exited 1 for it, and
// systemd reported a failed stop. It must exit 0 and log what it left for
// the next start.
func TestAStopCutShortByAHangingReceiverExits0(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary and waits out its 15 s shutdown deadline; skipped with -short")
	}
	dir := t.TempDir()
	called := make(chan struct{}, 1)
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case called <- struct{}{}:
		default:
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hang.Close()
	defer close(release)
	writeFile(t, filepath.Join(dir, "hook-secret"), "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n")
	cfg := writeFile(t, filepath.Join(dir, "config.yaml"), fmt.Sprintf(`
global: {evaluation_schedule: "@every 1s"}
departments:
  it: {name: IT, notify: [hook]}
  sales: {name: Sales}
receivers:
  hook: {type: webhook, url: %q, secret_file: hook-secret, timeout: 1m}
slas:
  - id: it-sales
    description: IT fixes what Sales raises
    provider: it
    customers: [sales]
    calendar: 24x7
    resolution: 1h
    objective: 95%%
    window: 30d
`, hang.URL))
	bin := buildSlad(t, dir)
	cmd, url, logs := startSlad(t, bin, cfg, filepath.Join(dir, "data"))
	defer cmd.Process.Kill()

	// Breached half an hour ago: news, sent at once. (Opened two hours
	// ago, it breached an hour before slad heard of it, and a moment's
	// delay on a busy machine made that history, held for its grace hour.)
	opened := time.Now().Add(-90 * time.Minute).UTC().Format(time.RFC3339)
	body := fmt.Sprintf(`{"id":"e1","request":"IT-1","type":"opened","at":%q,"provider":"it","customer":"sales"}`, opened)
	resp, err := http.Post(url+"/api/v1/events", "application/json", bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("ingest: %d", resp.StatusCode)
	}
	select {
	case <-called:
	case <-time.After(30 * time.Second):
		t.Fatalf("the breach was never sent\n%s", logs)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- waitSlad(cmd) }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("slad exited with %v after a stop that left an alert in the outbox, want 0\n%s", err, logs)
		}
	case <-time.After(40 * time.Second):
		t.Fatalf("slad did not stop within 40s of SIGTERM\n%s", logs)
	}
	if !strings.Contains(logs.String(), "1 alert left in the outbox for the next start") {
		t.Errorf("the log does not say what was left for the next start:\n%s", logs)
	}
}
