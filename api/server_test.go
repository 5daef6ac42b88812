package api

import (
	"strings"
	"testing"

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
