package api

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slad-project/slad/api/wire"
	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/store"
)

// TestNewRefusesOptionsWithoutAStoreOrConfig: a server without a store
// or a configuration is refused when it is built, not with a panic at its
// first request — a nil *store.Store too, which the Store interface
// holds as a value that is not nil.
func TestNewRefusesOptionsWithoutAStoreOrConfig(t *testing.T) {
	_, st := newTestAPI(t, ingestConfig, "", nil)
	cfg := func() *config.Config { return nil }
	var noStore *store.Store
	for name, c := range map[string]struct {
		opts Options
		want string
	}{
		"no store":         {Options{Config: cfg}, "a store is required"},
		"a nil store":      {Options{Store: noStore, Config: cfg}, "a store is required"},
		"no config":        {Options{Store: st}, "a config getter is required"},
		"store and config": {Options{Store: st, Config: cfg}, ""},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := New(c.opts)
			if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
				t.Errorf("New: %v; want %q", err, c.want)
			}
		})
	}
}

// TestAReloadRefusesWhatOnlyADryRunTakes: POST /-/reload without dry_run=1
// reads the configuration file; a body, "config" or "list" sent with it is
// refused before anything is reloaded, not ignored.
func TestAReloadRefusesWhatOnlyADryRunTakes(t *testing.T) {
	reloads, plans := 0, 0
	srv, _ := newTestAPI(t, ingestConfig, "", func(o *Options) {
		o.Reload = func(context.Context) error { reloads++; return nil }
		o.Plan = func(context.Context, []byte, string, int) (wire.Plan, error) { plans++; return wire.Plan{}, nil }
	})
	base := serve(t, srv)
	const yaml = "departments: {it: {name: IT}}\n"
	cases := map[string]struct {
		query    string
		body     io.Reader
		status   int
		errorHas string
		reloaded bool
	}{
		"a body":                      {"", strings.NewReader(yaml), 400, `a body was sent without dry_run=1, and nothing was reloaded: a reload reads the configuration file, and only a dry run (dry_run=1) takes a body, "config" or "list"`, false},
		"a body of unknown length":    {"", io.MultiReader(strings.NewReader(yaml)), 400, "a body was sent without dry_run=1", false},
		"a body with dry_run=0":       {"?dry_run=0", strings.NewReader(yaml), 400, "a body was sent without dry_run=1", false},
		"a name for the file sent":    {"?config=new.yaml", nil, 400, `parameter "config" was sent without dry_run=1`, false},
		"a number of requests listed": {"?list=5", nil, 400, `parameter "list" was sent without dry_run=1`, false},
		"nothing but the reload":      {"", nil, 200, "", true},
		"a dry run of a body":         {"?dry_run=1&config=new.yaml&list=5", strings.NewReader(yaml), 200, "", false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			reloads, plans = 0, 0
			resp, msg := errorAnswer(t, http.DefaultClient, "POST", base+"/-/reload"+tc.query, "application/yaml", tc.body)
			if resp.StatusCode != tc.status || !strings.Contains(msg, tc.errorHas) {
				t.Errorf("got %d %q; want %d saying %q", resp.StatusCode, msg, tc.status, tc.errorHas)
			}
			if (reloads == 1) != tc.reloaded || reloads > 1 {
				t.Errorf("reloaded %d times, want %v", reloads, tc.reloaded)
			}
		})
	}
}

// TestJSONAnswersKeepAngleBracketsAndAmpersands: JSON answers, errors and
// the streamed list alike, are written without encoding/json's HTML
// escapes; a 401 read "Bearer \u003ctoken\u003e".
func TestJSONAnswersKeepAngleBracketsAndAmpersands(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "sender"), []byte(senderToken), 0o600); err != nil {
		t.Fatal(err)
	}
	doc := strings.Replace(ingestConfig, "description: IT answers Sales", `description: "IT answers Sales <R&D>"`, 1) +
		"tokens:\n  - {name: sender, token_file: sender, departments: [it]}\n"
	srv, _ := newTestAPI(t, doc, dir, nil)
	base := serve(t, srv)
	for name, tc := range map[string]struct{ method, path, want string }{
		"an error":        {"POST", "/api/v1/events", `Authorization: Bearer <token>`},
		"an answer":       {"GET", "/api/v1/slas/it-sales", `"IT answers Sales <R&D>"`},
		"a streamed list": {"GET", "/api/v1/slas", `"IT answers Sales <R&D>"`},
	} {
		t.Run(name, func(t *testing.T) {
			status, body := send(t, tc.method, base+tc.path, "", "", "")
			if !strings.Contains(body, tc.want) {
				t.Errorf("%s %s: %d %s\nwant it to hold %s", tc.method, tc.path, status, body, tc.want)
			}
		})
	}
}
