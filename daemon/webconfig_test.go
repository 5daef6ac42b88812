package daemon

import (
	"context"
	"crypto/tls"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/slad-project/slad/internal/testutil"
)

// bcryptOf hashes a password for basic_auth_users.
func bcryptOf(t *testing.T, password string) string {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(hash)
}

// do sends method url with the given Authorization set-up and returns the
// status; a POST to the events endpoint carries an event, any other none.
func do(t *testing.T, c *http.Client, method, url string, auth func(*http.Request)) int {
	t.Helper()
	var body *strings.Reader
	if method == "POST" && strings.HasSuffix(url, "/api/v1/events") { // a reload takes no body
		body = strings.NewReader(`{"id":"w-` + time.Now().Format("150405.000000000") + `","request":"IT-9","type":"opened","at":"` +
			time.Now().UTC().Add(-time.Minute).Format(time.RFC3339) + `","provider":"it","customer":"sales"}`)
	} else {
		body = strings.NewReader("")
	}
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if auth != nil {
		auth(req)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func basicAuth(user, password string) func(*http.Request) {
	return func(r *http.Request) { r.SetBasicAuth(user, password) }
}

func bearer(t *testing.T, tokenFile string) func(*http.Request) {
	t.Helper()
	tok, err := os.ReadFile(filepath.Join("testdata", tokenFile))
	if err != nil {
		t.Fatal(err)
	}
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok))) }
}

// TestWebConfigAddsBasicAuth: the exporter-toolkit web configuration's
// users protect /metrics and the pages people read, as in every
// Prometheus component, while probes stay open and senders keep using
// their bearer tokens (the test configuration has tokens).
func TestWebConfigAddsBasicAuth(t *testing.T) {
	dir := t.TempDir()
	cfg := copyConfig(t, dir)
	webCfg := testutil.WriteFile(t, dir, "web.yml", "basic_auth_users:\n  prometheus: "+bcryptOf(t, "s3cret")+"\n")
	url := startWith(t, Options{ConfigFile: cfg, DataDir: filepath.Join(dir, "data"), WebConfigFile: webCfg}).url
	c := &http.Client{}
	for _, tc := range []struct {
		what, method, path string
		auth               func(*http.Request)
		want               int
	}{
		{"metrics without credentials", "GET", "/metrics", nil, http.StatusUnauthorized},
		{"metrics with credentials", "GET", "/metrics", basicAuth("prometheus", "s3cret"), http.StatusOK},
		{"metrics with a wrong password", "GET", "/metrics", basicAuth("prometheus", "guess"), http.StatusUnauthorized},
		{"the status page with credentials", "GET", "/", basicAuth("prometheus", "s3cret"), http.StatusOK},
		{"liveness probe", "GET", "/healthz", nil, http.StatusOK},
		{"readiness probe", "GET", "/readyz", nil, http.StatusOK},
		{"an event with the sender's token", "POST", "/api/v1/events", bearer(t, "it-token"), http.StatusOK},
		{"an event with basic auth", "POST", "/api/v1/events", basicAuth("prometheus", "s3cret"), http.StatusUnauthorized},
		{"a reload with the admin token", "POST", "/-/reload", bearer(t, "admin-token"), http.StatusOK},
	} {
		if got := do(t, c, tc.method, url+tc.path, tc.auth); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.what, got, tc.want)
		}
	}
}

// TestWebConfigServesTLSAndAppliesEditsWithoutARestart: a self-signed
// certificate serves HTTPS; a user added to the file (as exporter-toolkit
// re-reads it) may log in on the next request.
func TestWebConfigServesTLSAndAppliesEditsWithoutARestart(t *testing.T) {
	dir := t.TempDir()
	cert := testutil.NewSelfSigned(t, dir)
	tlsPart := "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n" // relative to the web config
	webCfg := testutil.WriteFile(t, dir, "web.yml", tlsPart+"basic_auth_users:\n  alice: "+bcryptOf(t, "a")+"\n")
	in := startWith(t, Options{ConfigFile: copyConfig(t, dir), DataDir: filepath.Join(dir, "data"), WebConfigFile: webCfg})
	url := strings.Replace(in.url, "http://", "https://", 1)
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: cert.Pool}}}
	if got := do(t, c, "GET", url+"/api/v1/slas", basicAuth("alice", "a")); got != http.StatusOK {
		t.Fatalf("over TLS with alice: %d", got)
	}
	if got := do(t, c, "POST", url+"/api/v1/events", bearer(t, "it-token")); got != http.StatusOK {
		t.Errorf("an event over TLS with the sender's token: %d", got)
	}
	if got := do(t, c, "GET", url+"/api/v1/slas", basicAuth("bob", "b")); got != http.StatusUnauthorized {
		t.Fatalf("bob before he is added: %d", got)
	}
	// A later modification time, whatever the file system's resolution.
	testutil.WriteFile(t, dir, "web.yml", tlsPart+"basic_auth_users:\n  alice: "+bcryptOf(t, "a")+"\n  bob: "+bcryptOf(t, "b")+"\n")
	later := time.Now().Add(2 * time.Second)
	if err := os.Chtimes(webCfg, later, later); err != nil {
		t.Fatal(err)
	}
	if got := do(t, c, "GET", url+"/api/v1/slas", basicAuth("bob", "b")); got != http.StatusOK {
		t.Errorf("bob after he was added: %d", got)
	}
	if got := do(t, &http.Client{}, "GET", in.url+"/healthz", nil); got == http.StatusOK {
		t.Errorf("plain HTTP was answered on the TLS port")
	}

	// A file broken while slad runs refuses what needs credentials, while
	// new TLS connections go on with the last certificate read, so that
	// the probes answer.
	testutil.WriteFile(t, dir, "web.yml", tlsPart+"basic_auth_users:\n  alice: "+bcryptOf(t, "a")+"\nbogus: [\n")
	broken := later.Add(2 * time.Second)
	if err := os.Chtimes(webCfg, broken, broken); err != nil {
		t.Fatal(err)
	}
	fresh := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: cert.Pool}, DisableKeepAlives: true}}
	for _, probe := range []string{"/healthz", "/readyz"} {
		if got := do(t, fresh, "GET", url+probe, nil); got != http.StatusOK {
			t.Errorf("%s over a new TLS connection with the web configuration broken: %d, want 200", probe, got)
		}
	}
	if got := do(t, fresh, "GET", url+"/api/v1/slas", basicAuth("alice", "a")); got != http.StatusInternalServerError {
		t.Errorf("alice with the web configuration broken: %d, want 500 (refused)", got)
	}
}

func TestBadWebConfigStopsTheStart(t *testing.T) {
	dir := t.TempDir()
	webCfg := filepath.Join(dir, "web.yml")
	if err := os.WriteFile(webCfg, []byte("tls_server_config:\n  cert_file: /nonexistent.crt\n  key_file: /nonexistent.key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := New(Options{ConfigFile: copyConfig(t, dir), DataDir: filepath.Join(dir, "data"), Listen: "127.0.0.1:0", WebConfigFile: webCfg})
	if err == nil {
		// It should not have started: the test fails below, and only
		// stops it first so that it does not outlive the test.
		_ = d.Stop(context.Background())
	}
	if err == nil || !strings.Contains(err.Error(), "web config") {
		t.Fatalf("err = %v, want a web config error", err)
	}
}
