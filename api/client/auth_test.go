package client

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"testing"

	"github.com/slad-project/slad/api/wire"
)

// TestEachEndpointGetsTheCredentialItTakes: given a token and a basic-auth
// user, the client sends the token to the event and backup endpoints
// (senders, admin commands) and the user to the reads (people), since a
// request carries one Authorization header and slad takes those kinds
// there.
func TestEachEndpointGetsTheCredentialItTakes(t *testing.T) {
	for name, tc := range map[string]struct {
		opts Options
		want map[string]string // path → the credential seen
	}{
		"token and user: the token writes, the user reads": {
			Options{Token: testToken, User: "ann", Password: "pw"},
			map[string]string{eventsPath: "token", backupPath: "token", reportPath: "ann"}},
		"only a user: the user everywhere, as a server without tokens or a proxy wants": {
			Options{User: "ann", Password: "pw"},
			map[string]string{eventsPath: "ann", backupPath: "ann", reportPath: "ann"}},
		"only a token: the token everywhere": {
			Options{Token: testToken},
			map[string]string{eventsPath: "token", backupPath: "token", reportPath: "token"}},
	} {
		t.Run(name, func(t *testing.T) {
			seen := map[string]string{}
			c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				switch user, pw, ok := r.BasicAuth(); {
				case ok && pw == "pw":
					seen[r.URL.Path] = user
				case r.Header.Get("Authorization") == "Bearer "+testToken:
					seen[r.URL.Path] = "token"
				}
				switch r.URL.Path {
				case backupPath:
					w.Header().Set("Content-Type", "application/octet-stream")
				case reportPath:
					writeJSON(w, http.StatusOK, wire.Report{SLAs: []wire.ReportSLA{}})
				default:
					writeJSON(w, http.StatusOK, wire.EventsResult{})
				}
			}, tc.opts)
			ctx := context.Background()
			if _, err := c.PostNDJSON(ctx, []byte("{}\n")); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Backup(ctx, io.Discard); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Report(ctx, ReportQuery{}); err != nil {
				t.Fatal(err)
			}
			for path, want := range tc.want {
				if seen[path] != want {
					t.Errorf("%s got %q, want %q", path, seen[path], want)
				}
			}
		})
	}
}

// TestA401TellsWhatWasSentAndWhatTheServerTakes: the command can then
// name the flag to check (slad report used to blame --token-file for a
// basic-auth 401).
func TestA401TellsWhatWasSentAndWhatTheServerTakes(t *testing.T) {
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("WWW-Authenticate", `Basic realm="slad"`)
		w.Header().Add("WWW-Authenticate", `Bearer realm="slad"`)
		writeJSON(w, http.StatusUnauthorized, wire.ErrorBody{Error: "this endpoint needs credentials"})
	}, Options{User: "ann", Password: "pw"})
	_, err := c.Report(context.Background(), ReportQuery{})
	ae, ok := errors.AsType[*APIError](err)
	if !ok {
		t.Fatalf("err = %v, want an *APIError", err)
	}
	if ae.Sent != "Basic" || !slices.Equal(ae.Offered, []string{"Basic", "Bearer"}) {
		t.Errorf("Sent %q, Offered %q; want Basic and [Basic Bearer]", ae.Sent, ae.Offered)
	}
}
