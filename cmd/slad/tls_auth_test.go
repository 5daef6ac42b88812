package main

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/slad-project/slad/internal/testutil"
)

// TestTheBinaryTakesBasicAuthForPeopleAndTokensForSendersOverTLS runs slad
// as an operator deploys it beyond localhost: a self-signed certificate,
// basic auth for people and Prometheus, bearer tokens for senders and the
// admin. Before, the web configuration's basic auth guarded every path, so
// no event could be sent with a token, the probes answered 401, the
// commands could not send a password, and slad report blamed --token-file.
func TestTheBinaryTakesBasicAuthForPeopleAndTokensForSendersOverTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := buildSlad(t, dir)
	cert := testutil.NewSelfSigned(t, dir)
	hash, err := bcrypt.GenerateFromPassword([]byte("ann's password"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	web := testutil.WriteFile(t, dir, "web.yml",
		"tls_server_config: {cert_file: cert.pem, key_file: key.pem}\nbasic_auth_users:\n  ann: "+string(hash)+"\n")
	senderToken := testutil.WriteFile(t, dir, "sender-token", "sender-0123456789abcdef0123456789abcdef\n")
	adminToken := testutil.WriteFile(t, dir, "admin-token", "admin-0123456789abcdef0123456789abcdef\n")
	annFile := testutil.WriteFile(t, dir, "ann", "ann:ann's password\n")
	cfg := writeCrashConfig(t, dir)
	f, err := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("tokens:\n  - {name: sender, token_file: sender-token, departments: [it]}\n  - {name: admin, token_file: admin-token, admin: true}\n"); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	events := filepath.Join(dir, "events.ndjson")
	writeNDJSON(t, events, 20)

	cmd, url, logs := startSlad(t, bin, cfg, filepath.Join(dir, "data"), "--web.config.file", web)
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		_ = waitSlad(cmd)
		if t.Failed() {
			t.Logf("slad's log:\n%s", logs)
		}
	})
	url = strings.Replace(url, "http://", "https://", 1)
	https := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: cert.Pool}}}

	t.Run("probes answer without credentials", func(t *testing.T) {
		for _, path := range []string{"/healthz", "/readyz"} {
			if status, _, body := get(t, https, url+path, ""); status != http.StatusOK {
				t.Errorf("%s: %d %s", path, status, body)
			}
		}
	})
	t.Run("Prometheus scrapes with basic auth, and a 401 is JSON", func(t *testing.T) {
		status, h, body := get(t, https, url+"/metrics", "")
		var e struct{ Error string }
		if status != http.StatusUnauthorized || json.Unmarshal([]byte(body), &e) != nil || e.Error == "" || !strings.HasPrefix(h.Get("WWW-Authenticate"), "Basic") {
			t.Errorf("without credentials: %d %v %s", status, h.Values("WWW-Authenticate"), body)
		}
		if status, _, _ := get(t, https, url+"/metrics", "ann:ann's password"); status != http.StatusOK {
			t.Errorf("with ann's password: %d", status)
		}
	})
	server := []string{"--server", url, "--tls-ca-file", cert.CertFile}
	t.Run("a sender imports with its token", func(t *testing.T) {
		if code, out := runBinary(t, bin, "import", append(server, "--token-file", senderToken, events)...); code != 0 || !strings.Contains(out, "imported 20 events") {
			t.Errorf("exit %d:\n%s", code, out)
		}
	})
	t.Run("a person reports with basic auth", func(t *testing.T) {
		if code, out := runBinary(t, bin, "report", append(server, "--basic-auth-file", annFile)...); code != 0 || !strings.Contains(out, "it-sales") {
			t.Errorf("exit %d:\n%s", code, out)
		}
	})
	t.Run("a report without credentials names the basic-auth file, not the token file", func(t *testing.T) {
		code, out := runBinary(t, bin, "report", server...)
		if code != 1 || !strings.Contains(out, "--basic-auth-file") || strings.Contains(out, "Check --token-file") {
			t.Errorf("exit %d:\n%s", code, out)
		}
	})
	t.Run("the admin backs up with the admin token", func(t *testing.T) {
		copyFile := filepath.Join(dir, "copy.db")
		if code, out := runBinary(t, bin, "backup", append(server, "--token-file", adminToken, copyFile)...); code != 0 {
			t.Errorf("exit %d:\n%s", code, out)
		}
		if fi, err := os.Stat(copyFile); err != nil || fi.Size() == 0 {
			t.Errorf("no copy: %v", err)
		}
	})
	t.Run("the self-signed certificate is refused unless trusted or the check is skipped", func(t *testing.T) {
		if code, out := runBinary(t, bin, "report", "--server", url, "--basic-auth-file", annFile); code != 1 || !strings.Contains(out, "certificate") {
			t.Errorf("without --tls-ca-file: exit %d:\n%s", code, out)
		}
		if code, out := runBinary(t, bin, "report", "--server", url, "--basic-auth-file", annFile, "--tls-insecure-skip-verify"); code != 0 {
			t.Errorf("with --tls-insecure-skip-verify: exit %d:\n%s", code, out)
		}
	})
}

// get sends GET url with basic auth "user:password" (none when empty).
func get(t *testing.T, c *http.Client, url, userPassword string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if user, password, ok := strings.Cut(userPassword, ":"); ok {
		req.SetBasicAuth(user, password)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(body)
}

// runBinary runs a command of the binary and returns its exit code and output.
func runBinary(t *testing.T, bin, command string, args ...string) (int, string) {
	t.Helper()
	out, err := exec.Command(bin, append([]string{command}, args...)...).CombinedOutput()
	if ee, ok := errors.AsType[*exec.ExitError](err); ok {
		return ee.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}
