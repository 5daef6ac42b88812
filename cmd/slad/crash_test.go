package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/slad-project/slad/internal/testutil"
)

// buildSlad compiles the slad binary into dir.
func buildSlad(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "slad")
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH to build the binary with")
	}
	cmd := exec.Command(goBin, "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

var listenRE = regexp.MustCompile(`msg="slad started" listen=(\S+)`)

// startSlad runs the binary, with extra flags for serve, and waits for the
// log line saying where it listens. Its log is written by a goroutine while
// the test reads it, hence the sync buffer.
func startSlad(t *testing.T, bin, cfg, data string, extra ...string) (*exec.Cmd, string, *testutil.SyncBuffer) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--config", cfg, "--data", data, "--listen", "127.0.0.1:0"}, extra...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	logs := &testutil.SyncBuffer{}
	addr := make(chan string, 1)
	read := make(chan struct{})
	logsRead.Store(cmd, read)
	go func() {
		defer close(read)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			_, _ = logs.Write([]byte(line + "\n"))
			if m := listenRE.FindStringSubmatch(line); m != nil {
				addr <- m[1]
			}
		}
		close(addr)
	}()
	select {
	case a, ok := <-addr:
		if !ok {
			cmd.Wait()
			t.Fatalf("slad exited before listening:\n%s", logs)
		}
		return cmd, "http://" + a, logs
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("slad did not start within 60s")
	}
	return nil, "", nil
}

// logsRead holds, for each process startSlad started, a channel closed
// once its log has been read to the end.
var logsRead sync.Map // *exec.Cmd → chan struct{}

// waitSlad waits for a process startSlad started: for its log to be read
// to the end (the process has exited then), then for exec's Wait, which
// closes the pipe the log is read from and would cut its last lines off
// if called first.
func waitSlad(cmd *exec.Cmd) error {
	if read, ok := logsRead.Load(cmd); ok {
		<-read.(chan struct{})
		logsRead.Delete(cmd)
	}
	return cmd.Wait()
}

func writeCrashConfig(t *testing.T, dir string) string {
	t.Helper()
	cfg := `
global: {evaluation_schedule: "@every 1s"}
departments:
  it: {name: IT, notify: [console]}
  sales: {name: Sales}
receivers:
  console: {type: log}
slas:
  - id: it-sales
    description: IT answers Sales
    provider: it
    customers: [sales]
    response: 1h
    objective: 95%
    window: 30d
`
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestCrashLosesNoAcknowledgedEvent kills slad with SIGKILL while clients
// write, restarts it, and looks for every event it acknowledged.
func TestCrashLosesNoAcknowledgedEvent(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped with -short")
	}
	dir := t.TempDir()
	bin := buildSlad(t, dir)
	cfg := writeCrashConfig(t, dir)
	data := filepath.Join(dir, "data")
	cmd, url, _ := startSlad(t, bin, cfg, data)

	var mu sync.Mutex
	var acked []string
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			client := &http.Client{Timeout: 10 * time.Second}
			for i := 0; ctx.Err() == nil && i < 100000; i++ {
				req := fmt.Sprintf("W%d-%d", w, i)
				body := fmt.Sprintf(`{"id":"%s-o","request":"%s","type":"opened","at":"%s","provider":"it","customer":"sales"}`,
					req, req, time.Now().UTC().Format(time.RFC3339))
				resp, err := client.Post(url+"/api/v1/events", "application/json", bytes.NewBufferString(body))
				if err != nil {
					return // the server is gone
				}
				// The status line already says whether the batch was
				// stored; the kill may cut the rest of the answer short.
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 {
					mu.Lock()
					acked = append(acked, req)
					mu.Unlock()
				}
			}
		})
	}
	// Let the writers get going, then kill without warning.
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 300 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = waitSlad(cmd)
	cancel()
	wg.Wait()
	if len(acked) == 0 {
		t.Fatal("no event was acknowledged before the kill")
	}

	cmd, url, logs := startSlad(t, bin, cfg, data)
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		_ = waitSlad(cmd)
	}()
	missing := 0
	for _, req := range acked {
		resp, err := http.Get(url + "/api/v1/requests/" + req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			missing++
			if missing < 5 {
				t.Errorf("acknowledged request %s is missing after the crash (status %d)", req, resp.StatusCode)
			}
		}
	}
	t.Logf("%d acknowledged events before SIGKILL, %d missing after restart", len(acked), missing)
	if missing > 0 {
		t.Fatalf("%d acknowledged events lost\n%s", missing, logs)
	}
}
