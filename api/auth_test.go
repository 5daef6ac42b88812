package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/crypto/bcrypt"

	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/store"
)

// authSetup is one way of deploying slad: basic-auth users in the web
// configuration or not, tokens or not, and global.read_access.
type authSetup struct {
	users      bool
	tokens     bool
	readAccess config.ReadAccess
}

const (
	senderToken = "sender-0123456789abcdef0123456789abcdef"
	adminToken  = "admin-0123456789abcdef0123456789abcdef"
	webUser     = "prometheus"
	webPassword = "s3cret"
)

// credential is what a test request carries in its Authorization header.
type credential string

const (
	none      credential = ""
	sender    credential = "Bearer " + senderToken
	admin     credential = "Bearer " + adminToken
	badToken  credential = "Bearer not-a-token"
	person    credential = "basic"
	badPasswd credential = "basic-wrong"
)

// newAuthServer serves a store holding one open request, IT-1 titled
// "Payroll question of Jane Doe", under setup.
func newAuthServer(t *testing.T, setup authSetup) string {
	t.Helper()
	dir := t.TempDir()
	doc := "global: {read_access: " + string(setup.readAccess) + "}\n" + ingestConfig
	if setup.tokens {
		for name, value := range map[string]string{"sender": senderToken, "admin": adminToken} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(value), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		doc += "tokens:\n  - {name: sender, token_file: sender, departments: [it]}\n  - {name: admin, token_file: admin, admin: true}\n"
	}
	var users func() (map[string]string, error)
	if setup.users {
		hash, err := bcrypt.GenerateFromPassword([]byte(webPassword), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		users = func() (map[string]string, error) { return map[string]string{webUser: string(hash)}, nil }
	}
	srv, st := newTestAPI(t, doc, dir, func(o *Options) {
		o.Reload = func(context.Context) error { return nil }
		o.Gatherer = prometheus.NewRegistry()
		o.Users = users
	})
	now := time.Now().UTC()
	first := ev("e0", "IT-1", sla.Opened, now.Add(-2*time.Hour).Format(time.RFC3339),
		opened("it", "sales", "", "", "Payroll question of Jane Doe"))
	if _, err := st.Append(context.Background(), []sla.Event{first}); err != nil {
		t.Fatal(err)
	}
	// The tick puts the breached request on the status page's list.
	if _, err := st.Evaluate(now); err != nil {
		t.Fatal(err)
	}
	return serve(t, srv)
}

// call sends method path with cred and returns the status, the
// WWW-Authenticate headers and the body.
func call(t *testing.T, base, method, path string, cred credential) (int, []string, string) {
	t.Helper()
	var body io.Reader
	if method == "POST" && path == "/api/v1/events" {
		body = strings.NewReader(fmt.Sprintf(`{"id":"e-%d","request":"IT-2","type":"opened","at":%q,"provider":"it","customer":"sales"}`,
			time.Now().UnixNano(), time.Now().UTC().Add(-time.Minute).Format(time.RFC3339)))
	}
	req, err := http.NewRequest(method, base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	switch cred {
	case person:
		req.SetBasicAuth(webUser, webPassword)
	case badPasswd:
		req.SetBasicAuth(webUser, "guess")
	case none:
	default:
		req.Header.Set("Authorization", string(cred))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Values("WWW-Authenticate"), string(data)
}

// TestEachEndpointTakesItsKindOfCredentials: basic auth (people and
// Prometheus) and bearer tokens (senders and admin commands) work side by
// side, probes stay open, and global.read_access closes request details.
// Before, the web configuration's basic auth guarded every path and the
// event API wanted a bearer token, so with both nothing could be sent.
func TestEachEndpointTakesItsKindOfCredentials(t *testing.T) {
	both := authSetup{users: true, tokens: true, readAccess: config.ReadOpen}
	usersOnly := authSetup{users: true, readAccess: config.ReadOpen}
	tokensOpen := authSetup{tokens: true, readAccess: config.ReadOpen}
	tokensClosed := authSetup{tokens: true, readAccess: config.ReadAuthenticated}
	nothingClosed := authSetup{readAccess: config.ReadAuthenticated}
	type step struct {
		method, path string
		cred         credential
		want         int
	}
	for name, tc := range map[string]struct {
		setup authSetup
		steps []step
	}{
		"probes answer without credentials even when everything else wants them": {both, []step{
			{"GET", "/healthz", none, 200}, {"GET", "/readyz", none, 200}}},
		"people read the status page, the read API and the request page with basic auth": {both, []step{
			{"GET", "/", none, 401}, {"GET", "/", person, 200}, {"GET", "/", badPasswd, 401},
			{"GET", "/api/v1/slas", none, 401}, {"GET", "/api/v1/slas", person, 200},
			{"GET", "/api/v1/report", person, 200}, {"GET", "/api/v1/breaches", person, 200},
			{"GET", "/api/v1/requests/IT-1", none, 401}, {"GET", "/api/v1/requests/IT-1", person, 200},
			{"GET", "/requests/IT-1", person, 200},
			{"GET", "/metrics", none, 401}, {"GET", "/metrics", person, 200}}},
		"a token reads too, so a sender or slad report with a token needs no password": {both, []step{
			{"GET", "/api/v1/requests/IT-1", sender, 200}, {"GET", "/api/v1/report", sender, 200},
			{"GET", "/api/v1/slas", badToken, 401}}},
		"senders post events with a bearer token, not with basic auth": {both, []step{
			{"POST", "/api/v1/events", sender, 200}, {"POST", "/api/v1/events", person, 401},
			{"POST", "/api/v1/events", none, 401}, {"POST", "/api/v1/events", badToken, 401}}},
		"admin commands take an admin token": {both, []step{
			{"POST", "/-/reload", admin, 200}, {"POST", "/-/reload", sender, 403},
			{"POST", "/-/reload", person, 401}, {"GET", "/api/v1/backup", person, 401}}},
		"without tokens the basic-auth users may also write, as before": {usersOnly, []step{
			{"POST", "/api/v1/events", person, 200}, {"POST", "/api/v1/events", none, 401},
			{"POST", "/-/reload", person, 200}, {"POST", "/-/reload", badPasswd, 401}}},
		"with tokens and no users every read is open by default": {tokensOpen, []step{
			{"GET", "/", none, 200}, {"GET", "/api/v1/requests/IT-1", none, 200},
			{"GET", "/api/v1/breaches", none, 200}, {"GET", "/requests/IT-1", none, 200}}},
		"read_access authenticated closes request details and keeps standings open": {tokensClosed, []step{
			{"GET", "/api/v1/requests/IT-1", none, 401}, {"GET", "/api/v1/requests/IT-1", sender, 200},
			{"GET", "/api/v1/breaches", none, 401}, {"GET", "/requests/IT-1", none, 401},
			{"GET", "/api/v1/requests/IT-1", badToken, 401},
			{"GET", "/", none, 200}, {"GET", "/api/v1/slas", none, 200}, {"GET", "/api/v1/report", none, 200}}},
		"read_access authenticated without any credential configured refuses details": {nothingClosed, []step{
			{"GET", "/api/v1/requests/IT-1", none, 401}, {"GET", "/api/v1/slas", none, 200}}},
	} {
		t.Run(name, func(t *testing.T) {
			base := newAuthServer(t, tc.setup)
			for _, c := range tc.steps {
				status, challenges, body := call(t, base, c.method, c.path, c.cred)
				if status != c.want {
					t.Errorf("%s %s with %q: %d, want %d: %s", c.method, c.path, c.cred, status, c.want, body)
				}
				if status != http.StatusUnauthorized {
					continue
				}
				var e struct{ Error string }
				if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error == "" {
					t.Errorf("%s %s with %q: the 401 is not a JSON error: %q", c.method, c.path, c.cred, body)
				}
				if len(challenges) == 0 && tc.setup != nothingClosed {
					t.Errorf("%s %s with %q: a 401 without WWW-Authenticate", c.method, c.path, c.cred)
				}
			}
		})
	}
}

// TestA401SaysWhichCredentialsTheEndpointTakes: a client that sent the
// wrong kind is told which kind to send, and browsers are offered basic
// auth where people log in.
func TestA401SaysWhichCredentialsTheEndpointTakes(t *testing.T) {
	base := newAuthServer(t, authSetup{users: true, tokens: true, readAccess: config.ReadOpen})
	_, challenges, body := call(t, base, "POST", "/api/v1/events", person)
	if !strings.Contains(body, "bearer token, not basic auth") || len(challenges) != 1 || !strings.HasPrefix(challenges[0], "Bearer") {
		t.Errorf("events with basic auth: %v %s", challenges, body)
	}
	_, challenges, body = call(t, base, "GET", "/api/v1/slas", none)
	if len(challenges) != 2 || !strings.HasPrefix(challenges[0], "Basic") || !strings.HasPrefix(challenges[1], "Bearer") {
		t.Errorf("a read without credentials offers %v, want Basic then Bearer: %s", challenges, body)
	}
	_, _, body = call(t, base, "GET", "/api/v1/slas", badPasswd)
	if !strings.Contains(body, "user or password is wrong") {
		t.Errorf("a wrong password: %s", body)
	}
}

// TestA401ChallengesWithTheSchemesTheEndpointTakes: WWW-Authenticate names
// each scheme the endpoint takes, and says error="invalid_token" only when
// a bearer token was sent and refused; a wrong basic-auth password got it
// too, though no token was sent.
func TestA401ChallengesWithTheSchemesTheEndpointTakes(t *testing.T) {
	const (
		basic      = `Basic realm="slad"`
		bearer     = `Bearer realm="slad"`
		badBearer  = `Bearer realm="slad", error="invalid_token"`
		read       = "/api/v1/slas"
		both       = "users and tokens"
		usersAlone = "users, no tokens"
	)
	setups := map[string]authSetup{
		both:       {users: true, tokens: true, readAccess: config.ReadOpen},
		usersAlone: {users: true, readAccess: config.ReadOpen},
	}
	for name, tc := range map[string]struct {
		setup, method, path string
		cred                credential
		want                []string
	}{
		"a read without credentials":          {both, "GET", read, none, []string{basic, bearer}},
		"a read with a wrong password":        {both, "GET", read, badPasswd, []string{basic, bearer}},
		"a read with an unknown token":        {both, "GET", read, badToken, []string{basic, badBearer}},
		"events with an unknown token":        {both, "POST", "/api/v1/events", badToken, []string{badBearer}},
		"events with basic auth":              {both, "POST", "/api/v1/events", person, []string{bearer}},
		"a reload with a wrong password":      {usersAlone, "POST", "/-/reload", badPasswd, []string{basic}},
		"a read with a wrong password, alone": {usersAlone, "GET", read, badPasswd, []string{basic}},
	} {
		t.Run(name, func(t *testing.T) {
			base := newAuthServer(t, setups[tc.setup])
			status, challenges, body := call(t, base, tc.method, tc.path, tc.cred)
			if status != http.StatusUnauthorized || !slices.Equal(challenges, tc.want) {
				t.Errorf("%d %q: %s\nwant 401 %q", status, challenges, body, tc.want)
			}
		})
	}
}

// TestTheStatusPageHidesRequestsFromAnonymousReadersUnderReadAccessAuthenticated:
// the SLA table stays, the titles of requests do not.
func TestTheStatusPageHidesRequestsFromAnonymousReadersUnderReadAccessAuthenticated(t *testing.T) {
	const title = "Payroll question of Jane Doe"
	for name, tc := range map[string]struct {
		setup     authSetup
		cred      credential
		wantTitle bool
	}{
		"open reads show the titles":                          {authSetup{tokens: true, readAccess: config.ReadOpen}, none, true},
		"authenticated reads hide them from anonymous":        {authSetup{tokens: true, readAccess: config.ReadAuthenticated}, none, false},
		"authenticated reads show them to a token":            {authSetup{tokens: true, readAccess: config.ReadAuthenticated}, sender, true},
		"basic-auth users see them on the page they log into": {authSetup{users: true, tokens: true, readAccess: config.ReadAuthenticated}, person, true},
	} {
		t.Run(name, func(t *testing.T) {
			base := newAuthServer(t, tc.setup)
			status, _, body := call(t, base, "GET", "/", tc.cred)
			if status != http.StatusOK {
				t.Fatalf("status page: %d", status)
			}
			if got := strings.Contains(body, title); got != tc.wantTitle {
				t.Errorf("title shown = %v, want %v", got, tc.wantTitle)
			}
			if !strings.Contains(body, "it-sales") {
				t.Errorf("the SLA standings are missing from the page")
			}
			if !tc.wantTitle && !strings.Contains(body, "read_access: authenticated") {
				t.Errorf("the page does not say why the requests are left out")
			}
		})
	}
}

// TestAnUnreadableWebConfigRefusesInsteadOfOpening: when the users cannot
// be read, requests that need credentials get a 500, never a free pass;
// probes still answer.
func TestAnUnreadableWebConfigRefusesInsteadOfOpening(t *testing.T) {
	dir := t.TempDir()
	cfg, err := config.LoadBytes(filepath.Join(dir, "c.yaml"), []byte(ingestConfig), dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(store.Options{Dir: t.TempDir(), Policy: cfg.Policy})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv, err := New(Options{Store: st, Config: func() *config.Config { return cfg },
		Users: func() (map[string]string, error) { return nil, os.ErrPermission }})
	if err != nil {
		t.Fatal(err)
	}
	base := serve(t, srv)
	if status, _, body := call(t, base, "GET", "/api/v1/slas", none); status != http.StatusInternalServerError {
		t.Errorf("a read: %d %s, want 500", status, body)
	}
	if status, _, body := call(t, base, "POST", "/api/v1/events", none); status != http.StatusInternalServerError {
		t.Errorf("an event: %d %s, want 500", status, body)
	}
	if status, _, _ := call(t, base, "GET", "/healthz", none); status != http.StatusOK {
		t.Errorf("/healthz: %d", status)
	}
}
