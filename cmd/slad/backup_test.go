package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// backupServer mimics GET /api/v1/backup: it wants the admin token and
// streams db, or answers with fail when fail is set.
func backupServer(t *testing.T, db []byte, fail func(w http.ResponseWriter)) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method != http.MethodGet || r.URL.Path != "/api/v1/backup":
			w.WriteHeader(http.StatusNotFound)
		case r.Header.Get("Authorization") != "Bearer "+secretToken:
			answerJSON(w, http.StatusUnauthorized, map[string]string{"error": "a valid bearer token is required"})
		case fail != nil:
			fail(w)
		default:
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Header().Set("Content-Length", fmt.Sprint(len(db)))
			// A write that fails shows in the copy runBackup makes, which
			// is what the tests check.
			_, _ = w.Write(db)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestBackup(t *testing.T) {
	db := bytes.Repeat([]byte("bbolt page "), 300_000)
	old := []byte("yesterday's backup")
	tests := map[string]struct {
		fail     func(w http.ResponseWriter)
		token    string
		wantCode int
		wantErr  string
	}{
		"the copy is written to FILE and nothing else is left": {token: secretToken},
		"a refused backup leaves FILE as it was": {
			token: secretToken, wantCode: 1, wantErr: "slad backup: backup: server answered 403 Forbidden: backup needs an admin token",
			fail: func(w http.ResponseWriter) {
				answerJSON(w, http.StatusForbidden, map[string]string{"error": "backup needs an admin token"})
			},
		},
		"a copy cut short leaves FILE as it was": {
			token: secretToken, wantCode: 1, wantErr: "slad backup: backup: copy after ",
			fail: func(w http.ResponseWriter) {
				w.Header().Set("Content-Length", fmt.Sprint(len(db)))
				_, _ = w.Write(db[:len(db)/2])
				w.(http.Flusher).Flush()
				panic(http.ErrAbortHandler)
			},
		},
		"a wrong token is refused and not shown": {
			token: secretToken + "-old", wantCode: 1, wantErr: "server answered 401 Unauthorized: a valid bearer token is required",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			srv := backupServer(t, db, tc.fail)
			dir := t.TempDir()
			tokenFile := writeFile(t, filepath.Join(dir, "admin-token"), tc.token+"\n")
			file := writeFile(t, filepath.Join(dir, "slad-backup.db"), string(old))

			var stdout, stderr bytes.Buffer
			code := runBackup(t.Context(), []string{"--server", srv.URL, "--token-file", tokenFile, file}, &stdout, &stderr)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d\n%s", code, tc.wantCode, stderr.String())
			}
			got, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantCode == 0 {
				if !bytes.Equal(got, db) {
					t.Errorf("FILE holds %d bytes, want the %d of the database", len(got), len(db))
				}
				want := fmt.Sprintf("wrote %s: 3.1 MiB (%d bytes) in ", file, len(db))
				if !strings.HasPrefix(stdout.String(), want) {
					t.Errorf("stdout = %q, want it to start with %q", stdout.String(), want)
				}
				if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
					t.Errorf("FILE mode = %v (%v), want 0600: a backup holds every event", fi.Mode(), err)
				}
			} else {
				if !bytes.Equal(got, old) {
					t.Errorf("FILE was changed by a failed backup: %d bytes", len(got))
				}
				if !strings.Contains(stderr.String(), tc.wantErr) {
					t.Errorf("stderr = %q, want it to contain %q", stderr.String(), tc.wantErr)
				}
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 2 {
				var names []string
				for _, e := range entries {
					names = append(names, e.Name())
				}
				t.Errorf("directory holds %v, want only the token and FILE", names)
			}
			if strings.Contains(stdout.String()+stderr.String(), secretToken) {
				t.Errorf("the token appears in the output")
			}
		})
	}
}

func TestBackupThatFailsCreatesNoFile(t *testing.T) {
	srv := backupServer(t, nil, func(w http.ResponseWriter) {
		answerJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "the store is closed"})
	})
	dir := t.TempDir()
	tokenFile := writeFile(t, filepath.Join(dir, "admin-token"), secretToken)
	file := filepath.Join(dir, "new.db")
	var stdout, stderr bytes.Buffer
	if code := runBackup(t.Context(), []string{file, "--server", srv.URL, "--token-file", tokenFile}, &stdout, &stderr); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if !strings.Contains(stderr.String(), "the store is closed") {
		t.Errorf("stderr = %q", stderr.String())
	}
	for _, p := range []string{file, file + ".tmp"} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s exists after a failed backup (%v)", p, err)
		}
	}
}

func TestBackupToStandardOutput(t *testing.T) {
	db := []byte("a small database")
	srv := backupServer(t, db, nil)
	tokenFile := writeFile(t, filepath.Join(t.TempDir(), "admin-token"), secretToken)
	var stdout, stderr bytes.Buffer
	if code := runBackup(t.Context(), []string{"--server", srv.URL, "--token-file", tokenFile, "-"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !bytes.Equal(stdout.Bytes(), db) {
		t.Errorf("stdout = %q, want the database alone", stdout.String())
	}
	if !strings.HasPrefix(stderr.String(), "wrote standard output: 16 bytes in ") {
		t.Errorf("stderr = %q", stderr.String())
	}
}

func TestBackupRejectsBadUsage(t *testing.T) {
	tests := map[string]struct {
		args     []string
		wantCode int
		want     string
	}{
		"no file":            {args: nil, wantCode: 2, want: "name exactly one FILE"},
		"two files":          {args: []string{"a", "b"}, wantCode: 2, want: "name exactly one FILE"},
		"a negative timeout": {args: []string{"--timeout", "-1s", "a"}, wantCode: 2, want: "--timeout must not be negative"},
		"a FILE in a directory that does not exist": {args: []string{"--server", "http://127.0.0.1:1", filepath.Join(t.TempDir(), "no", "x.db")}, wantCode: 1, want: "no does not exist; create it (mkdir -p "},
		"a FILE that is a directory":                {args: []string{"--server", "http://127.0.0.1:1", t.TempDir()}, wantCode: 1, want: "is a directory; name a file in it, such as "},
		"help is not an error":                      {args: []string{"--help"}, wantCode: 0, want: "written to FILE.tmp"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := runBackup(t.Context(), tc.args, &stdout, &stderr)
			if code != tc.wantCode || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("exit %d (want %d), stderr:\n%s\nwant it to contain %q", code, tc.wantCode, stderr.String(), tc.want)
			}
		})
	}
}
