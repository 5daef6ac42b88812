package daemon

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// TestWebConfigAddsBasicAuth: the exporter-toolkit web configuration
// protects every endpoint, as in every Prometheus component.
func TestWebConfigAddsBasicAuth(t *testing.T) {
	dir := t.TempDir()
	cfg := copyConfig(t, dir)
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webCfg := filepath.Join(dir, "web.yml")
	if err := os.WriteFile(webCfg, []byte("basic_auth_users:\n  prometheus: "+string(hash)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	url := startWith(t, Options{ConfigFile: cfg, DataDir: filepath.Join(dir, "data"), WebConfigFile: webCfg}).url
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("without credentials: %d, want 401", resp.StatusCode)
	}
	req, _ := http.NewRequest("GET", url+"/metrics", nil)
	req.SetBasicAuth("prometheus", "s3cret")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("with credentials: %d, want 200", resp.StatusCode)
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
