package main

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

// authServer answers every request 401 with the challenges given, as slad
// does when credentials are missing or wrong.
func authServer(t *testing.T, challenges ...string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, c := range challenges {
			w.Header().Add("WWW-Authenticate", c+` realm="slad"`)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":"no"}`))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestA401NamesTheFlagToCheck: slad report used to answer every 401 with
// "Check --token-file", also when the server wanted the basic auth of its
// web config and no token could help.
func TestA401NamesTheFlagToCheck(t *testing.T) {
	dir := t.TempDir()
	token := writeFile(t, filepath.Join(dir, "token"), secretToken+"\n")
	user := writeFile(t, filepath.Join(dir, "user"), "ann:pa:ss\n")
	for name, tc := range map[string]struct {
		args       []string
		challenges []string
		want       string
	}{
		"report without credentials where basic auth is wanted": {
			[]string{"report"}, []string{"Basic"}, "give --basic-auth-file"},
		"report with a token where only basic auth is taken": {
			[]string{"report", "--token-file", token}, []string{"Basic"}, "give --basic-auth-file"},
		"report with a wrong password": {
			[]string{"report", "--basic-auth-file", user}, []string{"Basic", "Bearer"}, "Check --basic-auth-file"},
		"report with a wrong token": {
			[]string{"report", "--token-file", token}, []string{"Basic", "Bearer"}, "Check --token-file"},
		"report without credentials where either is taken": {
			[]string{"report"}, []string{"Basic", "Bearer"}, "--basic-auth-file with a user of its web config, or --token-file"},
		"import with basic auth where a token is wanted": {
			[]string{"import", "--basic-auth-file", user, writeFile(t, filepath.Join(dir, "e.ndjson"), eventLine(0)+"\n")},
			[]string{"Bearer"}, "takes a bearer token here, not basic auth: give --token-file"},
		"backup with a wrong token": {
			[]string{"backup", "--token-file", token, filepath.Join(dir, "copy.db")}, []string{"Bearer"}, "Check --token-file"},
	} {
		t.Run(name, func(t *testing.T) {
			args := append(tc.args, "--server", authServer(t, tc.challenges...))
			code, stdout, stderr := slad(t, args...)
			if code != exitFailed || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit 1 and %q", code, stderr, tc.want)
			}
			if strings.Contains(stdout+stderr, secretToken) || strings.Contains(stdout+stderr, "pa:ss") {
				t.Errorf("a credential appears in the output:\n%s%s", stdout, stderr)
			}
		})
	}
}

func TestTheBasicAuthFileHoldsUserColonPassword(t *testing.T) {
	dir := t.TempDir()
	for name, tc := range map[string]struct {
		content, user, password, wantErr string
	}{
		"user and password":                  {content: "ann:secret\n", user: "ann", password: "secret"},
		"a password with colons stays whole": {content: "ann:a:b:c", user: "ann", password: "a:b:c"},
		"a Windows line end is dropped":      {content: "ann:secret\r\n", user: "ann", password: "secret"},
		"no colon":                           {content: "ann\n", wantErr: "must hold one line user:password"},
		"an empty password":                  {content: "ann:\n", wantErr: "must hold one line user:password"},
		"two lines":                          {content: "ann:a\nbob:b\n", wantErr: "holds more than one line"},
	} {
		t.Run(name, func(t *testing.T) {
			user, password, err := loadBasicAuth(writeFile(t, filepath.Join(dir, "f"), tc.content))
			switch {
			case tc.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("err = %v, want %q", err, tc.wantErr)
				}
			case err != nil || user != tc.user || password != tc.password:
				t.Errorf("got %q %q %v", user, password, err)
			}
		})
	}
}
