package api

import (
	"testing"

	"github.com/slad-project/slad/config"
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
