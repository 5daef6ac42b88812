package api

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/store"
)

// newTestAPI is an API on a fresh store (a real bbolt file in a temporary
// directory) under the configuration doc, whose relative paths are read
// from dir (a temporary one when empty). with, when not nil, adjusts the
// options before the server is built.
func newTestAPI(tb testing.TB, doc, dir string, with func(*Options)) (*Server, *store.Store) {
	tb.Helper()
	if dir == "" {
		dir = tb.TempDir()
	}
	cfg, err := config.LoadBytes("test.yaml", []byte(doc), dir)
	if err != nil {
		tb.Fatal(err)
	}
	st, err := store.Open(store.Options{Dir: tb.TempDir(), Policy: cfg.Policy})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = st.Close() })
	opts := Options{Store: st, Config: func() *config.Config { return cfg }}
	if with != nil {
		with(&opts)
	}
	srv, err := New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	return srv, st
}

// storeEvaluated is a store (a real bbolt file in a temporary directory)
// under cfg's policy, holding events appended in one batch and evaluated
// at now(): the warnings and breaches due by then have fired.
func storeEvaluated(tb testing.TB, cfg *config.Config, now func() time.Time, events []sla.Event) *store.Store {
	tb.Helper()
	st, err := store.Open(store.Options{Dir: tb.TempDir(), Policy: cfg.Policy, Now: now})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := st.Close(); err != nil {
			tb.Error(err)
		}
	})
	if _, err := st.Append(context.Background(), events); err != nil {
		tb.Fatal(err)
	}
	if _, err := st.Evaluate(now()); err != nil {
		tb.Fatal(err)
	}
	return st
}

// serveAPI serves the API over st under cfg, as of now, on an httptest
// server closed with the test. with, when not nil, adjusts the options.
func serveAPI(tb testing.TB, st *store.Store, cfg *config.Config, now func() time.Time, with func(*Options)) (*Server, *httptest.Server) {
	tb.Helper()
	opts := Options{Store: st, Config: func() *config.Config { return cfg }, Now: now}
	if with != nil {
		with(&opts)
	}
	srv, err := New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	tb.Cleanup(ts.Close)
	return srv, ts
}

// errorAnswer sends a request with client and returns the response, its
// body read and closed, and the sentence of its JSON error body ("" for a
// body without one); the test fails when the body is not JSON, as every
// answer of the API must be.
func errorAnswer(t *testing.T, client *http.Client, method, url, contentType string, body io.Reader) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var answer struct{ Error string }
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
		t.Fatalf("the %d answer to %s %s is not JSON: %v", resp.StatusCode, method, url, err)
	}
	return resp, answer.Error
}
