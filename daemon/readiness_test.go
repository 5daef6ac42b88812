package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/slad-project/slad/internal/testutil"
)

// smallDisk mounts a tmpfs of size bytes at a new directory, or skips the
// test where mounting is not allowed (not root, no mount namespace).
func smallDisk(t *testing.T, size int) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d,mode=0700", size)); err != nil {
		t.Skipf("a full disk needs a small file system: mount tmpfs: %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// fill writes a file into dir until the disk is full.
func fill(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			return path
		}
	}
}

// readyz returns /readyz's status and body.
func (in *instance) readyz() (int, string) {
	in.t.Helper()
	status, body := in.do("GET", "/readyz", "", "", nil)
	return status, string(body)
}

// With the disk full every commit failed while /readyz stayed 200. It must
// say 503, with the reason, until a commit succeeds again, and slad must
// recover by itself once a little space is freed, with no event needed.
func TestReadinessFollowsADiskThatFillsAndIsFreed(t *testing.T) {
	disk := smallDisk(t, 8<<20)
	dir := t.TempDir()
	in := start(t, copyConfig(t, dir), filepath.Join(disk, "data"), time.Now)
	if status, body := in.readyz(); status != 200 {
		t.Fatalf("a fresh slad: %d %s", status, body)
	}
	filler := fill(t, disk)

	at := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	var status int
	var answer map[string]any
	for i := 0; i < 50; i++ {
		var batch []map[string]any
		for j := range 50 {
			id := fmt.Sprintf("IT-%d-%d", i, j)
			batch = append(batch, event(id+"-o", id, "opened", at, "provider", "it", "customer", "sales", "title", strings.Repeat("t", 500)))
		}
		if status, answer = in.post(itToken, batch...); status != 200 {
			break
		}
	}
	if status != http.StatusServiceUnavailable {
		t.Fatalf("ingest on a full disk: %d %v, want 503", status, answer)
	}
	status, body := in.readyz()
	if status != http.StatusServiceUnavailable || !strings.Contains(body, "cannot commit") || !strings.Contains(body, "no space left on device") {
		t.Errorf("/readyz on a full disk: %d %s; want 503 saying the database cannot commit, and why", status, body)
	}
	if _, m := in.do("GET", "/metrics", "", "", nil); !strings.Contains(string(m), "slad_store_last_commit_successful 0") {
		t.Errorf("/metrics does not show the failing commits")
	}

	// Free a little space: the evaluation tick's probe finds commits work.
	if err := os.Truncate(filler, 0); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for status, body = in.readyz(); status != 200; status, body = in.readyz() {
		if time.Now().After(deadline) {
			t.Fatalf("/readyz still %d %s 20s after space was freed", status, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if status, answer := in.post(itToken, event("after-o", "after", "opened", at, "provider", "it", "customer", "sales")); status != 200 {
		t.Errorf("ingest once space is free: %d %v", status, answer)
	}
	if _, m := in.do("GET", "/metrics", "", "", nil); !strings.Contains(string(m), "slad_store_last_commit_successful 1") {
		t.Errorf("/metrics does not show the commits working again")
	}
}

// A receiver that hangs kept its alert safely in the outbox at the
// shutdown deadline, but Stop failed, so the binary exited 1 and systemd
// reported a failed stop. Nothing durable is lost: Stop succeeds and says
// what is left for the next start.
func TestAStopCutShortByAHangingReceiverSucceeds(t *testing.T) {
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
	t.Cleanup(func() { close(release); hang.Close() })
	cfgFile := writeAlertConfig(t, dir, hang.URL)
	cfg, err := os.ReadFile(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	// An attempt may take a minute: longer than the shutdown deadline.
	testutil.WriteFile(t, dir, "config.yaml", strings.Replace(string(cfg), "secret_file: hook-secret}", "secret_file: hook-secret, timeout: 1m}", 1))
	clock := testutil.NewClock(lifeStart)
	in := startWith(t, Options{ConfigFile: cfgFile, DataDir: filepath.Join(dir, "data"), Now: clock.Now, ShutdownTimeout: time.Second})
	in.post("", event("e1", "IT-1", "opened", lifeStart.Format(time.RFC3339), "provider", "it", "customer", "sales"))
	clock.Set(lifeStart.Add(4*time.Hour + time.Minute)) // breached
	select {
	case <-called:
	case <-time.After(30 * time.Second):
		t.Fatal("the breach was never sent")
	}
	start := time.Now()
	if err := in.d.Stop(context.Background()); err != nil {
		t.Errorf("Stop = %v, want nil: the alert is safe in the outbox", err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("Stop took %s with a deadline of 1s", took)
	}
	if logs := in.logs.String(); !strings.Contains(logs, "1 alert left in the outbox for the next start") {
		t.Errorf("the log does not say what was left:\n%s", logs)
	}
}

// The catch-up tick after a long downtime may run for minutes, past the
// shutdown deadline. The stop succeeds all the same and says the tick was
// still running; the retention sweep, which waits for the catch-up before
// its first pass, does not hold it up (it made Stop fail, and the binary
// exit 1, when a stop came during a long catch-up).
func TestAStopCutShortByALongCatchUpTickSucceeds(t *testing.T) {
	dir := t.TempDir()
	logs := &testutil.SyncBuffer{}
	d, err := New(Options{
		ConfigFile: writeTickConfig(t, dir), DataDir: filepath.Join(dir, "data"), Listen: "127.0.0.1:0",
		Now: testutil.NewClock(lifeStart).Now, ShutdownTimeout: 500 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	d.ticking.Lock() // the catch-up tick runs until the test lets it go
	if err := d.Start(context.Background()); err != nil {
		d.ticking.Unlock()
		t.Fatal(err)
	}
	err = d.Stop(context.Background())
	d.ticking.Unlock()
	d.catchUp.Wait()
	if err != nil {
		t.Errorf("Stop = %v, want nil: the catch-up commits what it decided as it goes\n%s", err, logs)
	}
	if !strings.Contains(logs.String(), "an evaluation tick was still running at the deadline") {
		t.Errorf("the log does not say the tick was still running:\n%s", logs)
	}
}
