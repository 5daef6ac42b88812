package api

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/store"
)

const scopeConfig = `
departments:
  it: {name: IT}
  hr: {name: HR}
  sales: {name: Sales}
tokens:
  - {name: it-bridge, token_file: it-token, departments: [it]}
  - {name: hr-bridge, token_file: hr-token, departments: [hr]}
slas:
  - id: hr-sales
    provider: hr
    customers: [sales]
    resolution: 1d
    objective: 95%
    window: 30d
`

// Regression (found in review):  a token's scope is checked against the provider the
// event claims while the request is unknown (pending), and that claim is
// never compared with the provider of the "opened" that comes later. The IT
// token can therefore pre-seed a "cancelled" for HR's next ticket id; when
// HR opens it, the request is cancelled at once and drops out of HR's
// compliance figures. (DESIGN: "a token may only send events for requests
// whose provider is in its departments".)
func TestATokenCannotCancelAnotherDepartmentsRequestBeforeItOpens(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "it-token"), []byte("it-secret-0123456789abcdef0123456789"), 0o600)
	os.WriteFile(filepath.Join(dir, "hr-token"), []byte("hr-secret-0123456789abcdef0123456789"), 0o600)
	cfg, err := config.LoadBytes(filepath.Join(dir, "c.yaml"), []byte(scopeConfig), dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(store.Options{Dir: t.TempDir(), Policy: cfg.Policy})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv, err := New(Options{Store: st, Config: func() *config.Config { return cfg }})
	if err != nil {
		t.Fatal(err)
	}
	ts := serve(t, srv)
	at := time.Now().UTC().Add(-time.Minute).Format(time.RFC3339)
	post := func(token, body string) (int, string) {
		req, _ := http.NewRequest("POST", ts+"/api/v1/events", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(data)
	}
	itStatus, itBody := post("it-secret-0123456789abcdef0123456789",
		fmt.Sprintf(`{"id":"sabotage","request":"HR-100","type":"cancelled","at":%q,"provider":"it"}`, at))
	hrStatus, hrBody := post("hr-secret-0123456789abcdef0123456789",
		fmt.Sprintf(`{"id":"hr-open","request":"HR-100","type":"opened","at":%q,"provider":"hr","customer":"sales"}`, at))
	v, err := st.Request("HR-100")
	if err != nil {
		t.Fatal(err)
	}
	if v.Request.Status == "cancelled" {
		t.Errorf("the IT token cancelled HR's request HR-100 (IT: %d %s; HR: %d %s)", itStatus, strings.TrimSpace(itBody), hrStatus, strings.TrimSpace(hrBody))
	}
}

func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}
