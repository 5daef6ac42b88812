package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestPlanAndBackupWithNobodyListeningSuggestServer: like slad report,
// slad plan and slad backup say that no slad answers at --server and what
// to do (plan: or --data for a stopped slad), not a Go dial error.
func TestPlanAndBackupWithNobodyListeningSuggestServer(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte("slas: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		args []string
		want []string
	}{
		"plan":   {[]string{"plan", "--config", cfg, "--server", dead.URL}, []string{"slad plan: no slad answers at " + dead.URL + " (connection refused)", "--server", "--data DIR --current OLD.yaml"}},
		"backup": {[]string{"backup", "--server", dead.URL, filepath.Join(dir, "copy.db")}, []string{"slad backup: no slad answers at " + dead.URL + " (connection refused)", "'slad serve'", "--server"}},
	} {
		t.Run(name, func(t *testing.T) {
			code, _, stderr := slad(t, tc.args...)
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			for _, want := range tc.want {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr = %q, want it to contain %q", stderr, want)
				}
			}
			if strings.Contains(stderr, "dial tcp") {
				t.Errorf("stderr shows the dial error: %q", stderr)
			}
		})
	}
}

// TestAnImportThatFoundNoServerSaysSo: once its tries are spent on a
// server that is not there, slad import says that no slad answers at
// --server and what to do, beside what was stored.
func TestAnImportThatFoundNoServerSaysSo(t *testing.T) {
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}
	err := fmt.Errorf("gave up after 5 tries: post events: %w", dial)
	var out strings.Builder
	reportImportError(&out, err, newImportProgress(io.Discard, false, 3), false, "http://localhost:9780")
	for _, want := range []string{"no slad answers at http://localhost:9780 (connection refused)", "'slad serve'", "0 events were stored before"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("import says %q, want it to contain %q", out.String(), want)
		}
	}
}
